"""A sync that runs while ``serve`` runs reaches it without a restart: on each sandbox, a
``macros sync`` made after the server started gets the next delivered ticket suggested macros
(and the triage API answers them), and the similar solved tickets ``kb sync`` reads after it
started show in the next ticket's note, those of a later sync too.

Then ``ReopeningStep`` on its own, with a step of plain text files: a changed file is opened
again, a damaged one keeps the step as it was and is said once, and a ticket read before a
reopening is judged and written by the step that read it.

The macro history is a small part of the committed BANKING77 sample (CC BY 4.0,
``tests/data/README.md``), put on the sandbox as ``tests/macros`` does.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import command, invoke
from support.macros_desk import answered_history, post_macro, sample
from support.serving import TOKEN, Running, delivery_for, serve_env, serving

from ticket_processor.models import (
    Analysis,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
    WriteBack,
)
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.solved.history import OVERLAP
from ticket_processor.steps.protocol import Step, TicketStep
from ticket_processor.steps.reopening import ReopeningStep
from ticket_processor.triage.prepare import prepare_ticket

macros_cli = command("macros")
DATA = Path(__file__).resolve().parents[1] / "data"


def _served_note(server: Running, desk: Desk, subject: str, body: str) -> str:
    """A new ticket delivered to the server, triaged and written: its note."""
    [ticket] = desk.create([NewTicket(subject, body)])
    # Each its own delivery (where a kind sends an invocation id, a repeat is a redelivery).
    delivery = delivery_for(desk.kind, ticket, invocation=f"inv-{ticket}")
    answer = server.deliver(desk.kind, *delivery)
    assert answer.status_code == 200, answer.text
    server.drained(timeout=120)
    [note] = desk.snapshot(ticket).notes
    assert note is not None
    return note


@pytest.mark.desk(seed=None, configure=True, unlimited=True)
def test_serve_suggests_a_macro_synced_after_it_started(
    desk_kind: str, desk: Desk, tmp_path: Path
) -> None:
    macros, rows = sample(with_macro=4, without=2, per_intent=10)
    intent = next(iter(macros))
    ids = {kind: post_macro(desk_kind, desk, *macro) for kind, macro in macros.items()}
    answered_history(desk, macros, rows)
    used = {r["id"] for r in rows}
    tickets = [json.loads(line) for line in (DATA / "macros_banking77_tickets.jsonl").open()]
    asked = [r["text"] for r in tickets if r["intent"] == intent and r["id"] not in used][:2]
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serving(serve_env(desk.env(), tmp_path)) as server:
        before = _served_note(server, desk, "", asked[0])
        assert "(macro " not in before  # no book yet: nothing to suggest from

        synced = macros_cli("sync")  # the server has been running all along
        assert synced.exit_code == 0, synced.output
        after = _served_note(server, desk, "", asked[1])
        found = server.client.post(
            f"{server.url}/api/v1/triage",
            json={"subject": "", "description": asked[1]},
            headers=auth,
        )
    assert f"(macro {ids[intent]}, confidence" in after
    assert found.status_code == 200, found.text
    assert found.json()["macros"][0]["id"] == ids[intent]


def _similar(note: str) -> list[str]:
    """The ids the note's similar solved tickets' section lists, best first."""
    lines = note.split("\n")
    assert "Similar solved tickets:" in lines, note
    start = lines.index("Similar solved tickets:")
    return [line.split(" ")[0] for line in lines[start + 1 : lines.index("", start)]]


@pytest.mark.desk(seed=None, configure=True, unlimited=True)
def test_serve_shows_similar_solved_tickets_synced_after_it_started(
    desk: Desk, tmp_path: Path
) -> None:
    solved = time.time() - 3 * OVERLAP  # before the sync's overlap: read once
    refunds = [
        desk.import_answered(NewTicket(subject, body), [(reply, solved - 600)], solved)
        for subject, body, reply in [
            (
                "Refund not received",
                "I returned the shoes two weeks ago and the refund is still not on my card.",
                "Hi, the warehouse had not scanned your return; I booked the refund by hand.",
            ),
            (
                "Where is my money back",
                "Sent the jacket back last month, still no refund. What is going on?",
                "Hello, your return was stuck; refund booked by hand now, 3-5 days.",
            ),
        ]
    ]
    with serving(serve_env(desk.env(), tmp_path)) as server:
        first = invoke("kb", "sync", "--solved", "30d")  # the store starts now
        assert first.exit_code == 0, first.output
        refund = _served_note(
            server, desk, "My refund", "I sent the boots back weeks ago and got no refund yet."
        )
        assert set(_similar(refund)[:2]) == {f"#{i}" for i in refunds}

        password = desk.import_answered(
            NewTicket("Password", "How do I reset my password? The sign-in page rejects it."),
            [("Use the Forgot password link on the sign-in page.", time.time() - 60)],
            time.time(),
        )
        again = invoke("kb", "sync")  # reads on into the store the server has open
        assert "1 stored" in again.output, again.output
        sign_in = _served_note(server, desk, "Sign-in", "How can I reset my password? I forgot it.")
    assert _similar(sign_in)[0] == f"#{password}"


# -- ReopeningStep on its own ----------------------------------------------------------------


_TRIAGE = Triage(
    analysis=Analysis(
        category="billing",
        urgency=Urgency.LOW,
        sentiment=Sentiment.NEUTRAL,
        language="en",
        summary="A question about a card.",
        confidence=0.8,
    ),
    engine="rules",
)


class _Tagging(Step):
    """A step that tags each ticket with the word its file held when it was opened."""

    name = "tagging"

    def __init__(self, word: str) -> None:
        self.word = word
        self.closed = False

    def read(self, ticket: Ticket, prepared: Any) -> Any:
        return self.word

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        tags = (*writeback.additional_tags, f"{self.word}_{reading}")
        return writeback.model_copy(update={"additional_tags": tags})

    def close(self) -> None:
        self.closed = True


def _opener(path: Path) -> Any:
    def opened(current: TicketStep | None) -> TicketStep | None:
        word = path.read_text()
        if not word.isalpha():
            raise ValueError("not a word")
        return _Tagging(word)

    return opened


def _write(path: Path, text: str) -> None:
    """Written as the syncs write: a temp file renamed over the old one."""
    temp = path.with_suffix(".tmp")
    temp.write_text(text)
    os.replace(temp, path)


def _tags(step: ReopeningStep, reading: Any) -> tuple[str, ...]:
    ticket = Ticket(id=7, subject="s", description="d", status="new")
    written = step.attach(
        ticket,
        _TRIAGE,
        WriteBack(ticket_id=7, additional_tags=()),
        reading,
        replanned=False,
        language="en",
    )
    return tuple(written.additional_tags)


def _read(step: ReopeningStep) -> Any:
    ticket = Ticket(id=7, subject="s", description="d", status="new")
    return step.read(ticket, prepare_ticket("s", "d"))


def test_a_file_that_appears_or_changes_is_opened_again_and_a_damaged_one_is_said_once(
    tmp_path: Path,
) -> None:
    path = tmp_path / "book.txt"
    said: list[str] = []
    step = ReopeningStep("tagging", path, _opener(path), warn=said.append)
    assert step.current is None  # no file yet: no step, nothing added
    assert _tags(step, _read(step)) == ()

    _write(path, "alpha")
    assert _tags(step, _read(step)) == ("alpha_alpha",)
    alpha = step.current

    _write(path, "not a word!")  # damaged: the step as it was, said once
    assert _tags(step, _read(step)) == ("alpha_alpha",)
    assert _tags(step, _read(step)) == ("alpha_alpha",)
    assert len(said) == 1
    assert "book.txt changed but could not be read (not a word)" in said[0]

    read_before = _read(step)
    _write(path, "beta")
    read_after = _read(step)
    assert _tags(step, read_before) == ("alpha_alpha",)  # judged by the step that read it
    assert _tags(step, read_after) == ("beta_beta",)
    assert isinstance(alpha, _Tagging)
    assert not alpha.closed  # a ticket under way may still use it

    _write(path, "gamma")
    _read(step)
    assert alpha.closed  # retired two reopenings ago
    step.close()
