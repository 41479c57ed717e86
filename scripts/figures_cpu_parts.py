"""The CPU of a run's parts, each alone: the encoder, redaction, the spam reading, an LLM call."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from scripts import ROOT, command_parser
from ticket_processor.learned.embed import Encoder
from ticket_processor.llm import LLMAnalyser
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

# encoder_cpu -------------------------------------------------------------------------------------

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = (
    "answers_tickets.jsonl",
    "replies.jsonl",
    "replies_second.jsonl",
    "kb_tickets.jsonl",
    "examples_tickets.jsonl",
)


def texts() -> list[str]:
    found: list[str] = []
    for name in FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            body = row.get("text") or row.get("description") or row.get("body") or ""
            found.append(f"{row.get('subject', '')}\n{body}")
    return found


def encoder_cpu(argv: list[str] | None = None) -> None:
    parser = command_parser("encoder_cpu")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    rows = texts()
    started = time.process_time()
    model = Encoder()._load()
    model.encode(["warm"])  # the weights and the tokeniser load on the first call
    loaded = time.process_time() - started
    started = time.process_time()
    for text in rows:
        Encoder().encode([text])
    encoded = time.process_time() - started
    figures = {
        "texts": len(rows),
        "mean_chars": round(sum(map(len, rows)) / len(rows)),
        "load_cpu_seconds": round(loaded, 3),
        "encode_cpu_seconds": round(encoded, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        load, encode = figures["load_cpu_seconds"], figures["encode_cpu_seconds"]
        print(
            f"{figures['texts']} texts, {figures['mean_chars']} characters on average: "
            f"loading {load} s of CPU, encoding {encode} s"
        )


# redaction_cpu -----------------------------------------------------------------------------------

# The measurement, run by a child interpreter on the checkout it is given: the same code
# measures this checkout and any other, none of whose modules this process has loaded. Its
# PYTHONPATH names the checkout and its scripts/ folder, so an older checkout whose scripts
# were loose files measures too.
_REDACTION_CPU_CHILD = """
import json, sys, time
root, tickets, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from bench_harness import make_tickets
from ticket_processor.triage.redact import redact
seeded = make_tickets(tickets, duplicates=0.0, seed=7)
texts = [text for t in seeded for text in (t.subject, t.description)]
redact("warm up: +44 20 7946 0958, jane@example.com")
started = time.process_time()
for _ in range(rounds):
    for text in texts:
        redact(text)
print(json.dumps({"texts": len(texts) * rounds, "cpu_seconds": time.process_time() - started}))
"""


def redaction_cpu(argv: list[str] | None = None) -> None:
    parser = command_parser("redaction_cpu")
    parser.add_argument("--tickets", type=int, default=2000, help="tickets' texts (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="times over them (3)")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="the repository measured (this one)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    root = args.checkout.resolve()
    if not (root / "ticket_processor").is_dir():
        parser.error(f"--checkout {args.checkout}: no ticket_processor package there")
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _REDACTION_CPU_CHILD,
            str(root),
            str(args.tickets),
            str(args.rounds),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(root), str(root / "scripts")))},
    )
    measured = json.loads(child.stdout)
    spent, texts = measured["cpu_seconds"], measured["texts"]
    figures = {
        "texts": texts,
        "cpu_seconds": round(spent, 3),
        "cpu_ms_per_text": round(1000 * spent / texts, 4),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['texts']} texts: {figures['cpu_seconds']} s of CPU, "
            f"{figures['cpu_ms_per_text']} ms a text"
        )


# spam_reading_cpu --------------------------------------------------------------------------------


def spam_reading_cpu(argv: list[str] | None = None) -> None:
    parser = command_parser("spam_reading_cpu")
    parser.add_argument("--tickets", type=int, default=2000, help="tickets (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="times over them (3)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    from scripts.bench_harness import make_tickets
    from ticket_processor.spam.lures import lure_families
    from ticket_processor.spam.reading import read_ticket

    tickets = make_tickets(args.tickets, duplicates=0.0, seed=7)
    texts = [read_ticket(t.subject, t.description).text for t in tickets]  # and warm up
    started = time.process_time()
    for _ in range(args.rounds):
        for ticket in tickets:
            read_ticket(ticket.subject, ticket.description)
    reading = time.process_time() - started
    started = time.process_time()
    for _ in range(args.rounds):
        for text in texts:
            lure_families(text)
    lures = time.process_time() - started
    figures = {
        "tickets": len(tickets) * args.rounds,
        "reading_cpu_seconds": round(reading, 3),
        "lures_cpu_seconds": round(lures, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['tickets']} tickets: reading {figures['reading_cpu_seconds']} s of CPU, "
            f"of which lure families {figures['lures_cpu_seconds']} s"
        )


# llm_call_cpu ------------------------------------------------------------------------------------

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


def llm_call_cpu(argv: list[str] | None = None) -> None:
    parser = command_parser("llm_call_cpu")
    parser.add_argument("--calls", type=int, default=300, help="calls a round (300)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (7)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
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
