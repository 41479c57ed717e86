"""The toolbox: every figure, benchmark, drill, screenshot and trainer but the benchmark itself.

    python -m scripts.figures NAME [ARGS...]
    python -m scripts.figures NAME --help
    python -m scripts.figures --list

NAME is what the docs cite (the figure pages name the command that makes each figure); ARGS are its
own, parsed by its own parser. ``scripts/data/commands.toml`` lists them (NAME = [module, function,
what it does]); they live in the modules beside this one, grouped by what they measure
(``figures_*.py``, ``fingerprint_*.py``, ``train*.py``, ``drills*.py``, ``screenshots.py``): a
section a command, headed by its NAME, whose function takes the command's arguments. ``python -m
scripts.bench`` stays the benchmark's entry point, ``python -m scripts.cpu_check`` CI's CPU check
and ``python -m scripts.incident_heldout`` the held-out hours' generator. Run from the repository's
root (the toolbox is the ``scripts`` package); the data the commands read is in ``scripts/data/``.
A NAME's module is imported only when that NAME runs, so one whose dependencies are not installed
(Playwright, Redis) does not stop the others.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# NAME -> (module of scripts/, its function taking argv, one line of what it does), listed in
# scripts/data/commands.toml.
REGISTRY: dict[str, tuple[str, str, str]] = {
    name: (module, function, what)
    for name, (module, function, what) in tomllib.loads(
        (Path(__file__).resolve().parent / "data" / "commands.toml").read_text("utf-8")
    )["commands"].items()
}


def command(name: str) -> Callable[[list[str]], int | None]:
    """NAME's function, its module of the ``scripts`` package imported now."""
    module, function, _ = REGISTRY[name]
    found: Callable[[list[str]], int | None] = getattr(
        importlib.import_module(f"scripts.{module}"), function
    )
    return found


def run(name: str, argv: list[str]) -> int:
    """NAME run on its arguments: its exit status (``--help`` included)."""
    try:
        return command(name)(argv) or 0
    except SystemExit as done:
        if done.code is None or isinstance(done.code, int):
            return done.code or 0
        print(done.code, file=sys.stderr)
        return 1


def check_help() -> int:
    """Every NAME's ``--help``, in this process: the names whose help fails, or 0."""
    failed = []
    for name in REGISTRY:
        with contextlib.redirect_stdout(io.StringIO()) as said:
            try:
                status = run(name, ["--help"])
            except Exception as error:  # noqa: BLE001 - every name is tried, each failure said
                failed.append(f"{name}: {error!r}")
                continue
        if status != 0 or not said.getvalue().strip():
            failed.append(f"{name}: --help exited {status} having said {said.getvalue()[:80]!r}")
    for line in failed:
        print(line, file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0 if argv else 2
    if argv[0] == "--list":
        width = max(map(len, REGISTRY))
        for name, (_, _, help_line) in sorted(REGISTRY.items()):
            print(f"{name:<{width}}  {help_line}")
        return 0
    if argv[0] == "--check-help":
        return check_help()
    if argv[0] not in REGISTRY:
        print(f"no such command: {argv[0]} (python -m scripts.figures --list)", file=sys.stderr)
        return 2
    return run(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
