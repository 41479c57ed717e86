"""The LLM client's connections are pooled per calling thread: httpcore's one shared pool looked
at every connection it held (and every waiting request) twice a call, under one lock, which at
64 workers cost a tenth of an LLM run's CPU. A worker's calls go over its own connection; the
pools of threads that have ended are closed; closing the client closes every connection. Real
HTTP against the stand-in."""

from __future__ import annotations

import threading

import httpx2

from ticket_processor.llm_client.http import ThreadPools, build_http_client
from ticket_processor.sandbox.llm_standin.server import RunningStandin


def pools_of(client: httpx2.Client) -> ThreadPools:
    pool = client._transport._inner._pool  # type: ignore[attr-defined]
    assert isinstance(pool, ThreadPools), type(pool)
    return pool


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
        pools = pools_of(client)
        per_thread = list(pools._pools.values())
        assert len(per_thread) <= 6  # threads that ended may already be gone
        assert all(len(pool.connections) == 1 for pool in per_thread)
        assert len(pools.connections) == len(per_thread)
    finally:
        client.close()


def test_the_pools_of_ended_threads_are_closed_and_close_closes_all(
    standin: RunningStandin,
) -> None:
    client = build_http_client(connections=16, timeout=10.0, connect_timeout=5.0)
    calls(client, standin.url, threads=3, each=2)  # these threads have ended
    pools = pools_of(client)
    ended = list(pools._pools.values())
    assert ended
    assert all(pool.connections for pool in ended)
    client.get(f"{standin.url}/models").read()  # this thread's own pool: the ended ones go
    assert all(not pool.connections for pool in ended)
    assert len(pools._pools) == 1
    mine = list(pools._pools.values())
    client.close()
    assert not pools._pools
    assert all(not pool.connections for pool in mine)
