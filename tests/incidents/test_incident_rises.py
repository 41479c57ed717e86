"""The incident pass and the rising categories, on each helpdesk's sandbox with the stand-in
encoder: on a first run the rising seed takes its tickets from the pass's one reading of the
window (no second reading); a category rising only because of an incident's reports is named
in that incident's alert, not alerted again, and shows in ``report`` as the incident's; a
spike of unrelated tickets in the same category beside the incident still alerts."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from support.events import Events
from support.incident_scenario import LOADERS, Spec
from support.webhook import Receiver
from support.word_encoder import encode

from ticket_processor.alerts.alerter import Alerter
from ticket_processor.incidents.book import load_book
from ticket_processor.incidents.plan import Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.run_pass import IncidentPass
from ticket_processor.models import Cursor, TicketPage
from ticket_processor.report.trends import trends, trends_table
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.state.ledger import RunLedger
from ticket_processor.topics.rising import BASELINE_DAYS, load_counts
from ticket_processor.topics.run_pass import RisingWatch, categoriser, note_rising, open_watch
from ticket_processor.triage.chain import LocalEngine
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

pytestmark = pytest.mark.desk(raw=True, configure=True)
POLICY = IncidentPolicy(similarity=0.3, repeat_similarity=0.3)  # the stand-in encoder's scale
DAY = 86400


class Counted:
    """The real helpdesk, counting the readings started on it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.readings = 0

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        self.readings += 1
        pages: Iterator[TicketPage] = self.inner.ticket_pages(cursor, since=since, query=query)
        return pages

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _requesters(ids: list[int]) -> dict[int, int]:
    """Each ticket's requester as ticketbot reads it from the helpdesk, whichever kind."""
    helpdesk = connect(load_settings(os.environ))
    try:
        found = {t.id: t.requester_id for t in helpdesk.tickets(ids)}
    finally:
        helpdesk.close()
    assert all(found.get(i) is not None for i in ids), found
    return {i: int(found[i] or 0) for i in ids}


def _scene(
    kind: str, desk: Any, *, outage: int, unrelated: int
) -> tuple[list[Sighting], list[int]]:
    """Ten days of ordinary tickets (the rules call them ``other``), then this hour: ``outage``
    customers reporting one checkout error and ``unrelated`` other bugs, each its own."""
    now = int(time.time())
    history = [
        Spec(
            f"w{i}a w{i}b",
            f"w{i}c w{i}d",
            f"c{i}@example.com",
            now - 2 * DAY - 4000 * i,
            "solved",
            "x",
        )
        for i in range(200)
    ]
    today = [
        Spec(
            "checkout error 502",
            "checkout error 502 upstream",
            f"c{i}@example.com",  # a customer of the week: one the helpdesk knows
            now - 3000 + 10 * i,
            "open",
            "outage",
        )
        for i in range(outage)
    ] + [
        Spec(
            f"u{i}a u{i}b crash",
            f"u{i}c u{i}d u{i}e",
            f"u{i}@example.com",
            now - 2900 + 15 * i,
            "open",
            "bug",
        )
        for i in range(unrelated)
    ]
    load = LOADERS[kind]
    load(desk, history)
    ids = load(desk, today)
    requesters = _requesters(ids)
    sightings = [
        Sighting(
            t,
            s.subject,
            f"{s.subject}\n{s.body}",
            requesters[t],
            s.created_at,
            "bug",
            True,
        )
        for t, s in zip(ids, today, strict=True)
    ]
    return sightings, ids[:outage]


def _run(
    desk_kind: str, desk: Any, receiver: Receiver, *, outage: int, unrelated: int
) -> tuple[RisingWatch, Counted, Events, Path]:
    sightings, _ = _scene(desk_kind, desk, outage=outage, unrelated=unrelated)
    state = Path(os.environ["TICKETBOT_STATE_DIR"])
    state.mkdir(parents=True, exist_ok=True)
    alerter = Alerter(receiver.url, state=RunLedger(state), source="test")
    taxonomy = load_taxonomy(None)
    rules = LocalEngine("rules", RulesEngine(taxonomy))
    watch = open_watch(
        state,
        {None: {"bug": len(sightings)}},  # the run's tickets, of no known day: today
        categoriser(taxonomy, "ai_", [rules]),
        today=datetime.now(UTC).date(),
    )
    helpdesk = Counted(connect(load_settings(os.environ)))
    desk_api: Any = helpdesk  # the real helpdesk behind a counter
    log = Events()
    try:
        IncidentPass(
            POLICY,
            desk_api,
            state,
            log,
            "r1",
            False,
            alerter,
            encode=encode,
            rising=watch,
        ).run(sightings)
    finally:
        helpdesk.inner.close()
    note_rising(state, watch, alerter, log)
    return watch, helpdesk, log, state


def test_a_rise_the_incident_explains_is_in_its_alert_only(
    desk_kind: str, desk: Any, receiver: Receiver
) -> None:
    watch, helpdesk, log, state = _run(desk_kind, desk, receiver, outage=12, unrelated=0)
    # One reading of the helpdesk fed both: the window and the rising seed.
    assert helpdesk.readings == 1
    [baseline] = [e for e in log.items if e["event"] == "incident_baseline"]
    assert baseline["shared"] is True
    assert baseline["complete"] is True
    assert watch.seed_read
    assert watch.counts.seeded
    assert watch.seed_tickets >= 190
    # From the oldest ticket's day (eleven days back) to yesterday: less than the span asked.
    assert 10 <= watch.counts.history_days(watch.today) < BASELINE_DAYS

    texts = [b["text"] for b in receiver.bodies]
    assert len(texts) == 1, texts
    assert "customers report the same problem" in texts[0]
    assert "Rising with it: bug: 12 today" in texts[0]
    explained = [e for e in log.items if e["event"] == "category_rising"]
    assert [(e["key"], e["alert"]) for e in explained] == [("bug", "explained")]
    [incident] = load_book(state / "incidents")[0].open_incidents()
    assert explained[0]["incident"] == incident.key
    assert any("bug: 12 today" in r for r in incident.rising)
    # The report shows the rise as the incident's.
    [bug] = [t for t in trends(load_counts(state), watch.today) if t.key == "bug"]
    assert bug.rising
    assert bug.explained_by == incident.key
    assert trends_table([bug]).columns[-1]._cells == [
        f"[yellow]rising: incident #{incident.key}[/]"
    ]


def test_unrelated_tickets_rising_beside_an_incident_still_alert(
    desk_kind: str, desk: Any, receiver: Receiver
) -> None:
    watch, _, _log, state = _run(desk_kind, desk, receiver, outage=6, unrelated=12)
    texts = [b["text"] for b in receiver.bodies]
    incident_alerts = [t for t in texts if "customers report the same problem" in t]
    assert len(incident_alerts) == 1, texts
    assert "Rising with it" not in incident_alerts[0]
    rising = [t for t in texts if "category rising" in t]
    assert len(rising) == 1, texts
    assert "bug: 18 today" in rising[0]
    [bug] = [t for t in trends(load_counts(state), watch.today) if t.key == "bug"]
    assert bug.rising
    assert bug.explained_by is None
