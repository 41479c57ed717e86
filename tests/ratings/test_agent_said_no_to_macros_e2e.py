"""Agents' "did not help" on a macro's tag counts in that macro's thresholds, end to end on every
helpdesk: a history long enough for the tag (``support.macros_desk.refunds_history``), three
refund questions tagged with "Refund issued", an agent who answers each in their own words, adds
``ai_feedback_not_helped`` and solves it; after the next ``macros sync`` the macro is no longer
tagged, and listed only where it is sure (a coin's chance or more). Fewer "no"s than that leave
the tag: ``tests/macros/test_feedback.py``. The same "not helped" given on the dashboard's ticket
page (the real form, with its CSRF token; a double click counts once) counts the same way, with
no sync in between: the run reads the audit store's ratings."""

from __future__ import annotations

import httpx
import pytest
from support.cli import command, invoke
from support.dashboard import TOKEN, bearer, rate, start_dashboard
from support.macros_desk import refunds_history

from ticket_processor.macros.feedback import DEMOTE_AT
from ticket_processor.sandbox.desks import Desk, NewTicket

macros_cli = command("macros")

REFUND_QUESTIONS = (
    "Please refund my last payment, the product did not work.",
    "I want my money back for the order I cancelled last week.",
    "Can you refund the second payment? I was charged twice.",
)
# A refund question in the words of the history's refunds (BANKING77, not among them), far
# enough from the three above that their own-words answers do not outvote the macro.
LATER = "How do I apply for a refund?"


def _seed() -> None:
    seeded = invoke("seed", "--count", "1")
    assert seeded.exit_code == 0, seeded.output


def _macro_tags(desk: Desk, ticket_id: int) -> list[str]:
    return [t for t in desk.snapshot(ticket_id).tags if t.startswith("ai_macro_")]


@pytest.mark.desk(seed=None, configure=True)
def test_a_macro_agents_said_did_not_help_is_no_longer_tagged(desk_kind: str, desk: Desk) -> None:
    title, _ = refunds_history(desk_kind, desk, _seed)
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    asked = desk.create([NewTicket("Refund", q) for q in REFUND_QUESTIONS[:DEMOTE_AT]])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    tags = {tuple(_macro_tags(desk, ticket_id)) for ticket_id in asked}
    [(tag,)] = tags  # each tagged with the refund macro
    for ticket_id in asked:  # an agent: not this macro; answers in their own words, solves
        desk.agent_replies(ticket_id, "I have looked at your order and sorted it out myself.")
        said = [*desk.snapshot(ticket_id).tags, "ai_feedback_not_helped"]
        desk.agent_solves(ticket_id, tags=said)

    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    [later] = desk.create([NewTicket("", LATER)])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert _macro_tags(desk, later) == []
    [note] = desk.snapshot(later).notes
    macro_id = tag.removeprefix("ai_macro_")
    assert f"- {title} (macro {macro_id}, confidence " in note  # sure: still suggested


@pytest.mark.desk(seed=None, configure=True)
def test_a_macro_agents_said_on_the_page_did_not_help_is_no_longer_tagged(
    desk_kind: str, desk: Desk
) -> None:
    title, _ = refunds_history(desk_kind, desk, _seed)
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    asked = desk.create([NewTicket("Refund", q) for q in REFUND_QUESTIONS[:DEMOTE_AT]])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [(tag,)] = {tuple(_macro_tags(desk, ticket_id)) for ticket_id in asked}
    macro_id = tag.removeprefix("ai_macro_")

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        for ticket_id in asked:
            assert rate(client, ticket_id, "macros", "not_helped", item=macro_id) == 303
        # a double click: still one rating of that ticket
        assert rate(client, asked[0], "macros", "not_helped", item=macro_id) == 303

    [later] = desk.create([NewTicket("", LATER)])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    assert _macro_tags(desk, later) == []
    [note] = desk.snapshot(later).notes
    assert f"- {title} (macro {macro_id}, confidence " in note  # sure: still suggested
