"""The sample account's macros and a solved history whose agents answered with them
(``samples/macros.jsonl``), which ``ticketbot seed`` puts in ticketbot's own sandboxes so that
``ticketbot macros sync`` has something to learn from: four macros, thirteen solved tickets
answered with one of them, three answered in the agent's own words."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

from ..models import Agent
from .samples import SAMPLE_GROUPS

OWN_REPLY = (
    "Thanks for writing to us. I have passed this on to our product team, who read every "
    "suggestion; I cannot promise a date, but it is on their list."
)


@dataclass(frozen=True)
class SampleMacro:
    key: str
    title: str
    text: str


@dataclass(frozen=True)
class SampleSolved:
    """A solved ticket and its agent's reply: a macro's text, or the agent's own words."""

    subject: str
    description: str
    reply: str


def sample_macros() -> tuple[list[SampleMacro], list[SampleSolved]]:
    text = (resources.files("ticket_processor") / "samples" / "macros.jsonl").read_text("utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    macros = [SampleMacro(r["macro"], r["title"], r["text"]) for r in rows if "macro" in r]
    texts = {m.key: m.text for m in macros}
    solved = [
        SampleSolved(
            r["subject"],
            r["description"],
            f"Hi,\n\n{texts.get(r['solved'], OWN_REPLY)}\n\nBest regards,\nThe support team",
        )
        for r in rows
        if "solved" in r
    ]
    return macros, solved


def sample_agent(agents: Iterable[Agent]) -> int | None:
    """One of the sample agents ``seed`` made (never the user ticketbot signs in as, whose
    replies the history leaves out): who answered the sample history."""
    emails = {email for members in SAMPLE_GROUPS.values() for _, email in members}
    return next((a.id for a in agents if a.email in emails), None)
