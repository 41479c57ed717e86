"""The package's layers hold: the import-linter contracts in pyproject.toml are kept, and they
catch what they are for.

``lint-imports`` (import-linter, the maintained tool for this) reads the contracts from
pyproject.toml: the layers bottom to top, the parts of a layer that must not know each other,
no cycle between the parts of any folder, and who may import the settings and the sandboxes.
CI runs it before the tests; the suite runs it too, so ``pytest`` alone is enough to see a
broken layer. The second test shows the contract can fail: a copy of the package with one
import pointing up a layer is refused, naming the import.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

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


def test_an_import_that_points_up_a_layer_breaks_the_contract(tmp_path: Path) -> None:
    copy = tmp_path / "ticket_processor"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.zip"))
    models = copy / "models.py"
    # The vocabulary reaching for the composition root: the shape of every loop the layers
    # exist to prevent.
    models.write_text(
        models.read_text(encoding="utf-8") + "\nfrom .run import runner  # noqa: E402\n",
        encoding="utf-8",
    )
    result = lint_imports(tmp_path)
    assert result.returncode != 0, result.stdout
    assert "ticket_processor.models is not allowed to import ticket_processor.run" in result.stdout
    assert "ticket_processor.models -> ticket_processor.run.runner" in result.stdout
