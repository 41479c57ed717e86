"""The names the helpdesk knows stay away from the LLM, on every helpdesk: a ticket whose
requester is "Will Baker", with "May Chen" copied in and the agent "Grace Hopper" assigned,
mentions all three (full names, surnames, first names in a greeting and a sign-off, an
e-mail); ``ticketbot run`` sends the stand-in none of them (Freshdesk and ServiceNow name a
CC by address only: the CC's name is not known there), and the ordinary words the first
names also are ("will", "in May") reach it as written."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from support.cli import invoke
from support.clock import FakeClock

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.answers import iter_requests
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)

REPLY = "Hi Grace,\nMs Hopper told me on the phone it ships Monday. Still nothing.\nWill Baker"

SUBJECT = "Will Baker: order 4471 will not ship"
BODY = (
    "Hi Grace,\n"
    "May Chen and I will wait, but will the parcel come in May? Ms Hopper said Mr Baker\n"
    "should write to may.chen@example.org or grace.hopper@example.net about it.\n"
    "Thanks, Will"
)
NAMES = ["Baker", "Chen", "Hopper", "Grace", "may.chen", "grace.hopper", "Thanks, Will"]
CC_BY_ADDRESS = ("freshdesk", "servicenow")
KEPT = [
    "[NAME]: order 4471 will not ship",
    "Hi [NAME],",
    "and I will wait, but will the parcel come in May? Ms [NAME] said Mr [NAME]",
    "Thanks, [NAME]",
]


def _llm_engine(
    make_standin: Callable[..., RunningStandin], monkeypatch: pytest.MonkeyPatch
) -> RunningStandin:
    """A stand-in the run's LLM engine talks to (it keeps every request it received)."""
    llm = make_standin()
    for name, value in {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
    }.items():
        monkeypatch.setenv(name, value)
    return llm


def test_known_names_do_not_reach_the_llm(
    desk: Desk, make_standin: Callable[..., RunningStandin], monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = _llm_engine(make_standin, monkeypatch)
    ticket = NewTicket(
        SUBJECT,
        BODY,
        requester_name="Will Baker",
        cc=(("May Chen", "may.chen@example.org"),),
        agent=("Grace Hopper", "grace.hopper@example.net"),
    )
    desk.create([ticket])
    result = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    sent = "\n".join(iter_requests(llm))
    assert "order 4471" in sent, "the ticket did not reach the stand-in: the check would be empty"
    # Freshdesk (``cc_emails``) and ServiceNow (an address on the watch list) name a CC by
    # address alone: the address goes, the name stays.
    names = NAMES if desk.kind not in CC_BY_ADDRESS else [n for n in NAMES if n != "Chen"]
    assert [name for name in names if name in sent] == []
    assert [text for text in KEPT if text not in sent] == []


@pytest.mark.desk(clock="desk_clock", configure=True)
def test_known_names_in_a_customers_reply_do_not_reach_the_llm(
    desk: Desk,
    desk_clock: FakeClock,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reply's triage reads the ticket again with its conversation: the assigned agent
    is among its people there too (Freshdesk names the agent by id alone; an outside review
    saw "Hi Tess" reach the LLM on Freshdesk and "Hi [NAME]" on Zendesk)."""
    llm = _llm_engine(make_standin, monkeypatch)
    (ticket_id,) = desk.create(
        [
            NewTicket(
                "Order 4471 not shipped",
                "My order 4471 has not shipped. Can you check?",
                requester_name="Will Baker",
                agent=("Grace Hopper", "grace.hopper@example.net"),
            )
        ]
    )
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    llm.received.clear()
    desk_clock.advance(5)
    desk.requester_says(ticket_id, REPLY)
    desk_clock.now = float(int(time.time()))
    second = invoke("run")
    assert second.exit_code == 0, second.output
    sent = "\n".join(iter_requests(llm))
    assert "ships Monday" in sent, "the reply did not reach the stand-in: the check would be empty"
    assert [name for name in ("Grace", "Hopper", "Baker") if name in sent] == []
