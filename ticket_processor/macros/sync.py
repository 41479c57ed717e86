"""``macros sync``: read the helpdesk's shared, active macros (Zendesk) or canned responses
(Freshdesk) and the solved history they are learned from, into the macro book.

The helpdesk's adapter reads both (``macros()`` and ``solved_history(since)``, each kind's own
in its folder); a kind without ``macros()`` has none to suggest (``MacrosUnavailable``). Each
solved ticket is prepared as a run prepares a ticket (trimmed, personal data out) and encoded
as a run encodes one, so the vector a run already has of a new ticket is compared with like;
its agents' public replies say which macro it was answered with (``learn.ReplyMatcher``; a
ticket without a public reply teaches nothing and is left out). A run re-reads all this when
the book is older than the help-centre index's maximum age (``refresh``). The macros that may
answer a customer are then put in the help-centre index (``answers.index_macros``), where the
answers find them as they find articles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import TicketBotError
from ..helpdesks.history import stamp
from ..models import HistoryTicket
from ..models.ready_reply import ReadyReply
from ..triage.prepare import prepare_ticket
from .answers import MacroEntriesReport, index_macros
from .book import MacroBook, SolvedExample, exists, load, save
from .feedback import read_feedback
from .learn import ReplyMatcher

Embed = Callable[[list[str]], npt.NDArray[np.float32]]

# How far back the history is read: half a year of a team's answers, bounded.
HISTORY_DAYS = 180
# Solved tickets kept at most (the newest): about 10 MB of vectors.
MOST_HISTORY = 5000
ENCODE_CHUNK = 256
# A sync after an earlier one reads the tickets solved since it, and this much before (a
# ticket solved just before the last sync may have reached the export just after it).
OVERLAP = 86400.0


class MacrosUnavailable(TicketBotError):
    """The helpdesk kind serves no macros (or no solved history) ticketbot can read."""


@dataclass(frozen=True)
class MacroSyncReport:
    macros: int
    solved: int
    matched: int  # solved tickets whose reply used one of the macros
    entries: MacroEntriesReport | None = None  # the macros put in the help-centre index
    noun: tuple[str, str] = ("shared active macro", "shared active macros")  # one, many
    word: str = "macro"  # what the helpdesk calls one: "answered with a canned response"

    def macros_said(self) -> str:
        """``4 shared active macros`` (``4 shared canned responses`` on Freshdesk)."""
        return f"{self.macros} {self.noun[0] if self.macros == 1 else self.noun[1]}"

    def as_event(self) -> dict[str, object]:
        return {"macros": self.macros, "solved": self.solved, "matched": self.matched}


def ticket_text(subject: str, description: str) -> str:
    """What the encoder is given of a ticket: the prepared subject and body, as a run's
    help-centre search and learned engine give it, so a run's vector is the one it has."""
    prepared = prepare_ticket(subject, description)
    return f"{prepared.subject}\n{prepared.body}"


def macro_text(macro: ReadyReply) -> str:
    return f"{macro.title}\n{macro.text}"


Solved = tuple[HistoryTicket, tuple[int, ...]]  # a solved ticket, the macros applied on it


def read_desk(helpdesk: Any, since: int) -> tuple[list[ReadyReply], Iterable[Solved]]:
    """The macros and the history: with the macros each ticket's agent applied where the
    helpdesk records them (``macro_history``), else none recorded (``solved_history``)."""
    read_macros = getattr(helpdesk, "macros", None)
    with_applied = getattr(helpdesk, "macro_history", None)
    read_history = getattr(helpdesk, "solved_history", None)
    if read_macros is None or (with_applied is None and read_history is None):
        raise MacrosUnavailable(
            f"the {getattr(helpdesk, 'kind', 'helpdesk')} helpdesk serves no macros ticketbot "
            "can read"
        )
    if with_applied is not None:
        return list(read_macros()), with_applied(since)
    assert read_history is not None
    return list(read_macros()), ((solved, ()) for solved in read_history(since))


def encode(embed: Embed, texts: list[str]) -> npt.NDArray[np.float32]:
    if not texts:
        return np.zeros((0, 512), np.float32)
    chunks = [embed(texts[i : i + ENCODE_CHUNK]) for i in range(0, len(texts), ENCODE_CHUNK)]
    return np.vstack(chunks).astype(np.float32)


def build_book(
    macros: list[ReadyReply],
    history: Iterable[HistoryTicket | Solved],
    embed: Embed,
    now: float,
    prefix: str = "ai_",
) -> MacroBook:
    """The book from what the helpdesk gave: pure but for the encoder. A ticket's macro is
    the first public one its agent applied where that is recorded, else the one its reply's
    words hold; its tags say which macro ticketbot tagged and whether an agent said it did
    not help (``feedback``)."""
    public = [m for m in macros if m.public]
    matcher = ReplyMatcher(public)
    known = {m.id for m in public}
    examples: list[SolvedExample] = []
    texts: list[str] = []
    for item in history:
        solved, applied = item if isinstance(item, tuple) else (item, ())
        if not solved.replies:
            continue
        ticket = solved.ticket
        solved_at = stamp(ticket.updated_at) or now
        recorded = [macro_id for macro_id in applied if macro_id in known]
        used = recorded[0] if recorded else matcher.first_used(r.body for r in solved.replies)
        tagged, said_no = read_feedback(ticket.tags, prefix)
        examples.append(SolvedExample(ticket.id, solved_at, used, tagged, said_no))
        texts.append(ticket_text(ticket.subject, ticket.description))
        if len(examples) >= 2 * MOST_HISTORY:  # a long history holds the newest in memory
            examples, texts = _newest(examples, texts)
    order = sorted(range(len(examples)), key=lambda i: _when(examples[i]))[-MOST_HISTORY:]
    examples = [examples[i] for i in order]
    texts = [texts[i] for i in order]
    return MacroBook(
        macros,
        examples,
        encode(embed, texts),
        encode(embed, [macro_text(m) for m in macros]),
        now,
    )


def _when(example: SolvedExample) -> tuple[float, int]:
    """When a ticket was solved; tickets solved in the same second in the order they were
    made (their ids), not in the order a helpdesk's list gave them (ServiceNow's keyset breaks
    ties by sys_id, which is random): the held-out share is the same on every read."""
    return example.solved_at, example.ticket_id


def _newest(
    examples: list[SolvedExample], texts: list[str]
) -> tuple[list[SolvedExample], list[str]]:
    order = sorted(range(len(examples)), key=lambda i: _when(examples[i]))[-MOST_HISTORY:]
    return [examples[i] for i in order], [texts[i] for i in order]


def merged(earlier: MacroBook, later: MacroBook, window_start: float) -> MacroBook:
    """The later sync's book with the earlier one's tickets it did not read again (solved
    inside the window), the newest ``MOST_HISTORY`` kept."""
    read_again = {e.ticket_id for e in later.history}
    kept = [
        i
        for i, e in enumerate(earlier.history)
        if e.ticket_id not in read_again and e.solved_at >= window_start
    ]
    history = [earlier.history[i] for i in kept] + later.history
    vectors = np.vstack([earlier.history_vectors[kept], later.history_vectors])
    order = sorted(range(len(history)), key=lambda i: history[i].solved_at)[-MOST_HISTORY:]
    return MacroBook(
        later.macros,
        [history[i] for i in order],
        vectors[order].astype(np.float32),
        later.macro_vectors,
        later.synced_at,
    )


def _earlier(state_dir: Path) -> MacroBook | None:
    if not exists(state_dir):
        return None
    try:
        return load(state_dir)
    except (OSError, ValueError):  # a damaged book: read everything again
        return None


def sync_macros(
    helpdesk: Any,
    state_dir: Path,
    embed: Embed,
    *,
    now: Callable[[], float] = time.time,
    history_days: int = HISTORY_DAYS,
    prefix: str = "ai_",
) -> MacroSyncReport:
    """Read the macros and the solved history, write the book; the book stays as it was when
    the helpdesk fails half-way (nothing is written before everything is read). After an
    earlier sync only the tickets solved since it are read (``OVERLAP`` before), and the
    earlier ones kept: a run's daily sync reads a day, not half a year."""
    moment = now()
    window_start = moment - history_days * 86400
    earlier = _earlier(state_dir)
    since = window_start
    if earlier is not None and earlier.synced_at - OVERLAP > window_start:
        since = earlier.synced_at - OVERLAP
    macros, history = read_desk(helpdesk, int(since))
    book = build_book(macros, history, embed, moment, prefix)
    if earlier is not None and since > window_start:
        book = merged(earlier, book, window_start)
    save(book, state_dir)
    entries = index_macros(state_dir, book.macros, embed=embed)
    return MacroSyncReport(
        len(book.macros),
        len(book.history),
        book.matched,
        entries,
        macros_noun(helpdesk),
        macro_word(helpdesk),
    )


def read_book(
    helpdesk: Any,
    embed: Embed,
    *,
    now: Callable[[], float] = time.time,
    history_days: int = HISTORY_DAYS,
) -> MacroBook:
    """The book a first sync would write, kept in memory: what ``macros eval`` measures on a
    helpdesk never synced, without turning the suggestions on (nothing is written)."""
    moment = now()
    macros, history = read_desk(helpdesk, int(moment - history_days * 86400))
    return build_book(macros, history, embed, moment)


def macros_noun(helpdesk: Any) -> tuple[str, str]:
    """How the helpdesk names what the sync reads, one and many (its adapter's
    ``MACROS_NOUN``: Freshdesk's are canned responses)."""
    noun = getattr(helpdesk, "MACROS_NOUN", None)
    if isinstance(noun, tuple) and len(noun) == 2:
        return (str(noun[0]), str(noun[1]))
    return ("shared active macro", "shared active macros")


def macro_word(helpdesk: Any) -> str:
    """What the helpdesk calls one ready-made reply (its adapter's ``MACRO_WORD``): a sync on
    Freshdesk must not say "macro" where its agents see a canned response."""
    word = getattr(helpdesk, "MACRO_WORD", None)
    return word if isinstance(word, str) else "macro"
