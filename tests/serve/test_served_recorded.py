"""A ticket ``serve`` triages is recorded as a cron run records it: in the audit store (the
embedded SQLite one and PostgreSQL) with ``mode = serve`` while the server runs, on the
dashboard's list, and counted by ``report`` as "by serve"; a breaker that opens under
``serve`` is logged and alerted as in a run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import httpx
import orjson
import pytest
import sqlalchemy as sa
from support.cli import invoke
from support.dashboard import TOKEN, bearer, rows_of, start_dashboard
from support.e2e import events
from support.hook_receiver import HookReceiver
from support.ports import held_refused_port
from support.serving import Running, delivery_for, serve_env, serving

from ticket_processor.audit.schema import decisions
from ticket_processor.audit.store import AuditStore
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(seed=None, unlimited=True)

TICKETS = [
    NewTicket("Refund not received", "I was charged twice, refund me."),
    NewTicket("Cannot log in", "The password reset link never arrives."),
]


def _stored(url: str | None, state_dir: Path, kind: str) -> dict[int, str]:
    """Ticket id -> the mode of its decisions' run, as the store holds them now."""
    if url is None and not (state_dir / "audit.sqlite3").is_file():
        return {}
    d = decisions.c
    with (
        AuditStore.open(url, state_dir=state_dir, account=kind) as store,
        store.engine.connect() as conn,
    ):
        rows = conn.execute(sa.select(d.ticket_id, d.mode, d.helpdesk)).all()
    return {int(row.ticket_id): str(row.mode) for row in rows if row.helpdesk == kind}


def _serve_and_check(desk: Desk, tmp_path: Path, url: str | None) -> None:
    ids = desk.create(TICKETS)
    extra = {"TICKETBOT_DATABASE_URL": url} if url else {}
    env = serve_env(desk.env(), tmp_path, **extra)
    state = tmp_path / "state"
    with serving(env) as server:
        for ticket in ids:
            body, headers = delivery_for(desk.kind, ticket, invocation=f"inv-{ticket}")
            assert server.deliver(desk.kind, body, headers).status_code == 200
        server.drained()
        # In the store within a minute of being written, while the server still runs.
        deadline = time.monotonic() + 60
        while True:
            stored = _stored(url, state, desk.kind)
            if set(ids) <= set(stored) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert {t: stored.get(t) for t in ids} == {t: "serve" for t in ids}
        board = {**os.environ, **env, "TICKETBOT_DASHBOARD_TOKEN": TOKEN}
        with start_dashboard(env=board) as page:
            listed = rows_of(httpx.get(page + "/tickets", headers=bearer(TOKEN), timeout=30).text)
        assert set(ids) <= set(listed)
    report = invoke("report", "--json", "--since", "1d", env=env)
    assert report.exit_code == 0, report.output
    found = orjson.loads(report.stdout)
    assert found["served"] == len(ids)
    # The session's run id is listed with the runs' (``revert --run`` takes it), marked serve.
    session = {
        e["run_id"]
        for e in events(tmp_path / "logs")
        if e.get("source") == "serve" and e.get("event") == "run_started"
    }
    assert len(session) == 1, session
    runs: dict[str, dict[str, object]] = {r["run_id"]: r for r in found["run_list"]}
    assert runs[next(iter(session))]["serve"] is True
    assert runs[next(iter(session))]["triaged"] == len(ids)
    assert found["runs"] == 0  # not a scheduled run: the schedule's counts leave it out
    table = invoke("report", "--since", "1d", env={**env, "COLUMNS": "200"})
    assert next(iter(session)) in table.stdout
    assert "(serve)" in table.stdout


def test_served_tickets_reach_the_store_the_dashboard_and_the_report(
    desk: Desk, tmp_path: Path
) -> None:
    _serve_and_check(desk, tmp_path, None)


@pytest.mark.postgres
def test_served_tickets_reach_a_postgres_store(
    desk: Desk, tmp_path: Path, postgres_url: str
) -> None:
    _serve_and_check(desk, tmp_path, postgres_url)


def _deliver(server: Running, kind: str, ticket: int) -> None:
    delivery = delivery_for(kind, ticket, invocation=f"inv-{ticket}")
    assert server.deliver(kind, *delivery).status_code == 200


def _wait_stored(state: Path, kind: str, ticket: int) -> dict[int, str]:
    deadline = time.monotonic() + 60
    while True:
        stored = _stored(None, state, kind)
        if ticket in stored or time.monotonic() > deadline:
            return stored
        time.sleep(0.5)


def test_served_tickets_reach_the_store_a_run_put_in_place_of_a_damaged_one(
    desk: Desk, tmp_path: Path
) -> None:
    """The store is damaged while the server runs; the next cron run sets it aside and makes a
    new one. The server's next tickets go to the new store, not to the file set aside."""
    first, second = desk.create(TICKETS)
    env = serve_env(desk.env(), tmp_path)
    state = tmp_path / "state"
    with serving(env) as server:
        _deliver(server, desk.kind, first)
        server.drained()
        assert _wait_stored(state, desk.kind, first) == {first: "serve"}
        with (state / "audit.sqlite3").open("r+b") as damaged:
            damaged.write(b"not a database, not any more")
        ran = invoke("run", "--ticket", str(first), env=env)
        assert ran.exit_code == 0, ran.output
        assert list(state.glob("audit.sqlite3.bad-*")), "the run set the damaged store aside"
        _deliver(server, desk.kind, second)
        server.drained()
        stored = _wait_stored(state, desk.kind, second)
        assert stored.get(second) == "serve", stored
    logged = events(tmp_path / "logs")
    assert [e for e in logged if e["event"] == "audit_recovered"], "the recovery is said"


def test_a_breaker_that_opens_under_serve_is_logged_and_alerted(
    desk: Desk, tmp_path: Path, hook_receiver: HookReceiver
) -> None:
    """An LLM nobody answers: its breaker opens after the first tickets' failures, and the
    server says so in its log and to the alert webhook, as a cron run does."""
    dead = f"http://127.0.0.1:{held_refused_port()}/v1"  # every call is refused
    ids = desk.create(
        [NewTicket(f"Refund for order {n}", "I want my money back.") for n in range(8)]
    )
    llm = {
        "OPENAI_BASE_URL": dead,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_ALERT_WEBHOOK": hook_receiver.url,
    }
    with serving(serve_env(desk.env(), tmp_path, **llm), engine="llm") as server:
        for ticket in ids:
            delivery = delivery_for(desk.kind, ticket, invocation=f"inv-{ticket}")
            assert server.deliver(desk.kind, *delivery).is_success
        server.drained(60)
    logged = events(tmp_path / "logs")
    opened = [e for e in logged if e["event"] == "breaker_opened"]
    assert [(e["dependency"], e.get("source")) for e in opened] == [("llm", "serve")]
    alerts = [e for e in logged if e["event"] == "alert"]
    assert [(e["condition"], e["outcome"]) for e in alerts] == [("breaker_opened:llm", "sent")]
    posted = [r.body.decode() for r in hook_receiver.received]
    assert len(posted) == 1
    assert "circuit breaker for the llm opened" in posted[0]
