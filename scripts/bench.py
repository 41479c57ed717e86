"""Throughput benchmark of ``ticketbot run`` against the local sandbox and LLM stand-in.

    python -m scripts.bench                      # 2,000 tickets, 64 workers, 1.0 s LLM
    python -m scripts.bench --engine rules --zendesk-latency-ms 0 --tickets 10000
    python -m scripts.bench --duplicates 0.2 --json
    python -m scripts.bench --llm-down refused   # see also python -m scripts.figures llm_down_bench
    python -m scripts.bench --llm-rpm 1000 --llm-announce   # paced by x-ratelimit-* headers
    python -m scripts.bench --helpdesk freshdesk --plan pro --json   # 400 tickets, Pro's limits

Starts the Zendesk sandbox (a plan's limits, 80-150 ms a request) and the OpenAI-compatible
stand-in (1.0 s +/- 20 %, 5,000 requests a minute) in this process, seeds N distinct tickets,
runs ``ticketbot run`` as a separate process and prints a table, or with ``--json`` one JSON
object: throughput against the bound (the smallest of workers x 60 / LLM latency, the LLM
RPM limit and the sandbox's write capacity of 100 tickets per update job x the Update Ticket
limit), Zendesk requests and 429s, LLM calls, per-ticket p50/p95, the run's peak RSS, its CPU
seconds per 1,000 tickets and the start-up's CPU seconds (the interpreter and the imports of
``ticketbot run``, median of 3).
Exit status: 0 when every ticket was triaged, 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from scripts.bench_figures import BenchSettings
from scripts.bench_harness import LLM_DOWN_MODES, parse_latency_range, run_bench


def parse_args(argv: list[str] | None = None) -> tuple[BenchSettings, bool]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add = parser.add_argument
    add("--tickets", type=int, help="tickets to seed and triage (2000; Freshdesk 400)")
    add("--workers", type=int, default=64, help="ticketbot run --workers (64)")
    add(
        "--engine",
        choices=("llm", "learned", "rules"),
        default="llm",
        help="llm, learned or rules (llm)",
    )
    add("--llm-latency", type=float, default=1.0, help="stand-in seconds per call (1.0)")
    add("--llm-jitter", type=float, default=0.2, help="+/- share of the latency (0.2)")
    add("--llm-rpm", type=int, default=5000, help="stand-in requests a minute; 0: none (5000)")
    add("--llm-tpm", type=int, default=0, help="stand-in tokens a minute; 0: none (0)")
    add("--llm-announce", action="store_true", help="stand-in sends x-ratelimit-* headers")
    add("--llm-429-rate", type=float, default=0.0, help="share of LLM calls answered 429 (0)")
    add("--llm-down", choices=LLM_DOWN_MODES, help="the LLM fully down: refused, error or hang")
    add(
        "--zendesk-latency-ms",
        "--helpdesk-latency-ms",
        default="80-150",
        help="sandbox latency, MS or LOW-HIGH (80-150)",
    )
    add("--plan", help="sandbox plan: Zendesk team .. high_volume, Freshdesk trial .. enterprise")
    add("--update-limit", type=int, default=100, help="Update Ticket requests a minute (100)")
    add("--duplicates", type=float, default=0.0, help="share of tickets repeating another (0)")
    add("--seed", type=int, default=7, help="random seed for texts and jitter (7)")
    add("--timeout", type=float, default=1800.0, help="kill the run after this many seconds")
    add("--workdir", type=Path, help="keep state, logs and the run's output in this new dir")
    add("--profile", type=Path, help="py-spy the run: .svg flame graph, .json speedscope, else raw")
    add("--kb-suggestions", type=int, default=3, help="help-centre suggestions; 0: off (3)")
    add("--max-runs", type=int, default=50, help="runs to finish the backlog in, as cron (50)")
    add("--json", action="store_true", help="print one JSON object instead of a table")
    add("--helpdesk", choices=("zendesk", "freshdesk"), default="zendesk", help="(zendesk)")
    add("--labelled", type=Path, help="ticket texts from this labelled JSONL file")
    add("--cascade", type=Path, metavar="MODEL", help="TICKETBOT_CASCADE with this model file")
    add(
        "--cascade-fields",
        default="category,urgency,sentiment",
        help="fields the model must be sure of (category,urgency,sentiment)",
    )
    add(
        "--no-retriage",
        action="store_true",
        help="TICKETBOT_RETRIAGE=false: no reply discovery, to compare its cost",
    )
    add(
        "--no-spam-gate",
        action="store_true",
        help="TICKETBOT_SPAM_GATE=false: no ticket scored by the spam head, to compare its cost",
    )
    args = parser.parse_args(argv)
    freshdesk = args.helpdesk == "freshdesk"
    if args.tickets is None:
        args.tickets = 400 if freshdesk else 2000
    if args.plan is None:
        args.plan = "pro" if freshdesk else "enterprise"
    # No ticket is allowed: a run that finds none measures what starting a run costs.
    if args.tickets < 0 or args.workers < 1:
        parser.error("--tickets must be at least 0 and --workers at least 1")
    if not 0.0 <= args.llm_429_rate <= 1.0:
        parser.error("--llm-429-rate must be in [0, 1]")
    if not 0.0 <= args.duplicates < 1.0:
        parser.error("--duplicates must be in [0, 1)")
    try:
        latency = parse_latency_range(args.zendesk_latency_ms)
    except ValueError as exc:
        parser.error(f"--zendesk-latency-ms: {exc}")
    return BenchSettings(
        tickets=args.tickets,
        workers=args.workers,
        engine=args.engine,
        llm_latency=args.llm_latency,
        llm_jitter=args.llm_jitter,
        llm_rpm=args.llm_rpm or None,
        llm_tpm=args.llm_tpm or None,
        llm_announce=bool(args.llm_announce),
        llm_429_rate=args.llm_429_rate,
        zendesk_latency_ms=latency,
        plan=args.plan,
        update_limit_per_min=args.update_limit,
        kb_suggestions=args.kb_suggestions,
        duplicates=args.duplicates,
        seed=args.seed,
        timeout=args.timeout,
        workdir=args.workdir,
        profile=args.profile,
        llm_down=args.llm_down,
        helpdesk=args.helpdesk,
        max_runs=args.max_runs,
        labelled=args.labelled,
        cascade_model=args.cascade,
        cascade_fields=args.cascade_fields,
        retriage=not args.no_retriage,
        spam_gate=not args.no_spam_gate,
    ), bool(args.json)


def table(result: dict[str, Any]) -> Table:
    s = result["settings"]
    title = (
        f"ticketbot run ({s['helpdesk']}): {result['tickets']} tickets, {s['workers']} workers, "
        f"engine {s['engine']}"
    )
    if s.get("llm_down"):
        title += f" (LLM down: {s['llm_down']})"
    out = Table(title=title, show_header=True, header_style="bold")
    out.add_column("measure")
    out.add_column("value", justify="right")
    rows = [
        ("triaged / failed / fallback", "{triaged} / {failed} / {fallback}"),
        ("wall seconds (pipeline seconds)", "{seconds} ({run_seconds})"),
        ("startup / shutdown seconds", "{startup_seconds} / {shutdown_seconds}"),
        ("tickets a minute", "{tickets_per_min}"),
        ("bound a minute (by)", "{bound_tickets_per_min} ({bound_by})"),
        ("ratio to bound", "{ratio_to_bound}"),
        ("helpdesk requests (per ticket)", "{helpdesk_requests} ({helpdesk_requests_per_ticket})"),
        ("helpdesk 429s", "{helpdesk_429}"),
        ("LLM calls (per ticket)", "{llm_calls} ({llm_calls_per_ticket})"),
        ("decided by the cascade's model / LLM cost saved", "{cascaded} / {cascade_saved_usd}"),
        ("LLM cost (USD)", "{cost_usd}"),
        ("category accuracy on the labelled tickets", "{category_accuracy}"),
        ("LLM 429s / max in flight", "{llm_429} / {llm_max_inflight}"),
        ("mean LLM seconds", "{mean_llm_seconds}"),
        ("ticket seconds p50 / p95", "{p50_ticket_seconds} / {p95_ticket_seconds}"),
        ("runs (triaged in each)", "{runs} ({triaged_per_run})"),
        ("minutes taken (runs back to back)", "{minutes}"),
        ("peak RSS MB over all runs / CPU seconds", "{peak_rss_mb} / {child_cpu_seconds}"),
        ("CPU seconds per 1,000 tickets", "{cpu_seconds_per_1000}"),
        ("tickets the spam head read (share)", "{spam_head_read} ({spam_head_share})"),
        ("start-up CPU seconds (imports of ticketbot run)", "{startup_cpu_seconds}"),
        ("peak RSS MB per run", "{peak_rss_mb_per_run}"),
        ("prompt / completion / cached tokens a ticket", "{tokens_per_ticket}"),
        ("load average before / after", "{load_avg_1min_before} / {load_avg_1min_after}"),
        ("exit code", "{exit_code}"),
    ]
    known = {
        "cascaded": 0,
        "cascade_saved_usd": 0.0,
        "cost_usd": 0.0,
        "category_accuracy": None,
        "startup_cpu_seconds": None,
        "spam_head_read": None,
        "spam_head_share": None,
        **result,
    }
    for label, template in rows:
        out.add_row(label, template.format(**known))
    return out


def main(argv: list[str] | None = None) -> int:
    settings, as_json = parse_args(argv)
    err = Console(stderr=True, highlight=False)

    def say(message: str) -> None:
        if not as_json:
            err.print(f"[dim]{message}[/]")

    if settings.helpdesk == "freshdesk":
        from scripts.bench_freshdesk import run_bench as run_freshdesk_bench

        result = run_freshdesk_bench(settings, say=say)
    else:
        result = run_bench(settings, say=say)
    ok = result["exit_code"] == 0 and result["triaged"] == result["tickets"] == settings.tickets
    if not ok and result["child_stderr_tail"]:
        err.print(f"[red]ticketbot run said:[/]\n{result['child_stderr_tail']}")
    if as_json:
        sys.stdout.write(
            orjson.dumps(result, option=orjson.OPT_INDENT_2, default=str).decode() + "\n"
        )
    else:
        Console(highlight=False).print(table(result))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
