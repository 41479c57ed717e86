"""The LLM client's connections are kept per calling thread: httpcore's one shared pool looked
at every connection it held (and every waiting request) twice a call, under one lock, which at
64 workers cost a tenth of an LLM run's CPU. A worker's calls go over its own connection
(``stdlib_http.StdlibTransport``); the connections of threads that have ended are closed;
closing the client closes every connection. Real HTTP against the stand-in."""

from __future__ import annotations

import threading

import httpx2

from ticket_processor.llm_client.http import build_http_client
from ticket_processor.llm_client.stdlib_http import StdlibTransport
from ticket_processor.sandbox.llm_standin.server import RunningStandin


def transport_of(client: httpx2.Client) -> StdlibTransport:
    transport = client._transport._inner  # type: ignore[attr-defined]
    assert isinstance(transport, StdlibTransport), type(transport)
    return transport


def calls(client: httpx2.Client, url: str, threads: int, each: int) -> None:
    def work() -> None:
        for _ in range(each):
            client.get(f"{url}/models").read()

    running = [threading.Thread(target=work) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join()


def test_each_thread_calls_over_a_connection_of_its_own(standin: RunningStandin) -> None:
    client = build_http_client(connections=16, timeout=10.0, connect_timeout=5.0)
    try:
        calls(client, standin.url, threads=6, each=4)
        kept = list(transport_of(client)._connections.values())
        assert 1 <= len(kept) <= 6  # one a thread; threads that ended may already be gone
        assert len({connection.sock.getsockname() for connection in kept}) == len(kept)
        assert all(connection.sock.fileno() != -1 for connection in kept)
    finally:
        client.close()


def test_the_connections_of_ended_threads_are_closed_and_close_closes_all(
    standin: RunningStandin,
) -> None:
    client = build_http_client(connections=16, timeout=10.0, connect_timeout=5.0)
    calls(client, standin.url, threads=3, each=2)  # these threads have ended
    transport = transport_of(client)
    ended = list(transport._connections.values())
    assert ended
    assert all(connection.sock.fileno() != -1 for connection in ended)
    client.get(f"{standin.url}/models").read()  # this thread's own connection: the ended go
    assert all(connection.sock.fileno() == -1 for connection in ended)
    assert len(transport._connections) == 1
    mine = list(transport._connections.values())
    client.get(f"{standin.url}/models").read()  # and it is reused
    assert list(transport._connections.values()) == mine
    client.close()
    assert not transport._connections
    assert all(connection.sock.fileno() == -1 for connection in mine)
