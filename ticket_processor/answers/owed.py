"""The replies a damaged answers' book still owed, found again in the run log.

A damaged ``answers.json`` is set aside and the answers start afresh (``book``). The replies it
held as planned were announced in their tickets' notes ("Reply to be sent to the customer"), and
only the book held their text: no run would send them, and nothing said so. The log names them:
an ``answer_planned`` of a run that wrote, with no ``answer_sent`` or ``answer_cancelled`` after
it, in the last ``LOOK_BACK``. Each such ticket is read as a send reads it before it sends:

- gone, solved or closed, or never triaged (its note, and so the announcement, never landed:
  the next run triages it again): nothing to say;
- the answered tag on it, or a public reply from ticketbot's user: its reply went out (the send
  adds the tag with it; a shared login's reply is a person's answer anyway), and the new book
  records it as sent, for the loop guard;
- otherwise one internal note line tells the agents the reply was not sent and why (an agent
  replied or was assigned first, or the book was damaged), and ``answer_cancelled`` is logged,
  so a later run does not say it again.

The reply is not sent again from the note's copy: the helpdesk gives the note back as it renders
it, and a reply goes to a customer only as ticketbot composed it. The run's warning names the
tickets handed back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..common.eventlog import EventSink, read_events
from ..errors import TicketBotError
from ..writeback.wording import wording
from .book import AnswerBook
from .deliver import AnswerDesk, agent_replied
from .vocab import answered_tag, reopened_tag

# How far back the log is read for replies still owed: a planned reply whose note never landed
# is given up after a day (``sending.WAIT_SECONDS``), and one the send failed on is tried again
# by the next run, so a week holds every reply a book can still owe.
LOOK_BACK = timedelta(days=7)
_SETTLED = frozenset({"answer_sent", "answer_cancelled"})


@dataclass(frozen=True)
class OwedReply:
    """A reply the log says was planned and never settled."""

    ticket_id: int
    category: str
    article_id: int


@dataclass
class HandedBack:
    """What became of the replies a damaged book owed."""

    noted: list[int] = field(default_factory=list)  # tickets told on the ticket: not sent
    sent: list[int] = field(default_factory=list)  # their reply had gone out
    unread: list[int] = field(default_factory=list)  # could not be read or noted: named only


def owed_replies(log_dir: Path, now: datetime) -> list[OwedReply]:
    """The replies planned in the last ``LOOK_BACK`` that no ``answer_sent`` or
    ``answer_cancelled`` settled, oldest ticket first (a dry or shadow run's are not planned)."""
    owed: dict[int, OwedReply] = {}
    for event in read_events(log_dir, since=now - LOOK_BACK):
        ticket_id, kind = event.get("ticket_id"), event.get("event")
        if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
            continue
        if kind == "answer_planned" and not event.get("dry_run") and not event.get("shadow"):
            article = event.get("article_id")
            owed[ticket_id] = OwedReply(
                ticket_id,
                str(event.get("category") or ""),
                article if isinstance(article, int) else 0,
            )
        elif kind in _SETTLED:
            owed.pop(ticket_id, None)
    return [owed[key] for key in sorted(owed)]


def hand_back(
    owed: list[OwedReply],
    desk: AnswerDesk,
    book: AnswerBook,
    *,
    prefix: str,
    marker: str,
    log: EventSink,
    note_language: str,
    now: Callable[[], float],
) -> HandedBack:
    """Each owed reply's ticket read once, and told or recorded as the module says."""
    done = HandedBack()
    words = wording(note_language)
    for one in owed:
        if book.is_planned(one.ticket_id) or book.was_sent(one.ticket_id):
            continue  # another process's book holds it (``serve`` planned it meanwhile)
        fields = {"ticket_id": one.ticket_id, "category": one.category}
        fields["article_id"] = one.article_id
        try:
            found = desk.conversation(one.ticket_id)
            if found is None:
                continue
            ticket = found.ticket
            if marker not in ticket.tags or ticket.status in ("solved", "closed"):
                continue
            went_out = any(m.public and m.from_ticketbot for m in found.messages)
            if went_out or {answered_tag(prefix), reopened_tag(prefix)} & set(ticket.tags):
                book.found_sent(
                    one.ticket_id, ticket.requester_id, one.category, one.article_id, now()
                )
                done.sent.append(one.ticket_id)
                continue
            why = (
                "agent_answered"
                if agent_replied(found)
                else "assigned"
                if ticket.assignee_id is not None
                else "book_damaged"
            )
            line = words.say(
                "reply_not_sent", article=one.article_id, why=words.say(f"not_sent_{why}")
            )
            desk.set_status(one.ticket_id, None, note=f"ticketbot: {line}")
        except TicketBotError as exc:
            log.emit("answer_owed_unsettled", level="warning", error=str(exc)[:300], **fields)
            done.unread.append(one.ticket_id)
            continue
        log.emit("answer_cancelled", reason=why, note=True, **fields)
        done.noted.append(one.ticket_id)
    return done


def said(handed: HandedBack) -> str:
    """What the run's warning adds about them (empty when the book owed nothing)."""
    parts = []
    if handed.noted:
        one = len(handed.noted) == 1
        parts.append(
            (
                "1 reply its note announced was not sent; the ticket got a note"
                if one
                else f"{len(handed.noted)} replies their notes announced were not sent; each "
                "ticket got a note"
            )
            + f" asking an agent to answer ({_tickets(handed.noted)})"
        )
    if handed.sent:
        parts.append(f"{len(handed.sent)} had been sent ({_tickets(handed.sent)})")
    if handed.unread:
        parts.append(
            f"{len(handed.unread)} could not be read or noted: answer them yourself "
            f"({_tickets(handed.unread)})"
        )
    return "; ".join(parts)


def _tickets(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:20])
    return (
        ("ticket " if len(ids) == 1 else "tickets ")
        + shown
        + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    )
