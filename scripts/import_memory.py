"""What importing a module costs in memory: the peak RSS of a fresh interpreter that imports it,
less that of one that imports nothing (the median of a few tries each).

    python scripts/import_memory.py                  # the run's optional heavy modules
    python scripts/import_memory.py sqlalchemy re2   # any modules, each alone

Where the figures are used: docs/explanation/benchmarks.md. A module already imported by
everything a run loads costs the run less than it costs alone; the run's own figure is
``scripts/bench.py``'s peak RSS.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

# What a rules run over the embedded audit store loads, or loaded, besides ticketbot and its
# core libraries: (module, the module it is priced beyond, None for a bare interpreter).
DEFAULT: tuple[tuple[str, str | None], ...] = (
    ("sqlalchemy", None),
    ("sqlalchemy.dialects.sqlite", "sqlalchemy"),
    ("sqlalchemy.dialects.postgresql", "sqlalchemy"),
    ("alembic.command", "sqlalchemy"),
    ("prometheus_client", None),
    ("re2", None),
)

PROBE = (
    "import importlib, sys\n"
    "for name in sys.argv[1:]:\n"
    "    importlib.import_module(name)\n"
    "print(next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')))\n"
)


def peak_kib(modules: list[str], tries: int) -> float:
    peaks = [
        int(
            subprocess.run(
                [sys.executable, "-c", PROBE, *modules],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(tries)
    ]
    return statistics.median(peaks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("modules", nargs="*", help="modules to price (default: the run's)")
    parser.add_argument("--tries", type=int, default=3, help="runs of each, median (3)")
    args = parser.parse_args(argv)
    bare = peak_kib([], args.tries)
    print(f"bare interpreter: {bare / 1024:.1f} MB peak RSS")
    asked = [(name, None) for name in args.modules] or DEFAULT
    for name, beyond in asked:
        first = [beyond] if beyond else []
        base = peak_kib(first, args.tries) if beyond else bare
        cost = peak_kib([*first, name], args.tries) - base
        where = f" (beyond {beyond})" if beyond else ""
        print(f"{name}: +{cost / 1024:.1f} MB{where}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
