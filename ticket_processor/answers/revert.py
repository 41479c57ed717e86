"""``revert --run`` for the replies a run sent: a mail cannot be unsent, the rest is undone.

From the run's ``answer_sent`` events: each answered ticket whose status is still the
``pending`` the reply set gets its status before the reply back; the reply's tags
(``<prefix>answered``, ``<prefix>answer_article_<id>``) are removed. The reply itself stays in
the conversation and in the customer's mailbox: the command says so for each ticket, and an
internal note on the ticket says so to its agents (the triage's revert note names only the
triage's tags, and an agent opening the ticket saw a reply nobody had taken back).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import TicketBotError
from ..models import Helpdesk, Ticket
from ..steps.revert import RevertAsk
from .deliver import AnswerDesk


@dataclass(frozen=True)
class SentAnswer:
    ticket_id: int
    previous_status: str | None
    tags_added: tuple[str, ...]


def answers_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[SentAnswer]:
    found: dict[int, SentAnswer] = {}
    for event in events:
        if event.get("event") != "answer_sent" or event.get("run_id") != run_id:
            continue
        ticket_id = event.get("ticket_id")
        if not isinstance(ticket_id, int):
            continue
        previous = event.get("previous_status")
        found[ticket_id] = SentAnswer(
            ticket_id,
            previous if isinstance(previous, str) else None,
            tuple(str(t) for t in event.get("tags_added") or ()),
        )
    return list(found.values())


def status_after(answer: SentAnswer, ticket: Ticket) -> str:
    """The status revert sets: the one before the reply while the ticket is still the
    ``pending`` the reply set, but never ``new`` (a ticket that was answered is not new again
    on either helpdesk: Zendesk refuses to set it back, Freshdesk has no such status)."""
    status = ticket.status
    if status == "pending" and answer.previous_status:
        status = answer.previous_status
    return "open" if status == "new" else status


def describe(answer: SentAnswer, ticket: Ticket | None) -> str:
    """What revert will do to the ticket, the status it will really set included."""
    status = "status kept"
    if ticket is not None and status_after(answer, ticket) != ticket.status:
        status = f"status {ticket.status} → {status_after(answer, ticket)}"
    return (
        f"ticket {answer.ticket_id}: the reply mailed to the customer cannot be unsent; "
        f"tags -{', -'.join(answer.tags_added)}; {status}"
    )


def revert_note(run_id: str, answer: SentAnswer, ticket: Ticket) -> str:
    """The internal note that says, on the ticket, what undoing the answer did and did not."""
    after = status_after(answer, ticket)
    status = f"status {ticket.status} → {after}" if after != ticket.status else "status kept"
    tags = f"tags removed: {', '.join(answer.tags_added)}" if answer.tags_added else "no tags"
    return (
        f"ticketbot reverted the answer of run {run_id}: the public reply it sent stays in the "
        f"conversation and in the customer's mailbox (a mail cannot be unsent); {status}; {tags}."
    )


def revert_answers(
    desk: AnswerDesk, answers: list[SentAnswer], tickets: dict[int, Ticket], run_id: str
) -> list[tuple[int, str | None]]:
    """Undo each answer's status and tags, with a note saying so; per ticket, the error (None:
    done)."""
    done: list[tuple[int, str | None]] = []
    for answer in answers:
        ticket = tickets.get(answer.ticket_id)
        if ticket is None:
            done.append((answer.ticket_id, "the ticket is gone"))
            continue
        try:
            desk.set_status(
                answer.ticket_id,
                status_after(answer, ticket),
                remove_tags=answer.tags_added,
                note=revert_note(run_id, answer, ticket),
            )
        except TicketBotError as exc:
            done.append((answer.ticket_id, str(exc)))
            continue
        done.append((answer.ticket_id, None))
    return done


class AnswersRevert:
    """The replies a run sent, for ``revert`` (``steps.revert``): undone with the triage."""

    def __init__(self, sent: list[SentAnswer], run_id: str) -> None:
        self.sent = sent
        self.run_id = run_id

    def undo_first(self, helpdesk: Helpdesk) -> bool:
        return False

    def tickets(self) -> list[int]:
        return [answer.ticket_id for answer in self.sent]

    def describe(self, tickets: Mapping[int, Ticket]) -> list[str]:
        return [describe(answer, tickets.get(answer.ticket_id)) for answer in self.sent]

    def notes(self) -> list[str]:
        return [
            f"{len(self.sent)} reply(ies) were mailed to customers: a mail cannot be unsent; "
            "their status and tags are restored"
        ]

    def undo_with_triage(self, helpdesk: Helpdesk) -> list[tuple[int, str | None]]:
        fresh = {t.id: t for t in helpdesk.tickets(self.tickets())}
        return revert_answers(helpdesk, self.sent, fresh, self.run_id)  # type: ignore[arg-type]


def answers_revert(ask: RevertAsk) -> AnswersRevert | None:
    """The run's sent replies to undo, or None: it sent none."""
    sent = answers_of_run(ask.events, ask.run_id)
    return AnswersRevert(sent, ask.run_id) if sent else None
