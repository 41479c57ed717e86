"""Each helpdesk's SLA read gives the history's first-reply deadlines as the helpdesk kept them
(Zendesk's applied target on a solved ticket, Freshdesk's ``fr_due_by`` and ``fr_escalated``,
ServiceNow's ``planned_end_time`` and ``has_breached``): the closed clocks the breach
probability is calibrated on, met and missed told apart."""

from __future__ import annotations

import time

import pytest
from support.connected import connected
from support.sla import EVERY_DAY, TARGETS, sla_desk

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.sandbox.desks import Desk

pytestmark = pytest.mark.desk(unlimited=True)


def test_the_historys_deadlines_are_read_met_and_missed(desk: Desk) -> None:
    sla = sla_desk(desk)
    now = float(int(time.time()))  # the helpdesks keep whole seconds
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    asked = now - 6 * 3600
    sla.sla_history(None, asked, 30, due_at=asked + 3600)  # met
    sla.sla_history(None, asked - 3600, 90, due_at=asked)  # missed
    sla.sla_history(None, asked - 7200, 20)  # its deadline not known
    reader = KINDS[desk.kind].sla_reader()
    assert reader is not None
    helpdesk = connected(desk)
    try:
        read = reader(helpdesk, now=now, history_since=now - 86400, max_requests=60)
    finally:
        helpdesk.close()
    by_asked = {round(h.asked_at): h for h in read.history}
    met, missed = by_asked[round(asked)], by_asked[round(asked - 3600)]
    assert met.due_at == pytest.approx(asked + 3600, abs=1)
    assert met.answered_at == pytest.approx(asked + 1800, abs=60)
    assert met.breached is False
    assert missed.due_at == pytest.approx(asked, abs=1)
    assert missed.breached is True
