"""ZendeskClient against the project's sandbox over real HTTP: paging, errors, retries, jobs.

Time is fake: one clock drives the sandbox's rate-limit windows, the throttle and the retrier's
sleep, so a 60-second ``Retry-After`` costs nothing and the waits can be asserted.
"""

from __future__ import annotations

import gc
import logging
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from support.clock import FakeClock
from support.ports import held_refused_port

from ticket_processor.errors import (
    AuthError,
    ConflictError,
    HelpdeskConnectionError,
    HelpdeskServerError,
    IncrementalExportForbidden,
    NotFoundError,
    RecordInvalidError,
    RunOutOfTime,
    WriteOutcomeUnknown,
)
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.kind import ZendeskSettings
from ticket_processor.helpdesks.zendesk.records import JobStatus
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.helpdesks.zendesk.wire import ZendeskTransport
from ticket_processor.models import Priority, WriteBack
from ticket_processor.resilience.deadline import RunDeadline
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.run.connect import load_settings

EMAIL = "agent@example.com"
TOKEN = "sandbox-token"


# ``sandbox``: on the fake clock, with seeded fault knobs.
pytestmark = [
    pytest.mark.clock(now=1_800_000_020.0, real_pause=0.001),
    pytest.mark.sandbox(seed=7, clock="clock"),
]


def make_client(
    sb: RunningSandbox, clock: FakeClock, *, token: str = TOKEN, attempts: int = 5
) -> ZendeskClient:
    return ZendeskClient(
        sb.url,
        email=EMAIL,
        api_token=token,
        retrier=Retrier(RetryPolicy(attempts=attempts), sleep=clock.sleep, rng=random.Random(1)),
        throttle=RateLimitThrottle(clock=clock, sleep=clock.sleep),
        sleep=clock.sleep,
    )


@pytest.fixture
def client(sandbox: RunningSandbox, clock: FakeClock) -> Iterator[ZendeskClient]:
    with make_client(sandbox, clock) as zd:
        yield zd


def add_tickets(sb: RunningSandbox, n: int, **fields: Any) -> list[int]:
    return [
        sb.store.create({"subject": f"ticket {i}", "comment": {"body": f"body {i}"}, **fields})[
            "id"
        ]
        for i in range(n)
    ]


def requests_to(sb: RunningSandbox, fragment: str) -> int:
    return sum(n for key, n in sb.stats()["requests"].items() if fragment in key)


# --- auth -------------------------------------------------------------------------------


def test_me_authenticates_and_repr_hides_the_token(client: ZendeskClient) -> None:
    assert client.me()["email"] == EMAIL
    assert TOKEN not in repr(client)
    assert "api_token" in repr(client)


def test_bad_credentials_fail_once_with_the_fix(
    sandbox: RunningSandbox, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with (
        make_client(sandbox, clock, token="wrong-token-123") as zd,
        pytest.raises(AuthError) as info,
    ):
        zd.me()
    message = str(info.value)
    assert "401" in message
    assert "ZENDESK_EMAIL and ZENDESK_API_TOKEN" in message
    assert "wrong-token-123" not in message
    assert info.value.request_id is not None
    assert sandbox.stats()["requests_total"] == 1  # an auth failure is never retried
    assert clock.sleeps == []
    assert "zendesk GET /api/v2/users/me.json -> 401" in caplog.text
    assert "wrong-token-123" not in caplog.text


def test_oauth_bearer_token(
    sandbox_factory: Callable[..., RunningSandbox], clock: FakeClock
) -> None:
    sb = sandbox_factory(SandboxConfig(oauth_token="oauth-abc"))
    with ZendeskClient(sb.url, oauth_token="oauth-abc", sleep=clock.sleep) as zd:
        assert zd.me()["email"] == EMAIL
        assert "oauth-abc" not in repr(zd)
    wrong = ZendeskClient(sb.url, oauth_token="oauth-wrong", sleep=clock.sleep)
    with wrong, pytest.raises(AuthError, match="ZENDESK_OAUTH_TOKEN"):
        wrong.me()


def test_from_desk_builds_a_working_client(sandbox: RunningSandbox) -> None:
    settings = load_settings(
        {"ZENDESK_URL": sandbox.url, "ZENDESK_EMAIL": EMAIL, "ZENDESK_API_TOKEN": TOKEN},
        env_file=None,
    )
    with ZendeskClient.from_desk(settings.desk_settings(ZendeskSettings)) as zd:
        assert zd.me()["email"] == EMAIL
        assert TOKEN not in repr(zd)


# --- discovery --------------------------------------------------------------------------


def test_incremental_export_streams_pages_and_resumes(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    ids = add_tickets(sandbox, 25)
    pages = list(client.incremental_tickets(start_time=0, per_page=10))
    assert [len(p.tickets) for p in pages] == [10, 10, 5]
    assert [p.end_of_stream for p in pages] == [False, False, True]
    assert sorted(t.id for p in pages for t in p.tickets) == ids
    assert requests_to(sandbox, "incremental") == 3
    # Resuming from the last cursor yields only what changed since.
    add_tickets(sandbox, 2)
    more = list(client.incremental_tickets(cursor=pages[-1].after_cursor, per_page=10))
    assert [t.subject for p in more for t in p.tickets] == ["ticket 0", "ticket 1"]
    assert more[-1].end_of_stream


def test_an_export_pages_raw_json_is_let_go_before_the_page_is_worked(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    """The decoded response is most of a page's memory: the run holds the parsed tickets
    while it works them, never the JSON they came from."""
    add_tickets(sandbox, 4, tags=["raw-json-marker"])

    def raw_tickets() -> int:
        gc.collect()
        return sum(
            1
            for o in gc.get_objects()
            if isinstance(o, dict) and o.get("tags") == ["raw-json-marker"] and "url" in o
        )

    stream = client.incremental_tickets(start_time=0, per_page=2)
    held = raw_tickets()  # the sandbox's own (it runs in this process)
    first = next(stream)
    assert len(first.tickets) == 2
    assert all("raw-json-marker" in t.tags for t in first.tickets)
    assert raw_tickets() == held
    assert [len(page.tickets) for page in stream] == [2]


def test_incremental_export_needs_an_admin(sandbox: RunningSandbox, client: ZendeskClient) -> None:
    add_tickets(sandbox, 3)
    sandbox.config.admin = False
    with pytest.raises(IncrementalExportForbidden) as info:
        list(client.incremental_tickets(start_time=0))
    assert isinstance(info.value, AuthError)
    assert info.value.status_code == 403
    assert "admin" in str(info.value)
    assert sandbox.stats()["requests_total"] == 1
    # The Search API still works with an agent's token.
    found = list(client.search_tickets("status<solved"))
    assert sum(len(p.tickets) for p in found) == 3


def test_malformed_ticket_objects_are_skipped_not_fatal(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    ids = add_tickets(sandbox, 4)
    sandbox.store.get(ids[1])["subject"] = {"not": "a string"}
    (page,) = list(client.incremental_tickets(start_time=0))
    assert sorted(t.id for t in page.tickets) == [ids[0], ids[2], ids[3]]
    assert [m["id"] for m in page.malformed] == [ids[1]]
    assert [t.id for t in client.show_many(ids)] == [ids[0], ids[2], ids[3]]


def test_search_pages_and_stops_at_the_result_limit(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    add_tickets(sandbox, 250)
    pages = list(client.search_tickets("type:ticket status<solved"))
    assert [len(p.tickets) for p in pages] == [100, 100, 50]
    assert not any(p.limit_reached for p in pages)
    add_tickets(sandbox, 800)  # 1,050 in all: more than search will ever serve
    pages = list(client.search_tickets("status<solved", per_page=100))
    assert sum(len(p.tickets) for p in pages) == 1000
    assert pages[-1].limit_reached
    assert pages[-1].end_of_stream
    assert requests_to(sandbox, "search") == 3 + 10  # no request past the limit


def test_a_search_whose_tickets_change_under_it_misses_none(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    """The Search API pages by offset: a run tagging the tickets of the first page while it
    reads the next would shift them and skip 100 tickets, unless every page is read first."""
    ids = add_tickets(sandbox, 250)
    seen: list[int] = []
    for page in client.search_tickets("status<solved -tags:done"):
        for ticket in page.tickets:
            seen.append(ticket.id)
            sandbox.store.update(ticket.id, {"tags": ["done"]})  # the run's write
    assert sorted(seen) == ids


def test_show_many_chunks_by_100_and_comments(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    ids = add_tickets(sandbox, 150)
    tickets = client.show_many([*ids, 99_999])
    assert [t.id for t in tickets] == ids
    assert requests_to(sandbox, "show_many") == 2
    comments = client.comments(ids[0])
    assert [c["body"] for c in comments] == ["body 0"]
    with pytest.raises(NotFoundError):
        client.comments(99_999)


def test_next_page_links_are_only_followed_to_the_same_zendesk() -> None:
    transport = ZendeskTransport("https://acme.zendesk.com")
    local = transport.local_path("https://acme.zendesk.com/api/v2/x.json?page=2")
    assert local == "/api/v2/x.json?page=2"
    assert transport.local_path("https://evil.example/api/v2/x.json?page=2") is None
    assert transport.local_path("http://acme.zendesk.com/api/v2/x.json") is None
    assert transport.local_path(None) is None
    proxied = ZendeskTransport("http://127.0.0.1:9000/zd")
    assert proxied.local_path("http://127.0.0.1:9000/zd/api/v2/x.json") == "/api/v2/x.json"


# --- faults -----------------------------------------------------------------------------


def test_429_is_retried_no_sooner_than_retry_after(
    sandbox: RunningSandbox, client: ZendeskClient, clock: FakeClock
) -> None:
    add_tickets(sandbox, 12)
    sandbox.config.incremental_limit_per_min = 1
    start = clock()
    pages = list(client.incremental_tickets(start_time=0, per_page=5))
    assert sum(len(p.tickets) for p in pages) == 12
    # Each page after the first hit the per-minute limit once; the retry waited for the next
    # minute (the sandbox would have answered 429 again otherwise).
    assert sandbox.stats()["rate_limited"] == 2
    # Retry-After was 40 s (20 s into a minute), then 60 s: each wait honoured it, and the
    # jitter on top stays small.
    assert len(clock.sleeps) == 2
    assert 40 <= clock.sleeps[0] <= 41
    assert 60 <= clock.sleeps[1] <= 61
    assert clock() - start == pytest.approx(sum(clock.sleeps))


def test_5xx_is_retried_until_it_succeeds_then_gives_up(
    sandbox: RunningSandbox, client: ZendeskClient, clock: FakeClock
) -> None:
    ids = add_tickets(sandbox, 5)
    sandbox.config.error_rate = 0.5
    for _ in range(10):
        assert [t.id for t in client.show_many(ids)] == ids
    assert sandbox.stats()["errors_injected"] > 0
    assert len(clock.sleeps) == sandbox.stats()["errors_injected"]
    sandbox.config.error_rate = 1.0
    before = sandbox.stats()["requests_total"]
    with pytest.raises(HelpdeskServerError) as info:
        client.show_many(ids)
    assert info.value.status_code in (500, 503)
    assert sandbox.stats()["requests_total"] - before == 5  # the policy's attempts, no more


def test_dropped_connections_are_retried_for_reads(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    ids = add_tickets(sandbox, 3)
    sandbox.config.drop_rate = 0.3
    for _ in range(8):
        assert [t.id for t in client.show_many(ids)] == ids
    assert sandbox.stats()["dropped"] > 0


def test_a_dropped_write_is_not_replayed(sandbox: RunningSandbox, client: ZendeskClient) -> None:
    (ticket_id,) = add_tickets(sandbox, 1)
    sandbox.config.drop_rate = 1.0
    note = WriteBack(ticket_id=ticket_id, additional_tags=("ai_processed",), note="analysis")
    with pytest.raises(WriteOutcomeUnknown):
        client.update_many([note])
    # One try only: a replay could have written the note twice.
    assert sandbox.stats()["dropped"] == 1


def test_unreachable_helpdesk_is_a_connection_error(clock: FakeClock) -> None:
    port = held_refused_port()
    zd = ZendeskClient(
        f"http://127.0.0.1:{port}",
        email=EMAIL,
        api_token=TOKEN,
        retrier=Retrier(RetryPolicy(attempts=3), sleep=clock.sleep),
        sleep=clock.sleep,
    )
    with zd, pytest.raises(HelpdeskConnectionError) as info:
        zd.me()
    assert "ZENDESK_URL" in str(info.value)
    assert len(clock.sleeps) == 2  # refused before sending, so retried


# --- writing ----------------------------------------------------------------------------


def test_update_many_and_wait_for_job_report_each_ticket(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    ids = add_tickets(sandbox, 2, tags=["vip"])
    writebacks = [
        WriteBack(
            ticket_id=ids[0],
            additional_tags=("ai_processed", "ai_category_bug"),
            priority=Priority.HIGH,
            note="Summary: the export is empty.",
        ),
        WriteBack(ticket_id=ids[1], additional_tags=("ai_processed",)),
        WriteBack(ticket_id=99_999, additional_tags=("ai_processed",), note="lost"),
    ]
    job = client.update_many(writebacks)
    assert not job.done
    done = client.wait_for_job(job)
    assert done.status == "completed"
    by_id = {r.ticket_id: r for r in done.results}
    assert by_id[ids[0]].success
    assert by_id[ids[1]].success
    assert not by_id[99_999].success
    assert by_id[99_999].error == "RecordNotFound"
    assert [r.ticket_id for r in done.failed] == [99_999]
    first = sandbox.store.get(ids[0])
    assert first["tags"] == ["vip", "ai_processed", "ai_category_bug"]  # added, not replaced
    assert first["priority"] == "high"
    notes = sandbox.store.comments(ids[0])[1:]
    assert [(c["body"], c["public"]) for c in notes] == [("Summary: the export is empty.", False)]
    assert sandbox.store.comments(ids[1])[1:] == []  # no note asked, none written


def test_wait_for_job_accepts_a_bare_job_reference(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    (ticket_id,) = add_tickets(sandbox, 1)
    job = client.update_many([WriteBack(ticket_id=ticket_id, additional_tags=("x",))])

    class Ref:
        id = job.id
        status = "queued"

    assert client.wait_for_job(Ref()).status == "completed"


def test_a_job_still_queued_is_polled_only_until_the_runs_bound(
    sandbox: RunningSandbox, clock: FakeClock
) -> None:
    (ticket_id,) = add_tickets(sandbox, 1)
    sandbox.config.hold_jobs = True
    bound = RunDeadline(4, clock=clock, grace=1.0)
    retrier = Retrier(RetryPolicy(), sleep=clock.sleep, rng=random.Random(1), deadline=bound)
    with ZendeskClient(
        sandbox.url, email=EMAIL, api_token=TOKEN, retrier=retrier, sleep=clock.sleep
    ) as zd:
        job = zd.update_many([WriteBack(ticket_id=ticket_id, additional_tags=("x",))])
        with pytest.raises(RunOutOfTime, match=f"waiting for Zendesk job {job.id} \\(queued\\)"):
            zd.wait_for_job(job)  # its own timeout is 300 s
    assert sum(clock.sleeps) == pytest.approx(5.0)  # polled until the grace ended, not after
    assert sandbox.store.comments(ticket_id)[1:] == []  # still queued: the next run's


def test_update_ticket_safe_update_conflict(sandbox: RunningSandbox, client: ZendeskClient) -> None:
    (ticket_id,) = add_tickets(sandbox, 1)
    stamp = sandbox.store.get(ticket_id)["updated_at"]
    change = WriteBack(ticket_id=ticket_id, additional_tags=("ai_processed",), note="n1")
    stale = change.model_copy(update={"updated_stamp": "2001-01-01T00:00:00Z"})
    with pytest.raises(ConflictError):
        client.update_ticket(stale)
    assert requests_to(sandbox, "PUT") == 1  # a stale stamp stays stale: no retry
    fresh = change.model_copy(update={"updated_stamp": stamp})
    ticket = client.update_ticket(fresh)
    assert "ai_processed" in ticket.tags
    assert [c["body"] for c in sandbox.store.comments(ticket_id)] == ["body 0", "n1"]


def test_record_invalid_carries_zendesks_details(
    sandbox: RunningSandbox, client: ZendeskClient
) -> None:
    (ticket_id,) = add_tickets(sandbox, 1)
    # Bypass validation to send what Zendesk refuses: a priority it does not know.
    bogus = WriteBack.model_construct(
        ticket_id=ticket_id,
        additional_tags=(),
        priority="asap",  # type: ignore[arg-type]
    )
    with pytest.raises(RecordInvalidError) as info:
        client.update_ticket(bogus)
    assert info.value.status_code == 422
    assert "priority" in info.value.details
    assert "RecordInvalid" in str(info.value)


def test_create_many_returns_new_ids(sandbox: RunningSandbox, client: ZendeskClient) -> None:
    job = client.create_many(
        [
            {"subject": "a", "comment": {"body": "first"}, "status": "new"},
            {"subject": "b", "comment": {"body": "second"}, "priority": "bogus"},
        ]
    )
    done = client.wait_for_job(job)
    assert isinstance(done, JobStatus)
    assert [(r.index, r.success) for r in done.results] == [(0, True), (1, False)]
    created = done.results[0].ticket_id
    assert created is not None
    assert sandbox.store.get(created)["subject"] == "a"
    with pytest.raises(ValueError, match="at most 100"):
        client.create_many([{"subject": "x"}] * 101)


def test_a_page_is_parsed_letting_its_decoded_json_go() -> None:
    # The export page's decoded objects go one by one as their tickets are made, so a
    # 1,000-ticket page is not held twice; what is parsed, and what is malformed, is unchanged.
    from ticket_processor.helpdesks.zendesk.records import parse_tickets

    items: list[Any] = [
        {"id": 1, "subject": "a", "description": "x", "status": "new", "tags": ["t"]},
        "not an object",
        {"id": "not a number"},
        {"id": 2, "subject": "b", "description": "y", "status": "open", "tags": []},
    ]
    tickets, malformed = parse_tickets(items)
    assert items == []
    assert [t.id for t in tickets] == [1, 2]
    assert malformed == [{"value": "not an object"}, {"id": "not a number"}]
