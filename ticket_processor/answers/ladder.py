"""The ``auto`` ladder: a category drafts until its drafts are proven, then sends, and falls
back to drafting by itself when too many of its answers are re-opened. Pure.

A draft is *accepted* when the agents' own first public reply used it: the same article
linked, or most of the draft's words kept (``ACCEPT_SHARE``). ``acceptance`` is measured over
the category's last N judged drafts; the ``reopen_rate`` over its last N sent answers whose
fate is known.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..kb.text import query_terms
from ..learned.labels import feedback_tag
from ..passes.caution import Caution
from .policy import Ladder

if TYPE_CHECKING:
    from .book import AnswerBook

ACCEPT_SHARE = 0.6


def draft_accepted(draft_answer: str, article_id: int, url: str, agent_reply: str) -> bool:
    """Whether an agent's first public reply used the draft."""
    if url and url in agent_reply:
        return True
    if f"/{article_id}" in agent_reply:
        return True
    wanted = set(query_terms(draft_answer))
    if not wanted:
        return False
    return len(wanted & set(query_terms(agent_reply))) / len(wanted) >= ACCEPT_SHARE


def agent_said_no(ticket: Any, prefix: str, on_dashboard: Collection[int]) -> bool:
    """Whether an agent said ticketbot's answer on ``ticket`` did not help: its
    ``<prefix>feedback_not_helped`` tag, or a "not helped" on the dashboard's ticket page
    (``on_dashboard``: those tickets); both ways is one "no"."""
    return feedback_tag(prefix, "not_helped") in ticket.tags or ticket.id in on_dashboard


@dataclass(frozen=True)
class CategoryStanding:
    category: str
    rung: str
    drafts_judged: int
    accepted: int
    sent: int
    reopened: int
    resolved: int

    @property
    def acceptance(self) -> float | None:
        return self.accepted / self.drafts_judged if self.drafts_judged else None

    @property
    def reopen_rate(self) -> float | None:
        known = self.reopened + self.resolved
        return self.reopened / known if known else None

    def demoted(self, ladder: Ladder) -> str:
        """What the alert says when the category moves back to draft."""
        return (
            f"answers: category {self.category} moved back to draft: re-open rate "
            f"{self.reopen_rate or 0.0:.0%} over its last {self.reopened + self.resolved} "
            f"answers is above {ladder.reopen_limit:.0%}"
        )


def standing(
    category: str,
    rung: str,
    drafts: Mapping[int, Mapping[str, Any]],
    sent: Mapping[int, Mapping[str, Any]],
    outcomes: Mapping[int, str],
    ladder: Ladder,
) -> CategoryStanding:
    """The category's figures over its last ``ladder.drafts`` drafts and sent answers."""
    judged = sorted(
        (d for d in drafts.values() if d["category"] == category and d["accepted"] is not None),
        key=lambda d: d["at"],
    )[-ladder.drafts :]
    known = sorted(
        (tid for tid, s in sent.items() if s["category"] == category and tid in outcomes),
        key=lambda tid: sent[tid]["at"],
    )[-ladder.drafts :]
    return CategoryStanding(
        category=category,
        rung=rung,
        drafts_judged=len(judged),
        accepted=sum(1 for d in judged if d["accepted"]),
        sent=sum(1 for s in sent.values() if s["category"] == category),
        reopened=sum(1 for tid in known if outcomes[tid] == "reopened"),
        resolved=sum(1 for tid in known if outcomes[tid] == "resolved"),
    )


def first_agent_reply(messages: Sequence[Any]) -> Any | None:
    """The first public reply of a person (neither the requester nor ticketbot): what a
    draft is judged against."""
    return next(
        (m for m in messages if m.public and not m.from_requester and not m.from_ticketbot), None
    )


def promotion_refusal(found: CategoryStanding, ladder: Ladder) -> str | None:
    """Why the category may not move to send yet (None: it may)."""
    if found.drafts_judged < ladder.drafts:
        return (
            f"{found.category}: {found.drafts_judged} judged draft(s), the ladder needs "
            f"{ladder.drafts}"
        )
    rate = found.acceptance or 0.0
    if rate <= ladder.target:
        return (
            f"{found.category}: acceptance {rate:.0%} over the last {found.drafts_judged} "
            f"drafts is not above the target {ladder.target:.0%}"
        )
    return None


def should_demote(found: CategoryStanding, ladder: Ladder) -> bool:
    """A sending category whose re-open rate over its last N known answers is above the limit
    (at least a few answers known, so one re-open of two does not demote it)."""
    rate = found.reopen_rate
    known = found.reopened + found.resolved
    return (
        found.rung == "send"
        and rate is not None
        and known >= min(ladder.drafts, 5)
        and rate > ladder.reopen_limit
    )


def categories_of(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return sorted({str(r["category"]) for r in rows})


def ladder_caution(drafting: Collection[str], ladder: Ladder) -> Caution | None:
    """What a run says while categories on the ``auto`` ladder are still on its draft step (a
    team's first days: no draft judged yet), naming them; None when none are."""
    if not drafting:
        return None
    names = sorted(drafting)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return Caution(
        "answers",
        "draft-only",
        f"until agents use {ladder.target:.0%} of a category's last {ladder.drafts} drafts",
        f"{len(names)} {'category' if len(names) == 1 else 'categories'} on the auto "
        f"ladder's first step: {shown}",
    )


def demote_if_due(category: str, book: AnswerBook, ladder: Ladder, now: float) -> str | None:
    """An ``auto`` category whose re-open rate says so is set back to drafts in ``book``; the
    message saying why, or None when it stands (the caller holds the ladder's lock)."""
    found = standing(
        category, book.rung(category), book.drafts(), book.sent_rows(), book.outcomes(), ladder
    )
    if not should_demote(found, ladder):
        return None
    book.set_rung(category, "draft", now, by="reopen_rate")
    return found.demoted(ladder)
