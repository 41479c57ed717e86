"""The delivery queue in a real PostgreSQL (``TICKETBOT_DATABASE_URL``), as several replicas
share it: no delivery is taken by two replicas (``FOR UPDATE SKIP LOCKED``), a retry is stored
once, a dead replica's deliveries are taken again after their lease, and two servers behind one
Service triage each ticket once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from support.serving import delivery_for, serve_env, serving

from ticket_processor.common.database import database_engine
from ticket_processor.helpdesks.deliveries import Delivery
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.serve.queue import LEASE, DeliveryQueue, metadata

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(postgres_url: str) -> str:
    engine = database_engine(postgres_url)
    metadata.drop_all(engine)  # each test starts from an empty queue
    engine.dispose()
    return postgres_url


def queue(url: str, owner: str, clock: float | None = None) -> DeliveryQueue:
    return DeliveryQueue(
        database_engine(url), owner=owner, clock=(lambda: clock) if clock else time.time
    )


def test_replicas_never_take_the_same_delivery(database: str) -> None:
    one, two = queue(database, "one"), queue(database, "two")
    for n in range(1, 301):
        assert one.store(Delivery("zendesk", n, "created", time.time(), signature=f"s{n}"))
    taken: dict[str, list[int]] = {"one": [], "two": []}

    def drain(q: DeliveryQueue) -> None:
        while batch := q.claim(7):
            taken[q.owner].extend(s.ticket_id for s in batch)

    threads = [threading.Thread(target=drain, args=(q,)) for q in (one, two)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not set(taken["one"]) & set(taken["two"])
    assert sorted(taken["one"] + taken["two"]) == list(range(1, 301))
    assert taken["one"]  # both replicas worked
    assert taken["two"]
    one.close()
    two.close()


def test_a_retry_is_stored_once_and_a_dead_replicas_claims_return(database: str) -> None:
    now = time.time()
    alive = queue(database, "alive", now)
    first = Delivery("zendesk", 5, "created", now, signature="sig", invocation="w:inv")
    assert alive.store(first)
    assert not alive.store(first)  # the same signature: Zendesk's retry
    dead = queue(database, "dead", now)
    assert [s.ticket_id for s in dead.claim()] == [5]
    assert alive.claim() == []  # claimed, and the lease has not run out
    later = queue(database, "later", now + LEASE + 1)
    assert [s.ticket_id for s in later.claim()] == [5]
    for q in (alive, dead, later):
        q.close()


@pytest.mark.desk(seed=None, unlimited=True)
def test_two_replicas_triage_each_ticket_once(desk: Desk, tmp_path: Path, database: str) -> None:
    ids = desk.create([NewTicket(f"Refund {n}", f"Charged twice, order {n}") for n in range(16)])
    env_a = serve_env(desk.env(), tmp_path / "a", TICKETBOT_DATABASE_URL=database)
    env_b = serve_env(desk.env(), tmp_path / "b", TICKETBOT_DATABASE_URL=database)
    with serving(env_a) as a, serving(env_b) as b:
        for n, ticket in enumerate(ids):
            replica = (a, b)[n % 2]
            extra = {"invocation": f"inv-{n}"} if desk.kind == "zendesk" else {}
            body, headers = delivery_for(desk.kind, ticket, **extra)
            assert replica.deliver(desk.kind, body, headers).status_code == 200
            # The same delivery to the other replica (a retry after a lost answer).
            assert (b, a)[n % 2].deliver(desk.kind, body, headers).status_code == 200
        a.drained(30)
        b.drained(30)
    assert {t: len(desk.snapshot(t).notes) for t in ids} == dict.fromkeys(ids, 1)
