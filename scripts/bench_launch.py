"""Run one command and write its own peak RSS and CPU time as JSON: ``bench_launch.py OUT CMD...``.

Why a launcher: Linux charges a child's ``ru_maxrss`` with the high-water mark of the memory it
was forked from (``exec`` records the old image's peak). Forked from the benchmark process,
whose sandbox holds the whole seeded backlog, ``ticketbot run`` was charged with the
benchmark's memory: 281 MB for a run whose own peak (``VmHWM``) was 95 MB at 50,000 seeded
tickets. Forked from this small process instead, the figure is the larger of this launcher
(about 10 MB) and the run itself, i.e. the run's. ``launch`` runs a command so and returns
its figures; ``launcher`` is the prefix for a caller that starts it itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Launched:
    """A command run through this launcher: its exit code, wall seconds, own peak RSS (MiB)
    and CPU seconds, and what it printed."""

    exit_code: int
    seconds: float
    peak_mib: float
    cpu_seconds: float
    stdout: str
    stderr: str


def launcher(out: Path) -> list[str]:
    """The prefix that runs a command through this launcher, its figures written to OUT."""
    return [sys.executable, str(Path(__file__).resolve()), str(out)]


def usage(out: Path) -> dict[str, float]:
    """The figures the launcher wrote to OUT."""
    figures: dict[str, float] = json.loads(out.read_text("utf-8"))
    return figures


def launch(
    command: Sequence[str], *, env: Mapping[str, str], cwd: Path, timeout: float | None = None
) -> Launched:
    """COMMAND run through this launcher in CWD, its output captured."""
    with tempfile.TemporaryDirectory(prefix="launch-") as tmp:
        out = Path(tmp) / "usage.json"
        started = time.perf_counter()
        done = subprocess.run(
            [*launcher(out), *command],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        seconds = time.perf_counter() - started
        figures = usage(out)
    return Launched(
        int(figures["exit_code"]),
        seconds,
        figures["maxrss_kb"] / 1024,
        figures["cpu_seconds"],
        done.stdout,
        done.stderr,
    )


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(__doc__)
        return 0
    if len(argv) < 2:  # argv[0] as OUT with no command would only fail inside Popen
        print("usage: bench_launch.py OUT CMD...", file=sys.stderr)
        return 2
    out, command = argv[0], argv[1:]
    proc = subprocess.Popen(command)
    _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    figures = {
        "exit_code": code,
        "maxrss_kb": usage.ru_maxrss,  # Linux: KiB
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(figures, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
