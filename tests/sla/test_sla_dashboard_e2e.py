"""The SLA pass's clocks on the dashboard, on each sandbox: a cron run (``TICKETBOT_SLA=true``)
triages new tickets and reads their service levels from the helpdesk; ``ticketbot dashboard``
over the store that run filled lists the ticket at risk first when sorted by time to breach,
marked, and its page shows its clock. The pages ask the helpdesk nothing about service levels:
they read what the run recorded."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import httpx
import pytest
from support.cli import invoke
from support.dashboard import rows_of, start_dashboard
from support.sla import EVERY_DAY, ON, TARGETS, at_risk, sla_desk, slow_history

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)


def _new(subject: str) -> NewTicket:
    return NewTicket(subject, f"{subject}: please help.", priority="normal")


def test_an_at_risk_ticket_leads_the_list_sorted_by_breach(desk: Desk) -> None:
    sla = sla_desk(desk)
    now = time.time()
    sla.sla_schedule("UTC", EVERY_DAY)
    sla.sla_policy(TARGETS)
    later, soon, paused, none = desk.create(
        [_new("Due tomorrow"), _new("Invoice missing"), _new("Waiting on them"), _new("Hello")]
    )
    sla.sla_clock(later, metric="first_reply", breach_at=now + 86400)
    sla.sla_clock(soon, metric="first_reply", breach_at=now + 1800)
    sla.sla_clock(paused, metric="first_reply", breach_at=now + 600, stage="paused")
    slow_history(sla, now)

    result = invoke("run", "--engine", "rules", env=ON)
    assert result.exit_code == 0, result.output
    assert at_risk(desk, soon)

    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        page = client.get("/tickets", params={"sort": "breach"})
        assert page.status_code == 200
        order = [int(i) for i in re.findall(r'<tr data-ticket-id="(\d+)"', page.text)]
        # (Freshdesk gives every ticket its policy's due times: "Hello" has a clock there too.)
        assert order[0] == soon, order
        assert order.index(later) < order.index(paused), order  # no clock waiting: last
        assert set(order) == {soon, later, paused, none}
        rows = rows_of(page.text)
        assert "at risk" in rows[soon]
        assert "at risk" not in rows[later]

        ticket = client.get(f"/tickets/{soon}", params={"helpdesk": desk.kind})
        assert ticket.status_code == 200
        section = ticket.text.split('<section id="sla">')[1].split("</section>")[0]
        assert 'data-metric="first_reply" data-stage="active"' in section
        assert "first reply" in section
        assert f"{datetime.fromtimestamp(now + 1800, UTC):%Y-%m-%d %H:%M}" in section
        assert "at risk" in section
        assert re.search(r'class="n">\d+%<', section), section  # the likelihood
        held = client.get(f"/tickets/{paused}", params={"helpdesk": desk.kind}).text
        assert 'data-stage="paused"' in held
