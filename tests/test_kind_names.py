"""Code outside ``helpdesks/`` never compares a helpdesk kind's name: it asks the kind's
descriptor (``helpdesks/registry.py``, ``helpdesks/capabilities.py``), so a third kind is its
folder and a registry line, and nothing elsewhere turns an unknown kind into one it knows.

A static scan with ``ast`` (nothing is imported) of every module of the package outside
``helpdesks/`` and the sandboxes, for a kind's name (as the registry lists them) in a
comparison (``==``, ``!=``, ``in (...)``), a ``match`` case, a ``startswith``/``endswith``, a
``Literal[...]`` or a dict's key. A name in a docstring, a message, a setting's default or a
dotted path is not a comparison and is not reported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from ticket_processor.helpdesks.registry import KINDS

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ticket_processor"
NAMES = frozenset(KINDS)


def _names_in(node: ast.AST | None) -> bool:
    """Whether ``node`` is a kind's name, or a tuple, list or set holding one."""
    if isinstance(node, ast.Constant):
        return node.value in NAMES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_names_in(element) for element in node.elts)
    return False


def _is_literal(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "Literal") or (
        isinstance(node, ast.Attribute) and node.attr == "Literal"
    )


def _findings(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
            _names_in(side) for side in (node.left, *node.comparators)
        ):
            yield node.lineno, "a comparison"
        elif isinstance(node, ast.MatchValue) and _names_in(node.value):
            yield node.lineno, "a match case"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("startswith", "endswith")
            and any(_names_in(arg) for arg in node.args)
        ):
            yield node.lineno, f"a {node.func.attr}"
        elif isinstance(node, ast.Subscript) and _is_literal(node.value) and _names_in(node.slice):
            yield node.lineno, "a Literal"
        elif isinstance(node, ast.Dict) and any(_names_in(key) for key in node.keys):
            yield node.lineno, "a dict keyed by kind"


def _scanned(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if parts[0] in ("helpdesks", "sandbox"):
            continue
        yield path


def kind_name_comparisons(root: Path) -> list[str]:
    """Each place under ``root`` (a copy of the package) that compares a kind's name."""
    found = []
    for path in _scanned(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, what in _findings(tree):
            found.append(f"{path.relative_to(root).as_posix()}:{line}: {what}")
    return found


def test_no_code_outside_helpdesks_compares_a_kind_name() -> None:
    assert kind_name_comparisons(PACKAGE) == []


def test_the_scan_finds_each_shape_of_comparison(tmp_path: Path) -> None:
    (tmp_path / "feature.py").write_text(
        "from typing import Literal\n"
        "Source = Literal['zendesk', 'freshdesk']\n"
        "PACE = {'freshdesk': 1.0}\n"
        "def f(kind: str) -> object:\n"
        "    if kind == 'zendesk' or kind in ('freshdesk', 'x') or kind.startswith('zendesk'):\n"
        "        return 1\n"
        "    match kind:\n"
        "        case 'freshdesk':\n"
        "            return 2\n"
        "    return 'zendesk'  # a value, not a comparison\n",
        encoding="utf-8",
    )
    assert [line.split(": ", 1)[1] for line in kind_name_comparisons(tmp_path)] == [
        "a Literal",
        "a dict keyed by kind",
        "a comparison",
        "a comparison",
        "a startswith",
        "a match case",
    ]
