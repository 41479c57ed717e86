"""The LLM fully down against ``--engine rules``, on the same backlog.

    python scripts/llm_down_bench.py                       # 2,000 tickets, LLM refusing
    python scripts/llm_down_bench.py --mode all --tickets 500
    python scripts/llm_down_bench.py --mode hang --json

Runs ``scripts/bench.py``'s machinery once with ``--engine rules`` and once per chosen mode with
the LLM down (``refused``: nothing listens at OPENAI_BASE_URL; ``error``: the stand-in answers
500 to every call after its usual 1 s; ``hang``: it answers only after the client's timeout,
TICKETBOT_LLM_TIMEOUT, 30 s by default), each on a freshly
seeded sandbox with the same tickets, and prints the wall seconds of each ``ticketbot run`` and
their ratio to the rules run. The target is at most 2x: with the LLM down every ticket is still
triaged (by the rules, tagged ``ai_fallback``), and the circuit breaker keeps the failed calls
from costing more than the first wave. Exit status 0 when every run triaged every ticket
within the target, else 1.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

# The checkout's package, so ``python scripts/llm_down_bench.py`` works in a clone that is not
# installed.
sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

import orjson
from bench_figures import BenchSettings
from bench_harness import LLM_DOWN_MODES, parse_latency_range, run_bench
from rich.console import Console
from rich.table import Table

TARGET_RATIO = 2.0


def parse_args(argv: list[str] | None = None) -> tuple[BenchSettings, list[str], bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add = parser.add_argument
    add("--tickets", type=int, default=2000, help="tickets to seed and triage (2000)")
    add("--workers", type=int, default=64, help="ticketbot run --workers (64)")
    add("--mode", choices=(*LLM_DOWN_MODES, "all"), default="refused", help="how the LLM is down")
    add("--zendesk-latency-ms", default="80-150", help="sandbox latency, MS or LOW-HIGH (80-150)")
    add("--seed", type=int, default=7, help="random seed for texts and jitter (7)")
    add("--timeout", type=float, default=1800.0, help="kill a run after this many seconds")
    add("--json", action="store_true", help="print one JSON object instead of a table")
    args = parser.parse_args(argv)
    if args.tickets < 1 or args.workers < 1:
        parser.error("--tickets and --workers must be at least 1")
    try:
        latency = parse_latency_range(args.zendesk_latency_ms)
    except ValueError as exc:
        parser.error(f"--zendesk-latency-ms: {exc}")
    settings = BenchSettings(
        tickets=args.tickets,
        workers=args.workers,
        engine="rules",
        zendesk_latency_ms=latency,
        seed=args.seed,
        timeout=args.timeout,
    )
    modes = list(LLM_DOWN_MODES) if args.mode == "all" else [args.mode]
    return settings, modes, bool(args.json)


def row(label: str, result: dict[str, Any], rules_seconds: float) -> dict[str, Any]:
    seconds = float(result["seconds"])
    return {
        "run": label,
        "seconds": seconds,
        "run_seconds": result["run_seconds"],
        "ratio_to_rules": round(seconds / rules_seconds, 2) if rules_seconds > 0 else None,
        "tickets": result["tickets"],
        "triaged": result["triaged"],
        "fallback": result["fallback"],
        "failed": result["failed"],
        "llm_calls": result["llm_calls"],
        "exit_code": result["exit_code"],
    }


def main(argv: list[str] | None = None) -> int:
    rules_settings, modes, as_json = parse_args(argv)
    err = Console(stderr=True, highlight=False)

    def say(message: str) -> None:
        if not as_json:
            err.print(f"[dim]{message}[/]")

    say("run 1: --engine rules")
    rules = run_bench(rules_settings, say=say)
    rows = [row("--engine rules", rules, float(rules["seconds"]))]
    for mode in modes:
        say(f"run: --engine llm with the LLM down ({mode})")
        down = dataclasses.replace(rules_settings, engine="llm", llm_down=mode)
        rows.append(row(f"LLM down: {mode}", run_bench(down, say=say), float(rules["seconds"])))

    ok = all(
        r["exit_code"] == 0 and r["triaged"] == r["tickets"] == rules_settings.tickets for r in rows
    ) and all(r["ratio_to_rules"] is not None and r["ratio_to_rules"] <= TARGET_RATIO for r in rows)
    if as_json:
        out = {"rows": rows, "target_ratio": TARGET_RATIO, "ok": ok}
        sys.stdout.write(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        table = Table(
            title=f"LLM down vs --engine rules: {rules_settings.tickets} tickets, "
            f"{rules_settings.workers} workers (target: at most {TARGET_RATIO:g}x)"
        )
        for name in ("run", "wall s", "pipeline s", "x rules", "triaged", "fallback", "LLM calls"):
            table.add_column(name, justify="left" if name == "run" else "right")
        for r in rows:
            table.add_row(
                r["run"],
                f"{r['seconds']:.2f}",
                str(r["run_seconds"]),
                f"{r['ratio_to_rules']:.2f}",
                f"{r['triaged']}/{r['tickets']}",
                str(r["fallback"]),
                str(r["llm_calls"]),
            )
        Console(highlight=False).print(table)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
