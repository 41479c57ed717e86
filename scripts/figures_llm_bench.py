"""Benchmarks of the LLM's bad days: a run under its spending budget, and the LLM down (refusing,
answering 500, never answering)."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from scripts import child_env, command_parser, free_port
from scripts.bench_figures import BenchSettings
from scripts.bench_harness import (
    LLM_DOWN_MODES,
    parse_latency_range,
    run_bench,
)
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread

# llm_budget_bench --------------------------------------------------------------------------------

WINDOW = 60.0


def _tickets(path: Path, n: int, tag: str) -> None:
    rows = [
        {
            "id": f"{tag}-{i}",
            "subject": f"Order {tag}-{i}",
            "description": f"My order {tag}-{i} arrived broken, please refund it ({i * 7919}).",
            "labels": {"category": "refund"},
        }
        for i in range(n)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def _run(
    processes: int, tickets: int, *, budget: str | None, rpm: int, workdir: Path, llm_url: str
) -> tuple[int, list[float]]:
    """Runs the evals at once; the LLM-analysed tickets and each call's time (from the log)."""
    env = child_env(
        OPENAI_BASE_URL=llm_url,
        OPENAI_API_KEY="sk-bench-not-a-real-key",
        TICKETBOT_MODEL="stand-in",
        TICKETBOT_WORKERS="32",
    )
    if budget:
        env |= {"TICKETBOT_LLM_BUDGET": budget, "TICKETBOT_LLM_RPM": str(rpm)}
    running = []
    for p in range(processes):
        data = workdir / f"t{p}-{budget is not None}.jsonl"
        _tickets(data, tickets, f"p{p}{'b' if budget else 'n'}{time.monotonic_ns()}")
        running.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ticket_processor",
                    "eval",
                    str(data),
                    "--engine",
                    "llm",
                    "--json",
                ],
                env=env | {"TICKETBOT_STATE_DIR": str(workdir / f"state{p}")},
                cwd=workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        )
    analysed = 0
    for proc in running:
        out, _ = proc.communicate(timeout=1800)
        report = json.loads(out)
        analysed += report["rows"] - report["fallbacks"]
    return analysed, []


def _busiest(times: list[float], window: float) -> int:
    """The most calls answered in any ``window`` seconds."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


def llm_budget_bench(argv: list[str] | None = None) -> None:
    parser = command_parser("llm_budget_bench")
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--rpm", type=int, default=300)
    args = parser.parse_args(argv)
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-budget-"))
    port = free_port()
    redis = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    budget_url = f"redis://127.0.0.1:{port}/0"
    try:
        print(
            f"{args.processes} processes x {args.tickets} tickets, an LLM that allows {args.rpm} "
            f"calls in any {WINDOW:.0f} s"
        )
        print(
            f"{'case':<28} {'calls':>6} {'429s':>6} {'429 share':>9} {'LLM-analysed':>13} {'s':>6}"
        )
        cases = [
            ("without the budget", args.processes, args.tickets, None),
            ("with the shared budget", args.processes, args.tickets, budget_url),
            ("one process, the budget", 1, int(args.rpm * 1.5), budget_url),
        ]
        for name, processes, tickets, budget in cases:
            config = StandinConfig(seed=1, rpm_limit=args.rpm, limit_window_s=WINDOW)
            with serve_in_thread(config) as llm:
                started = time.monotonic()
                analysed, _ = _run(
                    processes,
                    tickets,
                    budget=budget,
                    rpm=args.rpm,
                    workdir=workdir,
                    llm_url=llm.url,
                )
                seconds = time.monotonic() - started
                stats = llm.stats()
                answered = list(llm.answered_at)
            calls = stats["completions"] + stats["rate_limited"]
            share = stats["rate_limited"] / calls if calls else 0.0
            print(
                f"{name:<28} {calls:>6} {stats['rate_limited']:>6} {share:>9.1%} "
                f"{analysed:>6} of {processes * tickets:<5} {seconds:>6.0f}"
            )
            busiest = _busiest(answered, WINDOW)
            print(
                f"  the busiest {WINDOW:.0f} s held {busiest} answered calls: "
                f"{busiest / args.rpm:.0%} of the budget"
            )
    finally:
        redis.terminate()
        shutil.rmtree(workdir, ignore_errors=True)


# llm_down_bench ----------------------------------------------------------------------------------

# The checkout's package, so ``python -m scripts.figures llm_down_bench`` works in a clone that is
# not installed.


TARGET_RATIO = 2.0


def parse_args(argv: list[str] | None = None) -> tuple[BenchSettings, list[str], bool]:
    parser = command_parser("llm_down_bench")
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


def llm_down_bench(argv: list[str] | None = None) -> int:
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
