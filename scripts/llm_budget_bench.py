"""Six processes on one LLM key, with and without the shared budget (TICKETBOT_LLM_BUDGET).

Starts a real Redis server and the OpenAI-compatible stand-in, which answers 429 above
``--rpm`` calls in any 60 s (as providers do), then runs ``ticketbot eval --engine llm`` in
``--processes`` processes at once, ``--tickets`` distinct tickets each:

1. without the budget (each process paces itself alone);
2. with the budget at ``--rpm`` calls a minute;
3. one process alone with the budget and enough tickets to need more than a minute, to show
   it can use the whole budget (the calls it made in its busiest 60 s, against the budget).

Prints, per case, the calls the stand-in answered, the 429s it gave (and their share), and the
tickets the LLM analysed (the rest fell back to a local engine).

    python scripts/llm_budget_bench.py [--processes 6] [--tickets 100] [--rpm 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread

WINDOW = 60.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


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
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TICKETBOT_", "OPENAI_"))} | {
        "OPENAI_BASE_URL": llm_url,
        "OPENAI_API_KEY": "sk-bench-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_WORKERS": "32",
    }
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--processes", type=int, default=6)
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--rpm", type=int, default=300)
    args = parser.parse_args()
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: apt-get install redis-server")
    workdir = Path(tempfile.mkdtemp(prefix="ticketbot-budget-"))
    port = _free_port()
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


if __name__ == "__main__":
    main()
