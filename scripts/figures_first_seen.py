"""Incidents from first-seen addresses: what a run links, suggests and pages.

After a week of a shop's history (150 solved tickets), one real ``ticketbot run --since 1h``
(no LLM: the learned engine and its encoder; PagerDuty its stand-in) over an hour of crafted
reports of one fault in varied words from throw-away addresses (``x1@mail.test``, …), and over
a genuine outage of 25 reports, 15 of them from the week's customers and 10 from new addresses
of their own (``tests/support/first_seen.py``), on each helpdesk's sandbox. Prints one JSON
line per hour: the reports linked and suggested, PagerDuty's incident triggers, and what the
run's ``incident_vouched`` event counted.

    python -m scripts.figures incidents_first_seen [--kind zendesk] [--burst 10 --burst 60]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from support.first_seen import genuine, reports, throwaway, week
from support.incident_scenario import Spec, load_freshdesk, load_zendesk

from scripts import ROOT, command_parser
from ticket_processor.common.eventlog import read_events
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import serve_desk
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"


def first_seen_run(kind: str, name: str, specs: list[Spec]) -> dict[str, Any]:
    """The week and ``specs`` on a fresh sandbox of ``kind``, one run, what it did."""
    now = int(time.time())
    with (
        serve_desk(KINDS[kind]) as running,
        tempfile.TemporaryDirectory() as root,
        PagerDutyStandin() as pagerduty,
    ):
        sandbox = running.sandbox
        load = load_zendesk if kind == "zendesk" else load_freshdesk
        load(sandbox, week(now))
        ids = load(sandbox, specs)
        env = {
            **os.environ,
            **running.env(),
            "TICKETBOT_STATE_DIR": str(Path(root) / "state"),
            "TICKETBOT_LOG_DIR": str(Path(root) / "logs"),
            "TICKETBOT_INCIDENTS": "true",
            "TICKETBOT_PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
            "TICKETBOT_PAGERDUTY_URL": pagerduty.url,
            "PYTHONPATH": str(ROOT),
        }
        env.pop("OPENAI_API_KEY", None)
        done = subprocess.run(
            [sys.executable, "-m", "ticket_processor", "run", "--since", "1h"],
            env=env, capture_output=True, text=True, timeout=1800, check=False,
        )  # fmt: skip
        store = sandbox.store
        tags = [set((store.get(t) if kind == "zendesk" else store.find(t))["tags"]) for t in ids]
        since = datetime.now(UTC) - timedelta(days=1)
        vouched = [
            e for e in read_events(Path(root) / "logs", since=since)
            if e.get("event") == "incident_vouched"
        ]  # fmt: skip
        return {
            "helpdesk": kind,
            "hour": name,
            "reports": len(specs),
            "exit_code": done.returncode,
            "linked": sum(bool({"ai_incident", "ai_incident_problem"} & t) for t in tags),
            "suggested": sum("ai_incident_suggested" in t for t in tags),
            "incident_pages": sum(
                ":incident:" in e["dedup_key"] and e["event_action"] == "trigger"
                for e in pagerduty.state.events
            ),
            "vouched": [
                {k: e[k] for k in ("requesters", "vouched", "first_seen", "held", "shape")}
                for e in vouched
            ],
        }


def incidents_first_seen(argv: list[str] | None = None) -> None:
    parser = command_parser("incidents_first_seen")
    parser.add_argument("--kind", choices=tuple(KINDS), action="append")
    parser.add_argument("--burst", type=int, action="append", help="first-seen reports")
    args = parser.parse_args(argv)
    now = int(time.time())
    hours = [(f"first-seen burst of {n}", reports(throwaway(n), now, seed=n))
             for n in args.burst or (10, 25, 60)]  # fmt: skip
    hours.append(("genuine outage, 15 of 25 known", reports(genuine(now), now, seed=3)))
    for kind in args.kind or tuple(KINDS):
        for name, specs in hours:
            print(json.dumps(first_seen_run(kind, name, specs)), flush=True)
