"""A helpdesk is its folder and a registry line: outside ``helpdesks/<kind>/``, the code that
names a kind (comments and docstrings aside) is the registry and the help texts that list the
helpdesks, nothing else. A feature that needs something a helpdesk knows asks the kind's
descriptor; a kind's name in a feature's code is a second place the helpdesk lives.

Zendesk, the default kind, is held to the tighter rule of ``test_kind_names.py`` (no
comparison of its name) only: it predates the registry, and ``ticket_processor/zendesk.py`` is
its public name for library users. The check reads the source alone (``tokenize``, ``ast``).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

import pytest

from ticket_processor.helpdesks.registry import DEFAULT_KIND, KINDS

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ticket_processor"

# The places outside a kind's folder that may name it: the registry, and the help texts of the
# settings and commands that list the helpdesks (each names every kind it lists).
LISTING_PLACES = frozenset(
    {
        "helpdesks/registry.py",
        "commands/sandbox.py",
        "commands/serve.py",
        "common/env_names.py",
        "settings/fields.py",
        "settings/service.py",
        "summary/field.py",
        "macros/step.py",
    }
)


def _docstring_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.body[0] if node.body else None
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    return lines


def code_names(source: str, name: str) -> bool:
    """Whether ``source``'s code (not its comments or docstrings) says ``name``, any case."""
    docstrings = _docstring_lines(ast.parse(source))
    word = re.compile(re.escape(name), re.IGNORECASE)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or token.start[0] in docstrings:
            continue
        if word.search(token.string):
            return True
    return False


def naming_outside_its_folder(root: Path, kind: str) -> set[str]:
    """The modules under ``root`` (a copy of the package), outside ``helpdesks/<kind>/``,
    whose code names ``kind``."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith(f"helpdesks/{kind}/"):
            continue
        if code_names(path.read_text(encoding="utf-8"), kind):
            found.add(relative)
    return found


@pytest.mark.parametrize("kind", [name for name in KINDS if name != DEFAULT_KIND])
def test_a_kind_is_named_outside_its_folder_only_where_the_helpdesks_are_listed(kind: str) -> None:
    assert naming_outside_its_folder(PACKAGE, kind) - LISTING_PLACES == set()


def test_the_check_reads_code_not_comments_or_docstrings(tmp_path: Path) -> None:
    (tmp_path / "helpdesks" / "tinydesk").mkdir(parents=True)
    (tmp_path / "helpdesks" / "tinydesk" / "adapter.py").write_text("KIND = 'tinydesk'\n")
    (tmp_path / "quiet.py").write_text(
        '"""Works on TinyDesk too."""\n# tinydesk reads it so\ndef f() -> None:\n'
        '    """As TINYDESK does."""\n'
    )
    (tmp_path / "loud.py").write_text("HELP = 'a TinyDesk API key'\n")
    (tmp_path / "branch.py").write_text("def f(k: str) -> bool:\n    return k == 'tinydesk'\n")
    assert naming_outside_its_folder(tmp_path, "tinydesk") == {"loud.py", "branch.py"}
