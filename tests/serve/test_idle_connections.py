"""Idle and slow connections cannot silence ``serve`` or the dashboard.

Real sockets to the real servers on port 0: more connections than the server keeps, opened and
left silent (or sending half a request line), then ``/healthz`` from a new client must still be
answered 200, and a connection that never finishes its headers is closed by the server. Before,
uvicorn counted the idle connections against its limit and answered 503 to everything.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from support.dashboard import start_dashboard
from support.serving import TOKEN, delivery_for, serve_env, serving

from ticket_processor.common import connections
from ticket_processor.dashboard import server as dashboard_server
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.serve import server as serve_server
from ticket_processor.serve.limits import Rate, SourceLimits

pytestmark = pytest.mark.desk(seed=None, unlimited=True)


@contextmanager
def idle_sockets(
    url: str, count: int, *, half_request: bool = False
) -> Iterator[list[socket.socket]]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with ExitStack() as stack:
        opened = []
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection((host, int(port)), timeout=5))
            if half_request:
                sock.sendall(b"GET /healthz HT")  # and never the rest
            opened.append(sock)
        yield opened


def closed_by_server(sock: socket.socket, within: float) -> bool:
    sock.settimeout(within)
    try:
        return sock.recv(1) == b""
    except TimeoutError:
        return False
    except OSError:
        return True


def test_serve_answers_healthz_past_its_idle_connections(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Smaller bounds than the product's, so the idle sockets outnumber even the limit on
    # requests under way without running this process out of descriptors.
    monkeypatch.setattr(serve_server, "MAX_CONNECTIONS", 20)
    monkeypatch.setattr(serve_server, "LIMIT_CONCURRENCY", 80)
    with serving(serve_env(desk.env(), tmp_path)) as server, idle_sockets(server.url, 100):
        for _ in range(3):
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200


def test_serve_closes_a_connection_that_never_finishes_its_headers(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connections.GuardedH11Protocol, "header_timeout", 1.0)
    monkeypatch.setattr(serve_server, "guarded_protocol", _short(serve_server.MAX_CONNECTIONS))
    with (
        serving(serve_env(desk.env(), tmp_path)) as server,
        idle_sockets(server.url, 2, half_request=True) as slow,
    ):
        started = time.monotonic()
        assert all(closed_by_server(s, within=20) for s in slow)
        assert time.monotonic() - started < 20


def _short(max_connections: int) -> object:
    def make(**_: object) -> type[connections.GuardedH11Protocol]:
        return connections.guarded_protocol(max_connections=max_connections, header_timeout=1.0)

    return make


@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_the_dashboard_answers_past_its_idle_connections(desk: Desk) -> None:
    idle = dashboard_server.LIMIT_CONCURRENCY + 20  # more than even the requests' bound
    with start_dashboard() as url, idle_sockets(url, idle):
        for _ in range(3):
            assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200


def test_an_unsigned_flood_spends_none_of_the_genuine_deliveries_rate(
    desk: Desk, tmp_path: Path
) -> None:
    [ticket] = desk.create([NewTicket("Refund", "Refund me please")])
    with serving(serve_env(desk.env(), tmp_path)) as server:
        server.server.state.limits = SourceLimits(
            {"zendesk": Rate(0.5, 5), "freshdesk": Rate(0.5, 5), "api": Rate(0.5, 5)}
        )
        kind = desk.kind
        forged = delivery_for(kind, ticket, secret="not-the-webhooks-secret")
        flood = [server.deliver(kind, *forged).status_code for _ in range(20)]
        assert set(flood) == {401}, flood
        genuine = [
            server.deliver(kind, *delivery_for(kind, ticket, invocation=f"i{n}")).status_code
            for n in range(5)
        ]
        assert genuine == [200] * 5
        unauthorised = [
            server.client.post(f"{server.url}/api/v1/triage", json={"subject": "x"}).status_code
            for _ in range(20)
        ]
        assert set(unauthorised) == {401}, unauthorised
        with_token = server.client.post(
            f"{server.url}/api/v1/triage",
            json={"subject": "Refund", "description": "Refund me please"},
            headers={"authorization": f"Bearer {TOKEN}"},
        )
        assert with_token.status_code == 200, with_token.text


def _per_client(max_connections: int, per_client: int) -> object:
    def make(**_: object) -> type[connections.GuardedH11Protocol]:
        return connections.guarded_protocol(max_connections=max_connections, per_client=per_client)

    return make


def _get(sock: socket.socket) -> int | None:
    """``GET /healthz`` on an open keep-alive connection: the status, None when it is closed."""
    host, port = sock.getpeername()[:2]
    try:
        sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            answer += chunk
    except OSError:
        return None
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(
        next(
            (
                line.split(b":")[1]
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            ),
            b"0",
        )
    )
    while len(body) < length:
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return int(head.split(b" ")[1])


def _flood_leaves_the_other_client(url: str, flood: int) -> None:
    """A client's keep-alive connection, then another address's idle flood past the server's
    whole bound: the flood displaces its own connections, the first client's still answers."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as kept:
        assert _get(kept) == 200
        with ExitStack() as stack:
            for _ in range(flood):  # from 127.0.0.2: another client of the same loopback server
                stack.enter_context(
                    socket.create_connection(
                        (host, int(port)), timeout=5, source_address=("127.0.0.2", 0)
                    )
                )
            time.sleep(0.5)  # the server has taken every connection
            assert _get(kept) == 200


def test_one_clients_idle_flood_leaves_anothers_connection_to_serve(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(serve_server, "guarded_protocol", _per_client(20, 5))
    with serving(serve_env(desk.env(), tmp_path)) as server:
        _flood_leaves_the_other_client(server.url, 30)


@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_one_clients_idle_flood_leaves_anothers_connection_to_the_dashboard(desk: Desk) -> None:
    # A process of its own: the product's bounds, and a flood past the whole of them.
    with start_dashboard() as url:
        _flood_leaves_the_other_client(url, dashboard_server.MAX_CONNECTIONS + 16)
