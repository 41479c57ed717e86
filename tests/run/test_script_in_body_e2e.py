"""A ticket whose body holds a ``<script>`` or ``<style>`` element, on each helpdesk: the
element's code is not the customer's words, so it is in neither the note's summary nor what
the engines read. A body with no other tag kept it (``stealTheCookies()`` in the summary)."""

from __future__ import annotations

import httpx
import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket

BODIES = [
    "My invoice is wrong <script>stealTheCookies()</script> I was charged twice.",
    "My invoice is wrong <style>.evil{color:red}</style> I was charged twice.",
    "<p>My invoice is wrong.</p><script>stealTheCookies()</script><p>I was charged twice.</p>",
]


@pytest.mark.desk(configure=True)
def test_script_and_style_text_stay_out_of_the_note(desk: Desk) -> None:
    ids = desk.create([NewTicket("Invoice", body) for body in BODIES])
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for ticket_id in ids:
        [note] = desk.snapshot(ticket_id).notes
        [summary] = [line for line in note.splitlines() if line.startswith("Summary:")]
        assert "charged twice" in summary, note
        assert "stealTheCookies" not in note, note
        assert "color:red" not in note, note


@pytest.mark.desk(kinds=("freshdesk",), configure=True)
def test_a_script_freshdesk_kept_the_words_of_stays_out_of_the_note(desk: Desk) -> None:
    """An HTML description posted through Freshdesk's API: its ``description_text`` is the HTML
    with the tags stripped, a script's words kept (the sandbox's, as a new user found). The
    text is read from the HTML then, the script dropped whole."""
    env = desk.env()
    created = httpx.post(
        f"{desk.url}/api/v2/tickets",
        auth=(env["FRESHDESK_API_KEY"], "X"),
        json={
            "subject": "billing",
            "description": "<div>Why was I charged twice this month?"
            "<script>stealTheCookies()</script><style>.evil{color:red}</style></div>",
            "email": "customer@example.com",
            "priority": 1,
            "status": 2,
        },
    )
    assert created.status_code == 201, created.text
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [note] = desk.snapshot(created.json()["id"]).notes
    assert "charged twice" in note, note
    assert "stealTheCookies" not in note, note
    assert "color:red" not in note, note
