"""Where a run's CPU goes: CPU seconds per 1,000 tickets by stage, with the LLM stand-in and the
learned engine.

    python scripts/profile_run.py                          # 1,000 tickets, llm and learned
    python scripts/profile_run.py --engines llm --tickets 500 --llm-latency 0.2 --json

Each engine gets what ``scripts/bench.py`` does (the Zendesk sandbox and the OpenAI stand-in in
this process, N distinct seeded tickets, ``ticketbot run`` as a child process; every flag of
bench.py but ``--engine`` is taken and means the same), except that the child is
``scripts/profile_stages.py``: the same command in the same process, with a timer of the
calling thread's CPU on each stage's functions (explicit stage timers, not a sampling
profiler: a thread waiting on the LLM costs nothing and is counted as nothing). The timers
live in that script only, so a normal run pays nothing for them.

The stages: start-up (the interpreter and the imports of ``ticketbot``'s command line), set-up
(settings, clients, state files, the help-centre sync: until the first stage is entered),
discovery, preparation and redaction, the engine, the help-centre lookup, planning and answers,
incidents, the audit store, the write-back, the log; "other" is the rest of the process's CPU
(the HTTP connection pools, threads, the garbage collector, the shutdown, the stages' own
callers). The total is the process's CPU (``time.process_time``); ``rusage`` is the launcher's
``wait4`` figure, as bench.py's ``child_cpu_seconds``.
"""

from __future__ import annotations

import argparse
import pstats
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import orjson
from bench import parse_args as bench_args
from bench_harness import run_bench
from profile_stages import STAGES
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve().parent


def profile(engine: str, argv: list[str], say: Any, cprofile: Path | None = None) -> dict[str, Any]:
    """One benchmark of ``engine`` under the stage timers; figures per 1,000 tickets."""
    settings, _ = bench_args([*argv, "--engine", engine])
    with tempfile.TemporaryDirectory(prefix="ticketbot-profile-") as tmp:
        out = Path(tmp)
        entry = [str(HERE / "profile_stages.py"), str(out)]
        if cprofile is not None:
            entry.append("--cprofile")
        result = run_bench(settings, say=say, entry=entry)
        runs = [orjson.loads(p.read_bytes()) for p in sorted(out.glob("*.json"))]
        if cprofile is not None:
            stats = pstats.Stats(*(str(p) for p in sorted(out.glob("*.prof"))))
            stats.dump_stats(str(cprofile.with_name(f"{cprofile.stem}-{engine}{cprofile.suffix}")))
    if not runs:
        raise SystemExit(f"{engine}: the run wrote no profile ({result['child_stderr_tail']})")
    per = 1000.0 / max(1, result["triaged"])
    cpu: dict[str, float] = {"start-up": 0.0, "set-up": 0.0}
    for stage in STAGES:
        cpu[stage] = 0.0
    total = 0.0
    for run in runs:
        for stage in run["stages"]:
            cpu.setdefault(stage, 0.0)
    for run in runs:
        began = run["began_cpu_seconds"] or run["total_cpu_seconds"]
        cpu["start-up"] += run["startup_cpu_seconds"]
        cpu["set-up"] += began - run["startup_cpu_seconds"]
        for stage, figures in run["stages"].items():
            cpu[stage] = cpu.get(stage, 0.0) + figures["cpu_seconds"]
        total += run["total_cpu_seconds"]
    cpu["other"] = total - sum(cpu.values())
    return {
        "engine": engine,
        "tickets": result["tickets"],
        "triaged": result["triaged"],
        "runs": len(runs),
        "cpu_seconds_per_1000": {k: round(v * per, 3) for k, v in cpu.items()},
        "total_cpu_seconds_per_1000": round(total * per, 3),
        "rusage_cpu_seconds_per_1000": round(float(result["child_cpu_seconds"]) * per, 3),
        "startup_cpu_seconds_per_run": round(cpu["start-up"] / len(runs), 3),
        "not_found": sorted({name for run in runs for name in run["not_found"]}),
        "exit_code": result["exit_code"],
    }


def table(profiles: list[dict[str, Any]]) -> Table:
    out = Table(title="CPU seconds per 1,000 tickets, by stage", header_style="bold")
    out.add_column("stage")
    for p in profiles:
        out.add_column(f"{p['engine']} ({p['triaged']} tickets, {p['runs']} runs)", justify="right")
    stages = dict.fromkeys(k for p in profiles for k in p["cpu_seconds_per_1000"])
    for stage in stages:
        out.add_row(stage, *(f"{p['cpu_seconds_per_1000'].get(stage, 0.0):.3f}" for p in profiles))
    out.add_row(
        "total (process_time)", *(f"{p['total_cpu_seconds_per_1000']:.3f}" for p in profiles)
    )
    out.add_row("total (rusage)", *(f"{p['rusage_cpu_seconds_per_1000']:.3f}" for p in profiles))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--engines", default="llm,learned", help="engines, by commas (llm,learned)")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets to seed (1000)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument(
        "--cprofile",
        type=Path,
        metavar="FILE",
        help="also cProfile every thread into FILE-<engine> (pstats; slows the run: its "
        "stage figures are then proportions only)",
    )
    args, rest = parser.parse_known_args(argv)
    err = Console(stderr=True, highlight=False)

    def say(message: str) -> None:
        if not args.json:
            err.print(f"[dim]{message}[/]")

    profiles = [
        profile(engine, [*rest, "--tickets", str(args.tickets)], say, args.cprofile)
        for engine in args.engines.split(",")
    ]
    for p in profiles:
        if p["not_found"]:
            err.print(
                f"[yellow]{p['engine']}: not loaded by this run, or moved: "
                f"{', '.join(p['not_found'])}"
            )
    if args.json:
        sys.stdout.write(orjson.dumps(profiles, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        Console(highlight=False).print(table(profiles))
    return 0 if all(p["exit_code"] == 0 for p in profiles) else 1


if __name__ == "__main__":
    sys.exit(main())
