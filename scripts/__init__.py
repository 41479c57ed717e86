"""The toolbox as one package: figures, benchmarks, drills, screenshots and trainers.

Run from the repository's root, ``python -m scripts.figures NAME`` (see ``scripts/figures.py``);
the data the commands read lives in ``scripts/data/``. A command's ``--help`` is its line of
``scripts/data/commands.toml`` and its options; the docs page that cites it explains it. Some
commands drive the sandboxes with the tests' own helpers (``tests/support/``): that package is
registered here by its location, once, under the name the tests import it by (``support``), so
no module edits ``sys.path``.
"""

from __future__ import annotations

import argparse
import importlib.util
import socket
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"


def data_toml(name: str) -> dict[str, Any]:
    """``scripts/data/NAME``, a TOML file, read."""
    return tomllib.loads((DATA / name).read_text("utf-8"))


def command_parser(name: str, **options: Any) -> argparse.ArgumentParser:
    """NAME's parser: its line of ``commands.toml`` as the description, OPTIONS as argparse's."""
    return argparse.ArgumentParser(
        prog=f"python -m scripts.figures {name}",
        description=data_toml("commands.toml")["commands"][name][2],
        **options,
    )


def free_port() -> int:
    """A port free on the loopback now, for a server a command starts as a child."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _register_test_support() -> None:
    """``tests/support`` importable as ``support``, as under pytest (where it already is)."""
    if "support" in sys.modules:
        return
    folder = ROOT / "tests" / "support"
    spec = importlib.util.spec_from_file_location(
        "support", folder / "__init__.py", submodule_search_locations=[str(folder)]
    )
    if spec is None or spec.loader is None:  # a clone without its tests: commands needing them fail
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["support"] = module
    spec.loader.exec_module(module)


_register_test_support()
