"""A macro deleted in the helpdesk between ``macros sync`` and the run is never quoted to a
customer, on each sandbox: the index keeps its entry until the next sync, and a run answered
from it. The run lists the helpdesk's macros at the first macro it would quote
(``macros.answers.LiveMacros``); a macro gone has nothing to quote."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from support.answers_desk import create_tickets, public_comments, publish_help_centre
from support.cli import invoke
from support.macros_desk import post_macro

from ticket_processor.macros.answers import LiveMacros, entry_id
from ticket_processor.models.ready_reply import ReadyReply
from ticket_processor.sandbox.desks import Desk

TIMEOUT = (5, 30)
SSO = (
    "Single sign-on with Okta",
    "To sign in with Okta single sign-on, open the Okta dashboard and click the ticketbot tile. "
    "Your workspace admin must first add ticketbot as an Okta application.",
)
ASKED = [
    ("Okta single sign-on", "How do I sign in with Okta single sign-on to my workspace?"),
    ("SSO with Okta", "Where do I click to use Okta single sign-on for my workspace?"),
]


def _delete(desk: Desk, macro_id: int, title: str) -> None:
    """The macro deleted as an agent or admin deletes it in each helpdesk."""
    env: dict[str, Any] = desk.env()
    if desk.kind == "zendesk":
        auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])
        gone = requests.delete(f"{desk.url}/api/v2/macros/{macro_id}", auth=auth, timeout=TIMEOUT)
        assert gone.status_code == 204, gone.text
    elif desk.kind == "servicenow":
        auth = (env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"])
        table = f"{desk.url}/api/now/table/sys_template"
        found = requests.get(
            table, params={"sysparm_query": f"name={title}"}, auth=auth, timeout=TIMEOUT
        ).json()["result"]
        for row in found:
            gone = requests.delete(f"{table}/{row['sys_id']}", auth=auth, timeout=TIMEOUT)
            assert gone.status_code == 204, gone.text
    else:  # Freshdesk's API deletes no canned response: an admin does it in its pages
        desk.sandbox.store.canned.remove_response(macro_id)


@pytest.mark.desk(configure=True)
def test_a_macro_deleted_after_the_sync_is_never_quoted(desk: Desk) -> None:
    publish_help_centre(desk)
    macro_id = post_macro(desk.kind, desk, *SSO)
    synced = invoke("macros", "sync")
    assert synced.exit_code == 0, synced.output
    assert "1 may answer customers" in synced.output
    _delete(desk, macro_id, SSO[0])
    ids = create_tickets(
        desk, [{"subject": s, "description": d, "kind": "answerable"} for s, d in ASKED]
    )
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    quoted = [c for i in ids for c in public_comments(desk, i) if "Okta dashboard" in c]
    assert quoted == []


def test_the_live_macros_are_listed_once_and_again_when_old() -> None:
    calls: list[int] = []
    now = [0.0]
    macros = [ReadyReply(7, "Okta", "text", True)]

    def listing() -> list[ReadyReply]:
        calls.append(1)
        return list(macros)

    live = LiveMacros(listing, clock=lambda: now[0])
    assert live.live(entry_id(7))
    assert not live.live(entry_id(8))
    assert live.live(42)  # a help-centre article: not a macro's entry, never listed for
    assert len(calls) == 1
    macros.clear()
    now[0] = LiveMacros.MAX_AGE
    assert not live.live(entry_id(7))
    assert len(calls) == 2
