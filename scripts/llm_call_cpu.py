"""CPU of one LLM call on ticketbot's side: the calling thread's CPU per ``LLMAnalyser.analyse``.

A whole run's CPU (``scripts/bench.py``) moves by a second or two between runs on a shared
machine, more than a change to the LLM call path saves; this measures that path alone. The
OpenAI-compatible stand-in answers from a child process (no latency, so nothing here waits
on the GIL for it) and ``analyse`` runs in the main thread, which makes the whole call (the
prompt, the SDK's request building, httpx, the read of the answer); ``time.thread_time`` of
that thread is the figure.

    python scripts/llm_call_cpu.py                 # 300 calls a round, seven rounds
    PYTHONPATH=/path/to/other/checkout python scripts/llm_call_cpu.py --json

Prints the CPU microseconds a call: the least and the median over the rounds (on a loaded
machine the least is the steadier figure: other processes only ever add to a round).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

from ticket_processor.llm import LLMAnalyser
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

TICKETS = [
    ("Refund for order 1234", "I was charged twice for my order, please refund one of them."),
    ("Cannot log in", "The app says my password is wrong although I reset it an hour ago."),
    ("Parcel not arrived", "My parcel was due on Monday and the tracking has not moved since."),
    ("Crash on start", "Since the last update the app closes as soon as I open it on Android."),
    ("Invoice needs company name", "Please add my company's name to the invoice for March."),
    ("Ich möchte kündigen", "Bitte kündigen Sie mein Abo zum Monatsende, danke."),
    ("Wrong size delivered", "I ordered a medium and got a small. How do I exchange it?"),
    ("Thanks!", "Just wanted to say the support team was great yesterday."),
]

# The stand-in in a child process: prints its base URL, serves until its stdin closes.
STANDIN = """
import sys
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
with serve_in_thread(StandinConfig(seed=7)) as running:
    print(running.url, flush=True)
    sys.stdin.read()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls a round (300)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (7)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    tickets = [prepare_ticket(subject, body) for subject, body in TICKETS]
    with subprocess.Popen(
        [sys.executable, "-c", STANDIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as standin:
        assert standin.stdout is not None
        assert standin.stdin is not None
        url = standin.stdout.readline().strip()
        analyser = LLMAnalyser(models=("stand-in",), taxonomy=taxonomy, api_key="k", base_url=url)
        for ticket in tickets:  # connections made, caches warm
            analyser.analyse(ticket)
        rounds: list[float] = []
        for _ in range(args.rounds):
            started = time.thread_time()
            for index in range(args.calls):
                analyser.analyse(tickets[index % len(tickets)])
            rounds.append((time.thread_time() - started) / args.calls * 1e6)
        analyser.close()
        standin.stdin.close()  # the child's read ends: it stops
    least, median = min(rounds), statistics.median(rounds)
    if args.json:
        print(json.dumps({"least_us": round(least), "median_us": round(median), "rounds": rounds}))
    else:
        each = ", ".join(f"{value:.0f}" for value in rounds)
        print(f"CPU a call: least {least:.0f} µs, median {median:.0f} µs (rounds: {each})")


if __name__ == "__main__":
    main()
