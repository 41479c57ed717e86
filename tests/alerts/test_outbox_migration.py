"""An upgrade loses nothing: the ``escalations.json`` an earlier version kept is read once into
the outbox (``escalations.sqlite3``) and removed. What a channel took is not sent again, what it
did not take is delivered, an open page is still resolved when its ticket ends, and an open
incident's page is not paged again. A damaged outbox is set aside and a new one started: a
page may go twice, never not at all."""

from __future__ import annotations

import time
from pathlib import Path

import orjson

from ticket_processor.alerts.channels import Channels, Escalated, PagedIncident
from ticket_processor.alerts.delivery import Poster
from ticket_processor.alerts.pagerduty import PagerDuty, dedup_key
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

HELPDESK = "https://acme.zendesk.com"
ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"


def test_an_earlier_versions_memory_is_read_once_and_nothing_is_lost(tmp_path: Path) -> None:
    now = time.time()
    paged = dedup_key(HELPDESK, "ticket:7")
    incident = dedup_key(HELPDESK, "incident:40")
    url = f"{HELPDESK}/agent/tickets/"
    old = {
        "tickets": {
            "7": {"at": now, "routes": ["hot"], "sent": ["pagerduty"], "paged": paged,
                  "subject": "Site down", "url": url + "7"},
            "8": {"at": now, "routes": ["hot"], "sent": [], "subject": "Login broken",
                  "url": url + "8"},
        },
        "incidents": {"40": {"paged": incident, "at": now}},
        "summary_day": "2026-01-01",
        "summary_at": now,
    }  # fmt: skip
    (tmp_path / "escalations.json").write_bytes(orjson.dumps(old))
    with PagerDutyStandin() as standin:

        def channels() -> Channels:
            pagerduty = PagerDuty(ROUTING_KEY, Poster("PagerDuty", timeout=5.0), standin.url)
            return Channels(tmp_path, HELPDESK, "host1", pagerduty=pagerduty)

        outcomes = channels().escalated([], run_id="r1")
        assert [(o.channel, o.outcome, o.tickets) for o in outcomes] == [
            ("pagerduty", "sent", (8,))
        ]
        assert not (tmp_path / "escalations.json").exists()
        assert channels().escalated([], run_id="r2") == []
        assert channels().open_pages() == (7, 8)
        outage = PagedIncident(40, "Login page down", 12, url + "40")
        assert channels().incidents([outage], run_id="r3") == []  # paged before the upgrade
        resolved = channels().resolve_ended({7: "solved", 8: "open"})
        assert [(o.outcome, o.tickets) for o in resolved] == [("sent", (7,))]
        assert [e["dedup_key"] for e in standin.state.events] == [
            dedup_key(HELPDESK, "ticket:8"),
            paged,
        ]


def test_a_damaged_outbox_is_set_aside_and_the_escalation_still_pages(tmp_path: Path) -> None:
    (tmp_path / "escalations.sqlite3").write_bytes(b"not a database, " * 100)
    with PagerDutyStandin() as standin:
        pagerduty = PagerDuty(ROUTING_KEY, Poster("PagerDuty", timeout=5.0), standin.url)
        chan = Channels(tmp_path, HELPDESK, "host1", pagerduty=pagerduty)
        ticket = Escalated(7, "Site down", ("hot",), f"{HELPDESK}/agent/tickets/7")
        outcomes = chan.escalated([ticket], run_id="r1")
        assert [(o.outcome, o.tickets) for o in outcomes] == [("sent", (7,))]
        assert len(standin.state.events) == 1
    assert list(tmp_path.glob("escalations.sqlite3.bad-*"))
