"""ServiceNow reads against the sandbox: discovery's keyset paging through hundreds of records
stamped in one second, with a record written mid-read read once more and none skipped; the
cursor resuming after a page; the ticket's fields as ticketbot's (requester, channel, status,
priority, labels); groups, agents, custom columns, articles, templates, counts, the ticket URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clock import FakeClock

from ticket_processor.errors import CursorRejectedError
from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.discovery import CURSOR_KIND
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.helpdesks.servicenow.wire import ServiceNowTransport
from ticket_processor.models import Cursor
from ticket_processor.sandbox.desks import NewTicket

START = 1_795_000_040.0
MARKER = "ai_processed"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sn(clock: FakeClock) -> Iterator[ServiceNowDesk]:
    with serve_in_thread(ServiceNowConfig(seed=5, clock=clock)) as running:
        yield ServiceNowDesk(running)


@pytest.fixture
def adapter(sn: ServiceNowDesk) -> Iterator[ServiceNowHelpdesk]:
    config = sn.sandbox.config
    http = ServiceNowTransport(sn.url, auth=(config.user, config.password))
    helpdesk = ServiceNowHelpdesk(http, table="incident", marker=MARKER)
    yield helpdesk
    helpdesk.close()


def bulk(sn: ServiceNowDesk, count: int, at: float) -> list[str]:
    store = sn.sandbox.store
    return [
        store.insert("incident", {"short_description": f"Import {n}"}, "import", at=at)["number"]
        for n in range(count)
    ]


def test_records_sharing_one_second_are_each_read_once_a_write_mid_read_included(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk, clock: FakeClock
) -> None:
    numbers = bulk(sn, 250, START - 60)
    seen: list[int] = []
    pages = adapter.ticket_pages(None, since=int(START - 120))
    first = next(pages)
    seen += [t.id for t in first.tickets]
    # An agent writes a record the stream has not reached yet: it moves to the list's end.
    store = sn.sandbox.store
    unread = next(r for r in store.rows("incident") if int(r["number"][3:]) not in seen)
    store.update("incident", unread["sys_id"], {"urgency": "1"}, "beth.anglin")
    for page in pages:
        seen += [t.id for t in page.tickets]
    # Each once: the record written mid-read is read at its new place, never skipped.
    assert sorted(seen) == sorted(int(n[3:]) for n in numbers)


def test_the_cursor_resumes_after_its_page_and_a_foreign_one_is_refused(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk, clock: FakeClock
) -> None:
    bulk(sn, 150, START - 60)
    pages = list(adapter.ticket_pages(None, since=int(START - 120)))
    assert len(pages) == 2
    after_first = pages[0].next_cursor
    assert after_first is not None
    resumed = [t.id for p in adapter.ticket_pages(after_first, since=0) for t in p.tickets]
    assert resumed == [t.id for t in pages[1].tickets]
    # The list's end, in a second that is over: the next run starts after it.
    last = pages[-1].next_cursor
    assert last is not None
    assert [t for p in adapter.ticket_pages(last, since=0) for t in p.tickets] == []
    with pytest.raises(CursorRejectedError):
        list(adapter.ticket_pages(Cursor(CURSOR_KIND, "2026-11-29T10:00:00Z"), since=0))


def test_a_ticket_reads_as_ticketbots(sn: ServiceNowDesk, adapter: ServiceNowHelpdesk) -> None:
    ticket = NewTicket(
        "Refund please",
        "Charged twice.",
        sender="ann@example.com",
        requester_name="Ann Lee",
        priority="high",
        tags=("vip",),
        status="pending",
    )
    (ticket_id,) = sn.create([ticket])
    (read,) = adapter.tickets([ticket_id])
    assert read.subject == "Refund please"
    assert read.description == "Charged twice."
    assert read.priority == "high"
    assert read.status == "pending"  # On Hold, Awaiting Caller
    assert read.tags == ("vip",)
    assert read.channel == "email"
    assert read.sender == "ann@example.com"
    assert read.requester_id is not None
    assert read.people[0].name == "Ann Lee"
    assert read.custom_fields == {"category": None, "subcategory": None, "u_ai_summary": None}
    assert adapter.ticket_url(ticket_id).endswith("/incident.do?sysparm_query=number=INC0010001")


def test_routing_fields_and_help_centre_reads(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk
) -> None:
    sn.create([NewTicket("Hello", "A record shows the table's columns.")])
    groups = adapter.groups()
    assert groups
    agents = adapter.agents()
    assert agents
    assert all(set(a.group_ids) <= {g.id for g in groups} for a in agents)
    assert any(a.group_ids for a in agents)
    fields = {f.key: f for f in adapter.ticket_fields()}
    assert sorted(fields) == ["category", "subcategory", "u_ai_summary"]
    assert "network" in [o.value for o in fields["category"].options]
    assert "vpn" in [o.value for o in fields["subcategory"].options]
    listing = adapter.articles(None)
    articles = list(listing.articles)
    assert listing.complete
    assert articles
    assert all("kb_view.do?sysparm_article=KB" in a.url for a in articles)
    assert not any(a.removed for a in articles)
    # The seeded help centre's articles in German, French and Spanish say so (language).
    assert {a.locale for a in articles} == {"en", "de", "fr", "es"}
    assert adapter.macros() == []  # a fresh instance has none: `ticketbot seed` makes them
    for name, template in (
        ("Resolve: password reset", "comments=We have reset your password.^state=6"),
        ("Awaiting caller", "comments=Could you tell us more?^state=3^hold_reason=1"),
        ("Problem records", "comments=Not for incidents."),
    ):
        table = "problem" if name == "Problem records" else "incident"
        sn.sandbox.store.insert(
            "sys_template", {"name": name, "table": table, "template": template}, "admin"
        )
    assert [m.title for m in adapter.macros()] == ["Awaiting caller", "Resolve: password reset"]


def test_counts_and_a_requester_with_a_solved_record(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk, clock: FakeClock
) -> None:
    asked, _open = sn.create(
        [
            NewTicket("One", "first", sender="bo@example.com"),
            NewTicket("Two", "x", sender="cy@example.com"),
        ]
    )
    (first,) = adapter.tickets([asked])
    assert first.requester_id is not None
    assert adapter.requester_known(first.requester_id) is False
    store = sn.sandbox.store
    store.update(
        "incident",
        sn.sandbox.sandbox.record_of("incident", asked) or "",
        {"state": "6"},
        "beth.anglin",
    )
    assert adapter.requester_known(first.requester_id) is True
    assert adapter.count_open_before(int(clock.now) + 10) == 1
    assert adapter.count_open_before(int(clock.now) - 3600) == 0


def test_the_solved_history_holds_the_agents_comments_and_their_articles(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk, clock: FakeClock
) -> None:
    reply = "See https://x.service-now.com/kb_view.do?sysparm_article=KB0010011 for the steps."
    solved = sn.import_answered(
        NewTicket("Charged twice", "Why?"), [(reply, clock.now - 600)], clock.now - 300
    )
    sn.create([NewTicket("Still open", "Not solved yet")])
    history = list(adapter.solved_history(int(clock.now) - 3600))
    assert [h.ticket.id for h in history] == [solved]
    (answer,) = history[0].replies
    assert answer.body == reply
    assert answer.articles == (10011,)
    assert adapter.outcomes(int(clock.now) - 3600) == {}  # no incident was reopened
