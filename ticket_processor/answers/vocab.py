"""The answers' vocabulary: modes, the tags an answer leaves, the values passed around, and a
run's counts.

Tag names are built from the run's prefix (``ai_`` by default: ``ai_answered``,
``ai_answer_drafted``, ``ai_answer_resolved``, ``ai_answer_reopened``,
``ai_answer_article_<id>``), as every other tag ticketbot writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..writeback.wording import DEFAULT_LANGUAGE, wording

AnswerMode = Literal["off", "draft", "send", "auto"]
MODES: tuple[AnswerMode, ...] = ("off", "draft", "send", "auto")
# What a ticket finally gets in a run (``auto`` resolves to one of draft / send).
Delivery = Literal["draft", "send"]

# The markers around the reply in an English note (the note's language words them:
# ``writeback/words``); after the closing one, the note is ticketbot's again.
_ENGLISH = wording(DEFAULT_LANGUAGE)
DRAFT_OPENS = _ENGLISH.say("reply_drafted")
SENT_OPENS = _ENGLISH.say("reply_to_send")
DRAFT_CLOSES = _ENGLISH.say("end_of_reply")


def answered_tag(prefix: str) -> str:
    return f"{prefix}answered"


def drafted_tag(prefix: str) -> str:
    return f"{prefix}answer_drafted"


def resolved_tag(prefix: str) -> str:
    return f"{prefix}answer_resolved"


def reopened_tag(prefix: str) -> str:
    return f"{prefix}answer_reopened"


def article_tag(prefix: str, article_id: int) -> str:
    return f"{prefix}answer_article_{int(article_id)}"


def article_of(tags: tuple[str, ...] | list[str], prefix: str) -> int | None:
    """The article an earlier answer named, from its tag (None: none)."""
    head = f"{prefix}answer_article_"
    for tag in tags:
        if tag.startswith(head) and tag[len(head) :].isdigit():
            return int(tag[len(head) :])
    return None


@dataclass(frozen=True)
class AnswerPlan:
    """A reply ticketbot means to give one ticket: the article it answers from, the reply's
    whole text, how it goes out, and the facts the report and the ladder count by."""

    ticket_id: int
    delivery: Delivery
    category: str
    article_id: int
    article_url: str
    language: str
    probability: float
    body: str
    requester_id: int | None = None
    source: Literal["excerpt", "llm", "lookup", "lookup_llm"] = "excerpt"
    # The LLM's second opinion on a reply that would be sent ("agrees", or why it was made a
    # draft instead); None when no LLM was asked.
    second_opinion: str | None = None


@dataclass
class AnswerCounts:
    drafted: int = 0
    planned: int = 0
    sent: int = 0
    cancelled: int = 0
    resolved: int = 0
    reopened: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    texts: list[tuple[int, str, str]] = field(default_factory=list)  # dry run: id, mode, text
    # The second opinions' LLM calls (model, prompt and completion tokens): the run counts them.
    llm_usage: list[tuple[str, int, int]] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        return {
            "drafted": self.drafted,
            "planned": self.planned,
            "sent": self.sent,
            "cancelled": self.cancelled,
            "resolved": self.resolved,
            "reopened": self.reopened,
            "refused": sum(self.refused.values()),
        }


def reply_block(opens: str, body: str, closes: str) -> str:
    """The reply as the note shows it, between its markers."""
    return f"{opens}\n{body}\n{closes}"
