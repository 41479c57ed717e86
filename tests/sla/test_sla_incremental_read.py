"""Each helpdesk's SLA read across runs: the second run reads from where the first left off
(Zendesk's export cursor, Freshdesk's ``updated_since``, ServiceNow's ``sys_updated_on``), only
the tickets changed since, in few requests as the sandbox counts them, and still knows every
open ticket's clocks; a missing or unreadable kept read means a full read, said once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.clock import FakeClock
from support.connected import connected
from support.sla import open_clocks, reads_counted, sla_desk, triaged

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.sla import SlaRead
from ticket_processor.sandbox.desks import Desk
from ticket_processor.sla.reads import FILE, SlaReads

pytestmark = pytest.mark.desk(unlimited=True, clock="desk_clock")

OPEN = 350
HISTORY = 14 * 86400


def _run(desk: Desk, state: Path) -> tuple[SlaReads, SlaRead, int]:
    """One run's read as the SLA pass makes it: from what the last one kept, merged, kept."""
    reader = KINDS[desk.kind].sla_reader()
    assert reader is not None
    now = time.time()
    kept = SlaReads.open(state, desk.kind, now=now)
    helpdesk = connected(desk)
    try:
        desk.reset_stats()
        read = reader(
            helpdesk, now=now, history_since=now - HISTORY, max_requests=60, since=kept.position
        )
        counted = reads_counted(desk.stats())
    finally:
        helpdesk.close()
    read = kept.merged(read, history_since=now - HISTORY)
    kept.save(read, now=now)
    return kept, read, counted


def test_the_second_run_reads_only_what_changed(
    desk: Desk, desk_clock: FakeClock, tmp_path: Path
) -> None:
    now = time.time()
    ids = open_clocks(desk, OPEN, first_due=now + 3600)
    desk_clock.advance(5)
    desk.agent_edit(ids[-1], "billing", "normal")  # the latest change the first run sees

    first, full, full_requests = _run(desk, tmp_path)
    assert first.note is not None  # nothing kept yet: a full read, said
    assert full.changed is None
    assert {c.ticket_id for c in full.clocks} == set(ids)

    desk_clock.advance(5)
    desk.agent_edit(ids[0], "vip", "high")
    (new,) = desk.create([triaged("A new question")])
    sla_desk(desk).sla_clock(new, metric="first_reply", breach_at=now + 1800)

    second, read, counted = _run(desk, tmp_path)
    assert second.note is None
    assert read.changed is not None
    assert {ids[0], new} <= read.changed
    assert len(read.changed) <= 4, sorted(read.changed)  # the changed, not the queue
    assert counted <= min(full_requests, 8), (counted, full_requests)
    assert {c.ticket_id for c in read.clocks if c.metric == "first_reply"} == {*ids, new}
    edited = [c for c in read.clocks if c.ticket_id == ids[0]]
    assert edited
    assert {c.priority for c in edited} == {"high"}


def test_an_unreadable_kept_read_means_a_full_read_said_once(desk: Desk, tmp_path: Path) -> None:
    (ticket_id,) = open_clocks(desk, 1, first_due=time.time() + 3600)
    _run(desk, tmp_path)
    (tmp_path / FILE).write_bytes(b'{"kind": "' + desk.kind.encode() + b'", "position": 7')

    kept, read, _ = _run(desk, tmp_path)
    assert kept.note == "the kept SLA read was unreadable: this run reads in full"
    assert read.changed is None
    assert [c.ticket_id for c in read.clocks if c.metric == "first_reply"] == [ticket_id]

    again, _, _ = _run(desk, tmp_path)
    assert again.note is None
    assert again.position is not None
