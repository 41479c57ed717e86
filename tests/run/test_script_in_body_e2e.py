"""A ticket whose body holds a ``<script>`` or ``<style>`` element, on each helpdesk: the
element's code is not the customer's words, so it is in neither the note's summary nor what
the engines read. A body with no other tag kept it (``stealTheCookies()`` in the summary)."""

from __future__ import annotations

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
