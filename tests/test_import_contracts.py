"""The package's layers hold: the import-linter contracts in pyproject.toml are kept, and they
catch what they are for.

``lint-imports`` (import-linter, the maintained tool for this) reads the contracts from
pyproject.toml: the layers bottom to top, the parts of a layer that must not know each other,
no cycle between the parts of any folder, and who may import the settings and the sandboxes.
CI runs it before the tests; the suite runs it too, so ``pytest`` alone is enough to see a
broken layer. The other tests show each contract can fail: a copy of the package with the one
import that contract exists to refuse is refused, naming the import, by that contract.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ticket_processor"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` over the package found first on the path from ``root``, with the
    repository's contracts; no cache, so nothing of another tree's graph is reused."""
    script = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(script), "--no-cache", str(REPO / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_keeps_its_import_contracts() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"Contracts: [1-9][0-9]* kept, 0 broken", result.stdout), result.stdout


# One import each contract exists to refuse, added to a copy of the package, and the line of
# lint-imports' report that names it.
VIOLATIONS = {
    # The vocabulary reaching for the composition root: the shape of every loop the layers
    # exist to prevent.
    "layers": (
        "models/ticket.py",
        "from ..run import runner",
        "ticket_processor.models is not allowed to import ticket_processor.run",
    ),
    # Inside one folder: the run's context importing the pipeline that imports it.
    "acyclic": (
        "run/context.py",
        "from . import pipeline",
        "- .context -> .pipeline (1 import)",
    ),
    # A decision reading the settings for itself, which the layers alone would allow.
    "settings-holders": (
        "triage/rules.py",
        "from ..settings import Settings",
        "- ticket_processor.triage.rules -> ticket_processor.settings",
    ),
    # The run starting a sandbox, hidden in a function, which the layers alone would allow.
    "sandboxes": (
        "run/runner.py",
        "def _desks() -> object:\n    from ..sandbox import desks\n\n    return desks",
        "- ticket_processor.run.runner -> ticket_processor.sandbox.desks",
    ),
    # A feature reaching into one helpdesk's folder for what its descriptor should offer.
    "concrete-helpdesks": (
        "incidents/notes.py",
        "from ..helpdesks.zendesk import links",
        "-   ticket_processor.incidents.notes -> ticket_processor.helpdesks.zendesk.links",
    ),
}


NAMES = {
    "layers": "The package's parts form layers",
    "acyclic": "No import cycle between the parts of any folder",
    "settings-holders": "Only run, backfill, commands and cli import the settings",
    "sandboxes": "Only the commands import a sandbox",
    "concrete-helpdesks": "Features do not import a concrete helpdesk's folder",
}


def test_the_names_are_the_contracts_in_pyproject() -> None:
    with (REPO / "pyproject.toml").open("rb") as config:
        contracts = tomllib.load(config)["tool"]["importlinter"]["contracts"]
    assert {c["id"]: c["name"] for c in contracts} == NAMES


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_each_contract_refuses_the_import_it_is_for(contract: str, tmp_path: Path) -> None:
    module, line, said = VIOLATIONS[contract]
    copy = tmp_path / "ticket_processor"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.zip"))
    path = copy / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{line}  # noqa\n", encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert said in result.stdout, result.stdout
    broken = re.findall(r"^(.+?) BROKEN\b", result.stdout, flags=re.MULTILINE)
    assert NAMES[contract] in broken, broken
