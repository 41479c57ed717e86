"""PagerDuty's Events API v2 against the stand-in that checks the documented event: a trigger
per escalated ticket with a stable dedup key, no second trigger on a second run, a resolve when
the ticket ends, retries within the run's deadline, and a wrong event refused as PagerDuty does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.ports import held_refused_port

from ticket_processor.alerts.channels import Channels, Escalated, PagedIncident
from ticket_processor.alerts.delivery import EXCHANGE_SECONDS, Poster
from ticket_processor.alerts.outbox import Outbox
from ticket_processor.alerts.pagerduty import PagerDuty, dedup_key
from ticket_processor.resilience.deadline import RunDeadline
from ticket_processor.sandbox.pagerduty import PagerDutyStandin

ROUTING_KEY = "R0UT1NGKEY0123456789abcdef012345"  # 32 characters, as PagerDuty's are
HELPDESK = "https://acme.zendesk.com"


@pytest.fixture
def pagerduty() -> Iterator[PagerDutyStandin]:
    with PagerDutyStandin() as standin:
        yield standin


def channels(
    standin: PagerDutyStandin,
    state: Path,
    *,
    waits: list[float] | None = None,
    deadline: RunDeadline | None = None,
    key: str = ROUTING_KEY,
) -> Channels:
    # The exchange's own bound: a busy box may answer a post in more than a couple of seconds,
    # and no test here is about a slow PagerDuty (a dead one is refused at once).
    poster = Poster("PagerDuty", timeout=EXCHANGE_SECONDS, deadline=deadline)
    return Channels(
        state,
        HELPDESK,
        "host1",
        pagerduty=PagerDuty(key, poster, url=standin.url),
        deadline=deadline,
        sleep=(waits.append if waits is not None else lambda s: None),
    )


def ticket(ticket_id: int, subject: str = "Site down for everyone") -> Escalated:
    return Escalated(ticket_id, subject, ("hot",), f"{HELPDESK}/agent/tickets/{ticket_id}")


def test_the_stand_in_refuses_what_pagerduty_refuses(pagerduty: PagerDutyStandin) -> None:
    good = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "k1",
        "payload": {"summary": "s", "source": "host1", "severity": "error"},
    }
    assert requests.post(pagerduty.url, json=good, timeout=5).status_code == 202
    wrong = [
        {**good, "routing_key": "short"},
        {**good, "event_action": "page"},
        {**good, "payload": {"summary": "s", "source": "host1", "severity": "fatal"}},
        {**good, "payload": {"source": "host1", "severity": "error"}},
        {"routing_key": ROUTING_KEY, "event_action": "resolve"},  # resolve needs its key
    ]
    for body in wrong:
        answer = requests.post(pagerduty.url, json=body, timeout=5)
        assert answer.status_code == 400, body
        assert answer.json()["status"] == "invalid event"
        assert answer.json()["errors"]
    assert len(pagerduty.state.events) == 1


def test_an_escalation_triggers_once_and_a_second_run_does_not_again(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    outcomes = channels(pagerduty, tmp_path).escalated([ticket(7)], run_id="r1")
    assert [(o.channel, o.outcome) for o in outcomes] == [("pagerduty", "sent")]
    (event,) = pagerduty.state.events
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == dedup_key(HELPDESK, "ticket:7")
    assert event["payload"]["severity"] == "error"
    assert "Site down for everyone" in event["payload"]["summary"]
    assert event["links"] == [{"href": f"{HELPDESK}/agent/tickets/7", "text": "Ticket #7"}]
    # The next cron run (a new process: new Channels over the same state directory) escalates
    # the same ticket again, on a customer's reply: no second trigger.
    assert channels(pagerduty, tmp_path).escalated([ticket(7)], run_id="r2") == []
    assert len(pagerduty.state.events) == 1
    assert [a.status for a in pagerduty.state.alerts] == ["triggered"]


def test_the_dedup_key_is_stable_and_names_no_host() -> None:
    key = dedup_key(HELPDESK, "ticket:7")
    assert key == dedup_key(HELPDESK + "/", "ticket:7")
    assert key != dedup_key("https://other.zendesk.com", "ticket:7")
    assert "acme" not in key
    assert len(key) <= 255


def test_a_page_is_resolved_when_its_ticket_is_solved(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    first = channels(pagerduty, tmp_path)
    first.escalated([ticket(7), ticket(8)], run_id="r1")
    later = channels(pagerduty, tmp_path)
    assert sorted(later.open_pages()) == [7, 8]
    outcomes = later.resolve_ended({7: "open", 8: "solved"})
    assert [(o.channel, o.outcome, o.tickets) for o in outcomes] == [
        ("pagerduty_resolve", "sent", (8,))
    ]
    assert {a.dedup_key: a.status for a in pagerduty.state.alerts} == {
        dedup_key(HELPDESK, "ticket:7"): "triggered",
        dedup_key(HELPDESK, "ticket:8"): "resolved",
    }
    assert channels(pagerduty, tmp_path).open_pages() == (7,)
    # Escalated again once reopened: a new escalation, a new alert under the same key.
    channels(pagerduty, tmp_path).escalated([ticket(8)], run_id="r3")
    assert [a.status for a in pagerduty.state.alerts if a.dedup_key.endswith(":8")] == [
        "resolved",
        "triggered",
    ]


def test_a_busy_pagerduty_is_retried_with_back_off(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    pagerduty.state.fail_next = [500, 429]
    waits: list[float] = []
    outcomes = channels(pagerduty, tmp_path, waits=waits).escalated([ticket(7)], run_id="r1")
    assert [o.outcome for o in outcomes] == ["sent"]
    assert len(waits) == 2
    assert len(pagerduty.state.events) == 1


def test_retries_stop_at_the_runs_deadline_and_the_next_run_pages(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    pagerduty.state.fail_next = [503, 503, 503]
    now = [0.0]
    deadline = RunDeadline(10.0, clock=lambda: now[0], grace=1.0)
    now[0] = 10.5  # half a second of grace left: less than any back-off
    waits: list[float] = []
    outcomes = channels(pagerduty, tmp_path, waits=waits, deadline=deadline).escalated(
        [ticket(7)], run_id="r1"
    )
    assert [o.outcome for o in outcomes] == ["failed"]
    assert "delivered later" in outcomes[0].detail
    assert waits == []
    assert pagerduty.state.events == []
    pagerduty.state.fail_next = []
    again = channels(pagerduty, tmp_path).escalated([ticket(7)], run_id="r2")
    assert [o.outcome for o in again] == ["sent"]


def test_a_refused_event_says_why_without_the_routing_key(
    pagerduty: PagerDutyStandin, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    short = "tooShortKey-secret-value"
    outcomes = channels(pagerduty, tmp_path, key=short).escalated([ticket(7)], run_id="r1")
    (outcome,) = outcomes
    assert outcome.outcome == "failed"
    assert "HTTP 400" in outcome.detail
    assert "routing_key" in outcome.detail
    assert short not in outcome.detail
    assert short not in caplog.text
    # Not remembered as delivered: the next run (with the key fixed) pages.
    assert channels(pagerduty, tmp_path).escalated([ticket(7)], run_id="r2")[0].outcome == "sent"
    memory = b"".join(p.read_bytes() for p in tmp_path.glob("escalations.sqlite3*"))
    assert ROUTING_KEY.encode() not in memory
    assert Outbox(tmp_path).owed(["pagerduty"], since=0) == []


def test_an_incident_pages_once_as_critical_and_resolves_when_it_closes(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    outage = PagedIncident(40, "Login page down", 12, f"{HELPDESK}/agent/tickets/40")
    first = channels(pagerduty, tmp_path).incidents([outage], run_id="r1")
    assert [(o.channel, o.outcome, o.tickets) for o in first] == [
        ("pagerduty_incident", "sent", (40,))
    ]
    (event,) = pagerduty.state.events
    assert event["dedup_key"] == dedup_key(HELPDESK, "incident:40")
    assert event["payload"]["severity"] == "critical"
    assert event["payload"]["summary"] == "Incident: 12 customers report Login page down"
    # The next run sees it still open (grown, even): no second trigger.
    grown = PagedIncident(40, "Login page down", 30, outage.url)
    assert channels(pagerduty, tmp_path).incidents([grown], run_id="r2") == []
    # Its group ticket solved, it is no longer open: the page is resolved, once.
    closing = channels(pagerduty, tmp_path).incidents([], run_id="r3")
    assert [(o.channel, o.outcome) for o in closing] == [("pagerduty_incident_resolve", "sent")]
    assert [a.status for a in pagerduty.state.alerts] == ["resolved"]
    assert channels(pagerduty, tmp_path).incidents([], run_id="r4") == []


def test_serve_and_a_cron_run_escalating_at_once_page_each_ticket_once(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    """Six deliverers over one state directory at the same moment (serve's batches and cron
    runs), each with its own ticket and one they share: every ticket is paged once, and the
    memory keeps all of them (none written over by another's read-modify-write)."""
    start = threading.Barrier(6)

    def deliver(n: int) -> None:
        start.wait()
        deliverer = channels(pagerduty, tmp_path)
        deliverer.escalated([ticket(n), ticket(100)], run_id=f"r{n}")

    workers = [threading.Thread(target=deliver, args=(n,)) for n in range(1, 7)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    keys = sorted(event["dedup_key"] for event in pagerduty.state.events)
    expected = sorted(dedup_key(HELPDESK, f"ticket:{n}") for n in (1, 2, 3, 4, 5, 6, 100))
    assert keys == expected
    remembered = Outbox(tmp_path).escalated_since(0)
    assert [item.ticket_id for item in remembered] == [1, 2, 3, 4, 5, 6, 100]
    # The next run remembers all of them: nothing is paged again.
    assert (
        channels(pagerduty, tmp_path).escalated([ticket(n) for n in range(1, 7)], run_id="r") == []
    )


def test_a_page_no_run_could_deliver_is_delivered_by_the_next_run_that_escalates_nothing(
    pagerduty: PagerDutyStandin, tmp_path: Path
) -> None:
    """PagerDuty down during the run that escalated ticket 7: the next runs have escalations
    of their own or none at all, and the first one that reaches PagerDuty pages ticket 7 —
    once, with its subject and link — while a day-old undelivered one is left alone."""
    dead = f"http://127.0.0.1:{held_refused_port()}/v2/enqueue"  # every post is refused
    poster = Poster("PagerDuty", timeout=2.0)
    down = Channels(
        tmp_path,
        HELPDESK,
        "host1",
        pagerduty=PagerDuty(ROUTING_KEY, poster, url=dead),
        sleep=lambda s: None,
    )
    assert [o.outcome for o in down.escalated([ticket(7)], run_id="r1")] == ["failed"]
    assert [o.outcome for o in down.escalated([], run_id="r2")] == ["failed"]  # still down
    outcomes = channels(pagerduty, tmp_path).escalated([], run_id="r3")
    assert [(o.channel, o.outcome, o.tickets) for o in outcomes] == [("pagerduty", "sent", (7,))]
    (event,) = pagerduty.state.events
    assert event["dedup_key"] == dedup_key(HELPDESK, "ticket:7")
    assert "Site down for everyone" in event["payload"]["summary"]
    assert event["links"] == [{"href": f"{HELPDESK}/agent/tickets/7", "text": "Ticket #7"}]
    assert channels(pagerduty, tmp_path).escalated([], run_id="r4") == []
    # Ticket 8's page failed a day and more ago: no later run pages it.
    assert [o.outcome for o in down.escalated([ticket(8)], run_id="r5")] == ["failed"]
    later = channels(pagerduty, tmp_path)
    later.clock = lambda: down.clock() + 25 * 3600
    assert later.escalated([], run_id="r6") == []
    assert len(pagerduty.state.events) == 1
