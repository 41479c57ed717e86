"""The toolbox as one package: figures, benchmarks, drills, screenshots and trainers.

Run from the repository's root, ``python -m scripts.figures NAME`` (see ``scripts/figures.py``);
the data the commands read lives in ``scripts/data/``. A command's ``--help`` is its line of
``scripts/data/commands.toml`` and its options; the docs page that cites it explains it. What
every command shares lives here: its parser, the environment of a ``ticketbot`` it starts
(``child_env``, ``run_dirs``, ``standin_env``) and a free port; ``bench_launch`` measures such a
child's own memory and CPU. Some commands drive the sandboxes with the tests' own helpers
(``tests/support/``): that package is registered here by its location, once, under the name the
tests import it by (``support``), so no module edits ``sys.path``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
# What a caller's shell may set that would point a child ``ticketbot`` at another helpdesk, LLM
# or state directory: none of it reaches a child a command starts.
CALLERS_SETTINGS = (
    "TICKETBOT_",
    "ZENDESK_",
    "FRESHDESK_",
    "SERVICENOW_",
    "OPENAI_",
    "ANTHROPIC_",
    "ZENPY_",
)


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


def child_env(*settings: Mapping[str, str], **more: str) -> dict[str, str]:
    """A child ``ticketbot``'s environment: this process's without ``CALLERS_SETTINGS``, this
    checkout first on ``PYTHONPATH`` and every entry made absolute (a child may run in another
    folder, and must import this checkout's package whatever is installed), then SETTINGS and
    MORE in order."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CALLERS_SETTINGS)}
    paths = [str(Path(p).resolve()) for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), *paths])
    for part in settings:
        env.update(part)
    env.update(more)
    return env


def run_dirs(work: Path | str) -> dict[str, str]:
    """A child run's state and log directories, in WORK."""
    return {
        "TICKETBOT_STATE_DIR": str(Path(work) / "state"),
        "TICKETBOT_LOG_DIR": str(Path(work) / "logs"),
    }


def standin_env(
    llm_url: str, workdir: Path, api_key: str, workers: int | None = None
) -> dict[str, str]:
    """A child run's settings for the stand-in LLM, with its state and logs in ``workdir``."""
    env = {
        "OPENAI_BASE_URL": llm_url,
        "OPENAI_API_KEY": api_key,
        "TICKETBOT_MODEL": "stand-in",
        **run_dirs(workdir),
    }
    if workers is not None:
        env["TICKETBOT_WORKERS"] = str(workers)
    return env


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
