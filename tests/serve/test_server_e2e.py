"""The server's own behaviour: it listens before its models are loaded (``/healthz`` at once,
``/readyz`` 503 until then, deliveries stored meanwhile and triaged once loaded), rate limits
per source, cuts off a body that trickles, refuses each helpdesk's forged and malformed
deliveries, and a cron run beside it still triages."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.serving import (
    AUTHORISED,
    SECRET,
    Build,
    delivery_for,
    refused_headers,
    serve_env,
    serving,
)

from ticket_processor.run.served import ServedTriage, ServeHooks
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.serve import app as serve_app
from ticket_processor.serve import server as serve_server
from ticket_processor.serve.limits import Rate, SourceLimits
from ticket_processor.serve.queue import DeliveryQueue, sqlite_engine

pytestmark = pytest.mark.desk(seed=None, unlimited=True)


def test_it_listens_first_and_stores_deliveries_while_loading(desk: Desk, tmp_path: Path) -> None:
    [ticket] = desk.create([NewTicket("Password reset", "I cannot log in to my account")])
    gate = threading.Event()
    with serving(serve_env(desk.env(), tmp_path), ready=False, gate=gate) as server:
        assert server.client.get(f"{server.url}/healthz").status_code == 200
        loading = server.client.get(f"{server.url}/readyz")
        assert loading.status_code == 503
        assert loading.json()["status"] == "loading"
        answer = server.deliver(desk.kind, *delivery_for(desk.kind, ticket))
        assert answer.status_code == 200  # stored, though nothing can triage it yet
        assert desk.snapshot(ticket).notes == []
        gate.set()
        deadline = time.monotonic() + 30
        while server.client.get(f"{server.url}/readyz").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        ready = server.client.get(f"{server.url}/readyz", headers=AUTHORISED).json()
        assert ready["ready"] is True
        assert {c["name"] for c in ready["health"]["checks"]} >= {desk.kind, "llm", "last run"}
        server.drained()
        metrics = server.client.get(f"{server.url}/metrics").text
    assert len(desk.snapshot(ticket).notes) == 1
    assert "ticketbot_delivery_to_note_seconds_count 1.0" in metrics
    assert 'ticketbot_tickets_triaged_total{engine="rules"} 1.0' in metrics


def test_each_helpdesks_bad_deliveries_are_refused(desk: Desk, tmp_path: Path) -> None:
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    good, headers = delivery_for(desk.kind, ticket)
    forged = refused_headers(desk.kind, good, headers)  # each forgery, then unsigned
    malformed = delivery_for(desk.kind, ticket, body=b'["not", "an", "object"]')
    not_json = delivery_for(desk.kind, ticket, body=b"ticket_id=1")
    negative = delivery_for(desk.kind, ticket, body=b'{"ticket_id": -4}')
    huge = delivery_for(
        desk.kind, ticket, body=b'{"ticket_id": 1, "pad": "' + b"x" * 70_000 + b'"}'
    )
    with serving(serve_env(desk.env(), tmp_path)) as server:
        codes = [server.deliver(desk.kind, good, each).status_code for each in forged] + [
            server.deliver(desk.kind, *malformed).status_code,
            server.deliver(desk.kind, *not_json).status_code,
            server.deliver(desk.kind, *negative).status_code,
            server.deliver(desk.kind, *huge).status_code,
        ]
        assert len(forged) >= 2
        assert codes == [401] * len(forged) + [400, 400, 400, 413]
        assert server.server.state.queue.counts() == {}
        assert server.client.get(f"{server.url}/healthz").status_code == 200
    assert desk.snapshot(ticket).notes == []
    assert SECRET not in "".join(p.read_text() for p in (tmp_path / "logs").glob("*.jsonl"))


@pytest.mark.desk(kinds=("zendesk",), seed=None, unlimited=True)
def test_a_flood_is_rate_limited_and_a_trickled_body_cut_off(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_app, "BODY_DEADLINE", 0.5)
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    with serving(serve_env(desk.env(), tmp_path)) as server:
        server.server.state.limits = SourceLimits({"zendesk": Rate(0.5, 3)})
        codes = [
            server.deliver(
                "zendesk", *delivery_for("zendesk", ticket, invocation=f"i{n}")
            ).status_code
            for n in range(5)
        ]
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        port = server.server.port
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(
                b"POST /webhooks/zendesk HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/json\r\n"
                b'Content-Length: 100\r\n\r\n{"ticket_id": '
            )
            answer = sock.recv(1024)
        assert answer.startswith(b"HTTP/1.1 408"), answer
        assert server.client.get(f"{server.url}/healthz").status_code == 200


@pytest.mark.desk(seed=None, unlimited=True, configure=True)
def test_a_cron_run_beside_the_server_still_triages(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create([NewTicket(f"Invoice {n}", f"Wrong invoice amount {n}") for n in range(4)])
    with serving(serve_env(desk.env(), tmp_path)) as server:
        assert server.deliver(desk.kind, *delivery_for(desk.kind, ids[0])).status_code == 200
        result = invoke("run", "--engine", "rules", "--since", "1h")
        assert result.exit_code == 0, result.output
        assert "another ticketbot run" not in result.output
        server.drained()
    assert [len(desk.snapshot(t).notes) for t in ids] == [1, 1, 1, 1]


@pytest.mark.desk(kinds=("zendesk",), seed=None, unlimited=True)
def test_a_failed_start_is_tried_again(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_server, "RELOAD_AFTER", 0.2)
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    failures = [ConnectionError("the helpdesk is down")]

    def flaky(build: Build) -> Build:
        def first_fails(hooks: ServeHooks) -> ServedTriage:
            if failures:
                raise failures.pop()
            return build(hooks)

        return first_fails

    with serving(serve_env(desk.env(), tmp_path), ready=False, wrap=flaky) as server:
        assert server.deliver("zendesk", *delivery_for("zendesk", ticket)).status_code == 200
        deadline = time.monotonic() + 30
        while server.server.state.readiness.status != "ready":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.drained()
    assert len(desk.snapshot(ticket).notes) == 1
    failed = [e for e in events(tmp_path / "logs") if e["event"] == "serve_load_failed"]
    assert "the helpdesk is down" in failed[0]["error"]


@pytest.mark.desk(seed=None, unlimited=True)
def test_a_stop_keeps_what_is_queued_for_the_next_start(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_server, "RELOAD_AFTER", 0.2)
    ids = desk.create([NewTicket(f"Refund {n}", f"Charged twice, order {n}") for n in range(6)])
    env = serve_env(desk.env(), tmp_path)

    def never(build: Build) -> Build:
        def down(hooks: ServeHooks) -> ServedTriage:
            raise ConnectionError("the helpdesk is down")

        return down

    with serving(env, ready=False, wrap=never) as server:
        for n, ticket in enumerate(ids):
            delivery = delivery_for(desk.kind, ticket, invocation=f"inv-{n}")
            answer = server.deliver(desk.kind, *delivery)
            assert answer.status_code == 200
    # Stopped (as by SIGTERM) before anything could be triaged: every delivery kept, none
    # counted as a failed attempt.
    queue = DeliveryQueue(sqlite_engine(tmp_path / "state" / "serve"), owner="look")
    assert queue.counts() == {"pending": 6}
    assert [s.attempts for s in queue.claim()] == [0] * 6
    queue.release_all()
    queue.close()
    with serving(env) as server:
        server.drained()
    assert [len(desk.snapshot(t).notes) for t in ids] == [1] * len(ids)


@pytest.mark.desk(kinds=("zendesk",), seed=None, unlimited=True)
def test_ready_only_once_the_local_engine_is_warm(desk: Desk, tmp_path: Path) -> None:
    with serving(serve_env(desk.env(), tmp_path)) as server:
        assert server.client.get(f"{server.url}/readyz").status_code == 200
    logged = [e["event"] for e in events(tmp_path / "logs")]
    assert "serve_warmed" in logged
    assert logged.index("serve_warmed") < logged.index("serve_ready")


def test_without_a_secret_or_a_token_it_is_not_ready_and_says_why(
    desk: Desk, tmp_path: Path
) -> None:
    env = serve_env(desk.env(), tmp_path)
    del env["TICKETBOT_SERVE_SECRET"], env["TICKETBOT_SERVE_TOKEN"]
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    told: list[str] = []
    with serving(env, tell=told.append) as server:
        refused = server.deliver(desk.kind, *delivery_for(desk.kind, ticket))
        assert refused.status_code == 503
        ready = server.client.get(f"{server.url}/readyz")
        assert ready.status_code == 503  # a load balancer must not send it traffic to refuse
        assert ready.json()["status"] == "not_configured"
        assert "TICKETBOT_SERVE_SECRET" in ready.json()["reason"]
        assert server.client.get(f"{server.url}/healthz").status_code == 200  # alive all the same
        # The terminal says what /readyz says once serve has loaded, never "ready on" (a
        # review read "ready on ..." under the warning while /readyz said not_configured).
        deadline = time.monotonic() + 60
        while not any("not ready" in line for line in told) and time.monotonic() < deadline:
            time.sleep(0.05)
    loaded = [line for line in told if line.startswith("ticketbot serve: loaded on ")]
    assert len(loaded) == 1, told
    assert "not ready (/readyz: not_configured)" in loaded[0], told
    assert not any(" ready on " in line for line in told), told
