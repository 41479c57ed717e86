"""Two installations of ticketbot on one helpdesk account (two processes, each with its own state
and logs, neither knowing the other) meet the same customers' replies: one note per reply.

The race is made certain rather than hoped for: installation B reads the replies' conversations,
and while its LLM (the stand-in) judges the first of them, installation A — a real second
``ticketbot run`` process with its own state directory — runs from start to end and answers
every reply. B then writes against conversations that are out of date: it must see A's notes,
write none of its own, and count each ticket as a ``second_writer``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.clock import FakeClock
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.answers import default_answer
from ticket_processor.sandbox.llm_standin.server import RunningStandin

ANGRY = (
    "This is the third time I am asking and still no answer. This is unacceptable, "
    "I am cancelling my subscription today!"
)
TICKETS = [
    NewTicket(f"Export {n}", f"Hello, how do I export my contacts to a CSV file ({n})?")
    for n in range(3)
]


def other_installation(root: Path) -> subprocess.CompletedProcess[bytes]:
    """``ticketbot run`` as a separate process with its own state and log directories."""
    home = root / "installation-a"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "TICKETBOT_STATE_DIR": str(home / "state"),
        "TICKETBOT_LOG_DIR": str(home / "logs"),
        "TICKETBOT_WORKERS": "2",
    }
    return subprocess.run(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env=env,
        cwd=home,
        capture_output=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.desk(clock="desk_clock", configure=True)
def test_two_installations_leave_one_note_per_customer_reply(
    desk: Desk,
    desk_clock: FakeClock,
    tmp_path: Path,
    make_standin: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm: RunningStandin = make_standin()
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    ids = desk.create(TICKETS)
    first = invoke("run", "--engine", "llm")
    assert first.exit_code == 0, first.output
    assert all(len(desk.snapshot(i).notes) == 1 for i in ids)

    desk_clock.advance(5)
    for ticket_id in ids:
        desk.requester_says(ticket_id, ANGRY)
    desk_clock.now = float(int(time.time()))  # the replies are over a minute old now

    rules = default_answer()
    lock = threading.Lock()
    ran: list[subprocess.CompletedProcess[bytes]] = []

    def answer(subject: str, body: str) -> dict[str, Any]:
        # B's LLM is judging a reply: B has read every conversation already. Installation A
        # runs now, to its end, and answers every reply first.
        with lock:
            if "new reply" in body and not ran:
                desk_clock.advance(5)  # A's writes land in a later second than B's reads
                ran.append(other_installation(tmp_path))
        return rules(subject, body)

    llm.config.answer = answer
    second = invoke("run", "--engine", "llm")
    assert second.exit_code == 0, second.output
    [a_run] = ran
    assert a_run.returncode == 0, a_run.stderr.decode(errors="replace")[-2000:]

    for ticket_id in ids:
        notes = desk.snapshot(ticket_id).notes
        assert len(notes) == 2, (ticket_id, notes)  # the first triage's and one reply note
        assert "the customer replied" in notes[-1]
    finished = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"]
    assert finished[-1]["second_writer"] == len(ids), finished[-1]

    again = invoke("run", "--engine", "rules")  # and the next run adds nothing
    assert again.exit_code == 0, again.output
    assert all(len(desk.snapshot(i).notes) == 2 for i in ids)
