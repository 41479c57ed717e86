"""Every data file the package reads ships in its wheel: a file setup.cfg's ``package_data``
does not name is there in an editable install (the tests') and missing from ``pip install .``.
The spam gate's screen weights were once left out that way."""

from __future__ import annotations

import configparser
import fnmatch
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def patterns() -> dict[str, list[str]]:
    """Package name -> its package_data patterns, as setup.cfg gives them."""
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    found: dict[str, list[str]] = {}
    for package, value in config["options.package_data"].items():
        found[package] = [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()]
    return found


def shipped(path: str, rules: dict[str, list[str]]) -> bool:
    """Whether ``path`` (relative to the repository) matches a pattern of its package or of a
    package above it (setuptools reads a pattern relative to the package that names it)."""
    parts = path.split("/")
    for depth in range(1, len(parts)):
        package = ".".join(parts[:depth])
        rest = "/".join(parts[depth:])
        if any(fnmatch.fnmatch(rest, pattern) for pattern in rules.get(package, [])):
            return True
    return False


def test_every_data_file_of_the_package_is_named_in_package_data() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "ticket_processor"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:  # a copy without git (an archive): the files on disk
        files = [
            str(p.relative_to(ROOT))
            for p in (ROOT / "ticket_processor").rglob("*")
            if p.is_file() and "__pycache__" not in p.parts
        ]
    else:
        files = listed.stdout.split()
    rules = patterns()
    data = [f for f in files if not f.endswith(".py")]
    assert data, "no data file found: the listing is wrong"
    missing = [f for f in data if not shipped(f, rules)]
    assert not missing, f"not in setup.cfg's package_data, so not in the wheel: {missing}"
