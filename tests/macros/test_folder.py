"""The macros feature is its folder and a line in each of three places: the step list
(``run/order.py``), the commands (``cli.py``) and the import-linter layers (``pyproject.toml``).
Each helpdesk's own folder may name macros too: the helpdesk's readers, sandbox routes and seed
data are that helpdesk's knowledge. Any other package file naming macros is a second place a
feature lives, the sign that a seam is missing; the check reads the source alone.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "ticket_processor"

# The feature's own folder and each helpdesk's folder (every folder of ``helpdesks/``), where
# naming macros is their business.
OWN_FOLDERS = (
    "macros",
    *(
        f"helpdesks/{folder.name}"
        for folder in sorted((PACKAGE / "helpdesks").iterdir())
        if folder.is_dir() and (folder / "kind.py").is_file()
    ),
)
# The places a feature is listed: its command, its step and pass, its layer, and its files in
# the data map of what holds customers' data (``privacy export`` and ``forget`` walk it).
LISTED_IN = {
    "ticket_processor/cli.py",
    "ticket_processor/run/order.py",
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
