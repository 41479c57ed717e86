"""A feature is its folder and its line in the registry, as a helpdesk kind is: each feature
folder declares one ``FEATURE`` in ``<feature>/feature.py`` named as its folder, and
``features/registry.py`` lists each once. The run (``run/``) and the commands (``commands/``)
loop over the registry and name no feature: a module there importing a feature's module (at
module level, in a function or under ``TYPE_CHECKING``) or naming it in a dotted path is a
second place the feature lives. What a command needs of a feature (its sub-command, what
``revert`` undoes, its scores in ``eval``, its part of ``report``...) the feature's descriptor
declares, and a feature's own command lives in its folder (``<feature>/command.py``).

The macros, the first feature that was a folder and a line, are held to more: outside their
folder and the helpdesks' folders only the listing places name them at all (the word, in any
file). The checks read the source alone.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ticket_processor.features.registry import FEATURES

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ticket_processor"
REGISTRY = PACKAGE / "features" / "registry.py"
# The folders that may not name a feature: the composition root and the commands.
LOOPING = ("run", "commands")
# The features the registry lists (a test's own registered feature is not a folder).
NAMES = tuple(
    feature.name for feature in FEATURES if (PACKAGE / feature.name / "feature.py").is_file()
)


def test_the_registry_lists_the_features_the_brief_names() -> None:
    wanted = {"answers", "spam", "risk", "solved", "macros"}
    wanted |= {"sla", "assignment", "actions", "privacy", "ratings"}
    assert wanted <= set(NAMES)
    assert len(NAMES) == len(set(NAMES)), NAMES


@pytest.mark.parametrize("name", NAMES)
def test_a_feature_is_its_folder_and_its_registry_line(name: str) -> None:
    descriptor = PACKAGE / name / "feature.py"
    tree = ast.parse(descriptor.read_text("utf-8"))
    assert ast.get_docstring(tree), f"{descriptor}: no docstring saying what it declares"
    declared = [
        node
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "FEATURE" for t in node.targets)
    ]
    assert len(declared) == 1, f"{descriptor}: one FEATURE"
    call = declared[0].value
    assert isinstance(call, ast.Call), f"{descriptor}: FEATURE = Feature(name, ...)"
    first = call.args[0]
    assert isinstance(first, ast.Constant), f"{descriptor}: FEATURE = Feature(name, ...)"
    assert first.value == name, f"{descriptor}: named {name}"
    line = f"from ..{name}.feature import FEATURE as {name.upper()}"
    assert REGISTRY.read_text("utf-8").count(line) == 1, f"registry: {line}"
    assert [f.name for f in FEATURES].count(name) == 1


def _imported(text: str, module: str) -> set[str]:
    """The modules ``text`` imports, absolute (relative imports resolved from ``module``),
    and those it names as a dotted path in a string (imported when asked)."""
    found = set(re.findall(r"ticket_processor(?:\.\w+)+", text))
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def _features_named(text: str, module: str) -> set[str]:
    modules = _imported(text, module)
    return {
        name
        for name in NAMES
        for found in modules
        if found == f"ticket_processor.{name}" or found.startswith(f"ticket_processor.{name}.")
    }


def test_no_module_of_the_run_or_the_commands_names_a_feature() -> None:
    naming = {}
    for folder in LOOPING:
        for path in sorted((PACKAGE / folder).glob("*.py")):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            found = _features_named(path.read_text("utf-8"), module)
            if found:
                naming[path.relative_to(PACKAGE).as_posix()] = found
    assert naming == {}


def test_the_check_sees_an_import_in_a_function_a_dotted_path_and_a_whole_package() -> None:
    module = "ticket_processor.run.order"
    assert _features_named("def f():\n    from ..spam.step import SpamStep\n", module) == {"spam"}
    assert _features_named("from .. import risk\n", module) == {"risk"}
    assert _features_named('HOOK = "ticket_processor.macros.setup:EXTRAS"\n', module) == {"macros"}
    assert _features_named("import ticket_processor.sla.run_pass\n", module) == {"sla"}
    kept = "from ..steps.feature import Feature\nfrom .build import spammy\n"
    assert _features_named(kept, module) == set()


# The macros, everywhere: their folder and each helpdesk's folder (the helpdesk's readers,
# sandbox routes and seed data are that helpdesk's knowledge) name them; outside those, only
# the places a feature is listed: its command (``cli.py``), its registry line, its layer
# (``pyproject.toml``) and its files in the data map of what holds customers' data (``privacy
# export`` and ``forget`` walk it).
OWN_FOLDERS = (
    "macros",
    *(
        f"helpdesks/{folder.name}"
        for folder in sorted((PACKAGE / "helpdesks").iterdir())
        if folder.is_dir() and (folder / "kind.py").is_file()
    ),
)
LISTED_IN = {
    "ticket_processor/cli.py",
    "ticket_processor/features/registry.py",
    "pyproject.toml",
    "ticket_processor/privacy/places.py",
}
# Words that say "macro" and mean something else: the macro-averaged F1 of the evaluations,
# Jinja's own ``{% macro %}`` in the dashboard's templates, and the name of a labelled file of
# tests/data a model's provenance names (the spam screen was fitted on its customers' texts).
OTHER_MEANINGS = re.compile(
    r"macro[-_ ]?(f1|averaged|avg)|\{%-?\s*(end)?macro\b|\bendmacro\b"
    r"|macros_banking77_tickets\.jsonl",
    re.IGNORECASE,
)
MACRO = re.compile(r"macro", re.IGNORECASE)


def _names_macros(path: Path) -> bool:
    text = path.read_text("utf-8", errors="replace")
    return any(MACRO.search(OTHER_MEANINGS.sub("", line)) for line in text.splitlines())


def _outside_own_folders() -> list[Path]:
    files = [REPO / "pyproject.toml"]
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE).as_posix()
        if not path.is_file() or "__pycache__" in relative or path.suffix == ".pyc":
            continue
        if any(relative == own or relative.startswith(f"{own}/") for own in OWN_FOLDERS):
            continue
        files.append(path)
    return files


def test_only_the_listing_places_name_macros_outside_the_feature_and_helpdesk_folders() -> None:
    naming = {
        path.relative_to(REPO).as_posix() for path in _outside_own_folders() if _names_macros(path)
    }
    assert naming == LISTED_IN


def test_the_check_tells_macros_from_their_other_meanings(tmp_path: Path) -> None:
    kept = tmp_path / "kept.py"
    kept.write_text(
        '"""macro-F1 per field; macro_f1; macro-averaged."""\n{% macro x() %}{% endmacro %}\n'
    )
    named = tmp_path / "named.py"
    named.write_text("# the suggested macros\n")
    assert not _names_macros(kept)
    assert _names_macros(named)
