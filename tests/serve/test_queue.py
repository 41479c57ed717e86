"""The one-replica delivery queue (SQLite in the state directory): stored once, taken once,
tried again with a back-off then given up, given back at a restart, pruned after a week."""

from __future__ import annotations

from pathlib import Path

from ticket_processor.helpdesks.deliveries import Delivery
from ticket_processor.serve.queue import (
    BACKOFF,
    KEEP_DONE,
    MAX_ATTEMPTS,
    DeliveryQueue,
    sqlite_engine,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def queue(tmp_path: Path, clock: Clock) -> DeliveryQueue:
    return DeliveryQueue(sqlite_engine(tmp_path / "serve"), owner="me", clock=clock)


def test_a_zendesk_retry_is_stored_once_by_signature_or_invocation(tmp_path: Path) -> None:
    q = queue(tmp_path, Clock())
    assert q.store(Delivery("zendesk", 1, "created", 1.0, signature="a", invocation="w:1"))
    assert not q.store(Delivery("zendesk", 1, "created", 2.0, signature="a", invocation="w:1"))
    assert not q.store(Delivery("zendesk", 1, "created", 2.0, signature="b", invocation="w:1"))
    assert not q.store(Delivery("zendesk", 1, "created", 2.0, signature="a", invocation="w:2"))
    assert q.depth() == 1


def test_a_freshdesk_delivery_waiting_already_is_the_same_request(tmp_path: Path) -> None:
    q = queue(tmp_path, Clock())
    assert q.store(Delivery("freshdesk", 4, "reply", 1.0))
    assert not q.store(Delivery("freshdesk", 4, "reply", 2.0))
    assert q.store(Delivery("freshdesk", 4, "created", 2.0))  # another event
    q.claim()
    assert q.store(Delivery("freshdesk", 4, "reply", 3.0))  # a new reply while one is worked on


def test_failures_back_off_then_give_up_and_busy_tickets_wait_uncounted(tmp_path: Path) -> None:
    clock = Clock()
    q = queue(tmp_path, clock)
    q.store(Delivery("zendesk", 9, "created", clock.now, signature="s"))
    [item] = q.claim()
    q.again([item], delay=0.5)  # its ticket was busy: not an attempt
    assert q.claim() == []
    clock.now += 0.5
    [item] = q.claim()
    assert item.attempts == 0
    for attempt in range(MAX_ATTEMPTS - 1):
        q.again([item])
        assert q.claim() == []
        clock.now += BACKOFF * 2**attempt
        [item] = q.claim()
        assert item.attempts == attempt + 1
    q.again([item])
    assert q.counts() == {"failed": 1}
    assert q.depth() == 0


def test_a_restart_takes_back_the_claims_and_old_deliveries_are_pruned(tmp_path: Path) -> None:
    clock = Clock()
    first = queue(tmp_path, clock)
    for n in (1, 2):
        first.store(Delivery("zendesk", n, "created", clock.now, signature=f"s{n}"))
    [one, _two] = first.claim()
    first.finish([one.id])
    first.close()  # killed: ticket 2 stays claimed
    again = queue(tmp_path, clock)
    assert again.claim() == []
    assert again.release_all() == 1
    assert [s.ticket_id for s in again.claim()] == [2]
    clock.now += KEEP_DONE + 1
    assert again.prune() == 1  # the finished one; the claimed one stays
    assert again.counts() == {"claimed": 1}
