"""Each helpdesk's SLA read is bounded in requests, as the sandbox counts them: a queue of open
tickets with a clock each is read in the pages the read says it took (far below the helpdesk's
minute limit), and a smaller budget stops the read at it, said as incomplete."""

from __future__ import annotations

import time

import pytest
from support.connected import connected
from support.sla import open_clocks, reads_counted

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(unlimited=True)

OPEN = 250


def test_the_read_takes_the_requests_it_says_and_stops_at_its_budget(desk: Desk) -> None:
    now = time.time()
    ids = open_clocks(desk, OPEN, first_due=now + 600)
    reader = KINDS[desk.kind].sla_reader()
    assert reader is not None
    helpdesk = connected(desk)
    try:
        desk.reset_stats()
        read = reader(helpdesk, now=now, history_since=now - 14 * 86400, max_requests=60)
        counted = reads_counted(desk.stats())
        assert read.complete
        assert {c.ticket_id for c in read.clocks if c.metric == "first_reply"} == set(ids)
        assert counted == read.requests, (counted, read.requests)
        assert counted <= 60

        desk.reset_stats()
        short = reader(helpdesk, now=now, history_since=now - 14 * 86400, max_requests=3)
        assert reads_counted(desk.stats()) <= 6  # the definitions and the schedule, one page
        assert short.complete == (len(short.clocks) == len(read.clocks))
    finally:
        helpdesk.close()
