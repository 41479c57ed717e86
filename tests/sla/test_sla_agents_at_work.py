"""Each helpdesk's SLA read counts the agents of each group at work now, as the helpdesk keeps
their availability (Zendesk's omnichannel ``agent_availabilities``, Freshdesk's ``available``
toggle, ServiceNow's AWA presence joined to the groups' members): a group with nobody at work
reads 0, and where the helpdesk keeps no availability the read says it does not know."""

from __future__ import annotations

import time

import pytest
from support.connected import connected
from support.sla import EVERY_DAY, TARGETS, sla_desk

from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.sla import SlaRead
from ticket_processor.sandbox.desks import StaffedDesk

pytestmark = pytest.mark.desk(unlimited=True)


def _read(desk: StaffedDesk) -> SlaRead:
    reader = KINDS[desk.kind].sla_reader()
    assert reader is not None
    now = time.time()
    helpdesk = connected(desk)
    try:
        return reader(helpdesk, now=now, history_since=now - 86400, max_requests=60)
    finally:
        helpdesk.close()


def test_the_agents_at_work_are_counted_per_group(desk: StaffedDesk) -> None:
    sla = sla_desk(desk)
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    desk.define_skills(["English"], ["Billing"])
    billing, returns = desk.group("Billing"), desk.group("Returns")
    desk.hire("Ana Souza", billing, ["English"])
    desk.hire("Bo Lind", billing, ["English"])
    desk.hire("Cy Ode", billing, ["English"], available=False)
    away = desk.hire("Di Eze", returns, ["English"])
    desk.set_away(away, True)

    read = _read(desk)

    assert read.agents_at_work is not None
    assert read.agents_at_work.get(billing) == 2
    assert read.agents_at_work.get(returns) == 0


def test_without_availability_the_agents_at_work_are_unknown(desk: StaffedDesk) -> None:
    sla = sla_desk(desk)
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    desk.define_skills(["English"], ["Billing"])
    desk.hire("Ana Souza", desk.group("Billing"), ["English"])
    desk.keep_no_availability()

    assert _read(desk).agents_at_work is None
