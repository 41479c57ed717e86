"""The run fingerprint: what ticketbot asks of each helpdesk and writes, normalised, per scenario.

Its parts: ``fingerprint_base.py`` (constants, normalisation, helpers), ``fingerprint_desks.py``
(processes, the helpdesks' APIs), ``fingerprint_scenario.py`` (one scenario); its routes, fields
and tickets are in ``scripts/data/fingerprint/``."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scripts.fingerprint_base import ENGINES, HELPDESKS, LEARNED, Webhook
from scripts.fingerprint_desks import child_env
from scripts.fingerprint_scenario import Scenario

# run_fingerprint ---------------------------------------------------------------------------------

RUN_FINGERPRINT_DOC = """\
A behaviour fingerprint of ticketbot runs: what a run writes and which API calls it makes,
on the local Zendesk and Freshdesk sandboxes, as one JSON document that ``diff`` can compare.

It measures, for each helpdesk (Zendesk, Freshdesk) and each engine (``rules``: the keyword
rules; ``llm``: the LLM path through the OpenAI-compatible stand-in that ``ticketbot sandbox
--llm`` serves), one scenario on a fresh sandbox:

1. ``ticketbot sandbox`` on a free loopback port with its own ``--state`` file, ``ticketbot
   seed --count 50`` (the shipped sample tickets, groups, help centre), then over the
   sandbox's plain HTTP API two custom fields (a text field "Order number", a drop-down
   "Product") and four tickets of this script's own (three fill the fields, one is routed to
   Security and escalated);
   ``TICKETBOT_ROUTES`` (a copy of the sample routes, with escalation and an extra tag),
   ``TICKETBOT_FIELDS`` and ``TICKETBOT_ALERT_WEBHOOK`` (a local receiver in this script);
2. ``run1``: ``ticketbot run --engine E --workers 1``; ``run2``: the same again, which should
   write nothing;
3. unless ``--quick``: three customer replies (an angry one, a thank-you, an out-of-office)
   over the helpdesk's API, then ``run3`` (re-triage) and ``run4`` (should write nothing). On
   Zendesk the ticket event export leaves out its last minute, so ``run3`` waits until the
   replies are a minute old, and the audit log is read a minute after the last run;
4. ``served``: ``ticketbot serve`` on a free port, two new tickets delivered to it as the
   helpdesk's webhook sends them (signed), served until both carry the marker, then SIGTERM;
5. ``backfill``: two more tickets, ``ticketbot backfill --since <yesterday> --no-batch``
   (the backfill's own cursor), then ``run5``, which should write nothing but count what
   ``serve`` triaged (the served journal).

What is recorded (``scenarios.<helpdesk>/<engine>``):

- ``tickets``: every ticket, keyed by its subject (ids are not stable: Freshdesk's seed
  creates tickets concurrently), read back over the helpdesk's API after the last run: status,
  priority, tags (sorted), group and assignee (by name), custom fields (by title), and every
  comment / conversation in order (author role, public or private, body as sent).
- ``phases.<phase>.api_calls``: the API calls the helpdesk sandbox received during that
  command, from the sandbox's own request counters (``GET /sandbox/stats``, reset with ``POST
  /sandbox/reset_stats`` before each command): a multiset of ``METHOD /path-pattern`` -> count,
  plus its rate-limit, fault, job and (Freshdesk) credit counters. Job status polls
  (``GET .../job_statuses/{job_id}``) count as ``polled``: how many polls a job takes before
  the sandbox's job thread finishes depends on the machine's load; ``api_calls_total`` leaves
  them out. Zendesk's ``PUT /api/v2/tickets/update_many`` counts as ``batched`` too: the run's
  writer sends a batch once its first ticket waited a second, so a run slowed by a busy machine
  sends its 54 tickets in two jobs instead of one; every write is still in ``audits``.
  Neither sandbox exposes a per-request log over HTTP, so calls are compared as this multiset;
  their order is not recorded.
  ``llm_calls`` is the stand-in's ``/stats`` counters over the same command (llm scenarios).
- ``phases.<phase>.changed``: the tickets that command wrote (their tags, priority, group,
  assignee, fields or ``updated_at`` moved; so ``run2`` and ``run4`` should show none);
  ``stdout``/``exit_code``: the command's output.
- ``phases.<phase>.log``: the run's JSON-lines log events (``TICKETBOT_LOG_DIR``).
- ``phases.<phase>.webhook``: the alert / escalation posts the run made.
- ``audits`` (Zendesk, without ``--quick``): the sandbox's audit trail, read through the
  ticket event export (``GET /api/v2/incremental/ticket_events.json``): every write, by
  phase and ticket, with what each changed (comment bodies as a hash: they are in ``tickets``).

Normalised away: on Freshdesk, ``run3``'s count of tickets listed again (``skipped``,
``tickets_seen``: run1's writes that shared its last second, which depends on the machine's
speed); timestamps and dates, run ids, durations and latencies (any key ending in
``seconds``, ``_s``, ``_at``, ``ts``), ports and loopback URLs, temporary paths, ticket,
comment, user, group and field ids where the API gives them (replaced by subjects, ordinals
and names), a comment's ``answers=<id>`` in a trailer (replaced by the comment's ordinal in its
ticket), ticket ids in alert texts (by subject), and the host name. Ids that the seed makes
the same every time (groups, help-centre articles: ``group=…``, ``articles=…`` in a note's
trailer) are kept as written.

Run it from the checkout whose behaviour you want (the package importable as
``ticket_processor``, e.g. its venv, or ``PYTHONPATH=<checkout>``); it takes about three and a
half minutes, mostly Zendesk's minute waits (the four scenarios run side by side; ``--quick``
under a minute). It exits 1 if any ticketbot command failed.

    python -m scripts.figures run_fingerprint --out /tmp/fingerprint-after.json
    diff /tmp/fingerprint-before.json /tmp/fingerprint-after.json && echo same

It talks to ticketbot only through ``python -m ticket_processor`` (``sandbox``, ``seed``,
``run``), environment variables, and plain HTTP to the sandboxes, so it measures the same thing
before and after modules move. Nothing outside its temporary directory is touched.
"""


# fp_main ------------------------------------------------------------------------------------------

# -- main -------------------------------------------------------------------------------------


def fingerprint(
    helpdesks: list[str], engines: list[str], *, quick: bool, parallel: bool, python: str
) -> dict[str, Any]:
    hook = Webhook()
    root = Path(tempfile.mkdtemp(prefix="ticketbot-fingerprint-"))
    try:
        scenarios = [
            Scenario(h, e, quick, python, hook, root / f"{h}-{e}")
            for h in helpdesks
            for e in engines
        ]
        for scenario in scenarios:
            scenario.workdir.mkdir()
        with ThreadPoolExecutor(len(scenarios) if parallel else 1) as pool:
            results = list(pool.map(Scenario.run, scenarios))
    finally:
        hook.close()
        shutil.rmtree(root, ignore_errors=True)
    version = subprocess.run(
        [python, "-m", "ticket_processor", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env=child_env({}),
        timeout=60,
    ).stdout.strip()
    summary = {}
    for scenario, result in zip(scenarios, results, strict=True):
        tickets = result["tickets"]
        summary[scenario.name] = {
            "tickets": len(tickets),
            "comments": sum(len(t["comments"]) for t in tickets.values()),
            "private_notes": sum(
                1 for t in tickets.values() for c in t["comments"] if not c["public"]
            ),
            "api_calls_by_phase": {
                p: r.get("api_calls_total") for p, r in result["phases"].items() if "api_calls" in r
            },
            "audits": len(result.get("audits", [])),
        }
    return {
        "fingerprint_version": 1,
        "ticketbot_version": version,
        "quick": quick,
        "api_call_source": "the sandbox's request counters (GET /sandbox/stats) per command"
        + ("; Zendesk writes from the ticket event export" if not quick else ""),
        "summary": summary,
        "scenarios": {s.name: r for s, r in zip(scenarios, results, strict=True)},
    }


def run_fingerprint(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=RUN_FINGERPRINT_DOC.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    parser.add_argument("--helpdesk", choices=[*HELPDESKS, "all"], default="all")
    parser.add_argument("--engine", choices=[*ENGINES, LEARNED, "all"], default="all")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only seed, run1 and run2: no replies, no Zendesk audit (no minute waits)",
    )
    parser.add_argument("--serial", action="store_true", help="one scenario at a time")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter that runs ticketbot"
    )
    args = parser.parse_args(argv)
    helpdesks = list(HELPDESKS) if args.helpdesk == "all" else [args.helpdesk]
    engines = list(ENGINES) if args.engine == "all" else [args.engine]
    started = time.monotonic()
    doc = fingerprint(
        helpdesks, engines, quick=args.quick, parallel=not args.serial, python=args.python
    )
    text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    print(
        f"fingerprint: {json.dumps(doc['summary'], sort_keys=True)} "
        f"in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    failed = [
        f"{name} {phase}"
        for name, scenario in doc["scenarios"].items()
        for phase, record in scenario["phases"].items()
        if record.get("exit_code", 0) != 0
    ]
    if failed:
        print(f"fingerprint: commands failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
