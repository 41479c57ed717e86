"""The sample account's ready-made replies (``models.ReadyReply``: each helpdesk's seed makes
them its own kind) and a solved history whose agents answered with them
(``samples/ready_replies.jsonl``), which ``ticketbot seed`` puts in ticketbot's own sandboxes so
that what learns from a team's replies has something to learn from: four replies, thirteen
solved tickets answered with one of them, three answered in the agent's own words."""

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
class SampleReply:
    key: str
    title: str
    text: str


@dataclass(frozen=True)
class SampleSolved:
    """A solved ticket and its agent's reply: a ready-made reply's text, or the agent's own
    words."""

    subject: str
    description: str
    reply: str


def sample_replies() -> tuple[list[SampleReply], list[SampleSolved]]:
    text = (resources.files("ticket_processor") / "samples" / "ready_replies.jsonl").read_text(
        "utf-8"
    )
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    replies = [SampleReply(r["reply"], r["title"], r["text"]) for r in rows if "reply" in r]
    texts = {m.key: m.text for m in replies}
    solved = [
        SampleSolved(
            r["subject"],
            r["description"],
            f"Hi,\n\n{texts.get(r['solved'], OWN_REPLY)}\n\nBest regards,\nThe support team",
        )
        for r in rows
        if "solved" in r
    ]
    return replies, solved


@dataclass(frozen=True)
class SeededReplies:
    """What a kind's seed made of the sample replies: how many ready-made replies, the ids of
    the solved history's tickets (none without a sample agent to have answered them), and the
    kind's own words for them and for the command that reads them."""

    replies: int
    solved_ids: tuple[int, ...] = ()
    noun: str = "sample replies"  # the kind's word for them
    reader: str = ""  # the command that reads them, in backquotes

    def lines(self) -> list[str]:
        """What ``seed`` says of them: the history's tickets by id too, since they sit beside
        the sample tickets and a first run counts them as ``skipped`` (solved: not triaged)."""
        if not self.replies:
            return []
        reads = f" ({self.reader} reads them)" if self.reader else ""
        if not self.solved_ids:
            return [f"Created {self.replies} {self.noun}{reads}."]
        count, first, last = len(self.solved_ids), min(self.solved_ids), max(self.solved_ids)
        both = f"; {self.reader} reads both" if self.reader else ""
        return [
            f"Created {self.replies} {self.noun} and a solved history that uses them: "
            f"{count} solved tickets (ids {first}-{last}), which runs leave alone as done (the "
            f"first run counts them in skipped={count}){both}."
        ]


def sample_agent(agents: Iterable[Agent]) -> int | None:
    """One of the sample agents ``seed`` made (never the user ticketbot signs in as, whose
    replies the history leaves out): who answered the sample history."""
    emails = {email for members in SAMPLE_GROUPS.values() for _, email in members}
    return next((a.id for a in agents if a.email in emails), None)
