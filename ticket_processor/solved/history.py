"""Filling the store from the helpdesk's solved history (``kb sync``).

The history is what ``answers calibrate --from-helpdesk`` reads (``solved_history`` of the
helpdesk's adapter: each solved ticket and its agents' public replies, oldest first, never an
internal note, the requester's message or ticketbot's own answer). How a ticket was solved is
its last agent's public reply: the one after which nobody wrote again. That reply is prepared
as a customer's message is for the LLM — quoted history and sign-off trimmed, the names the
helpdesk knows and every kind of personal data ``triage.redact`` finds replaced — then cut to
one line without its greeting.

The ticket's own text is prepared and encoded the way a new ticket's is in a run, so a new
ticket's vector and a solved one's are comparable; its content words (subject and first
message, as the help-centre search reads a query) are kept beside the vector.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ..kb.text import query_terms
from ..models import HistoryTicket
from ..triage.prepare import fold_whitespace, prepare_ticket
from .store import SolvedRow, SolvedStore

Encode = Callable[[list[str]], npt.NDArray[np.float32]]

RESOLUTION_CHARS = 200
BATCH = 64
# A sync reads again what was solved this long before the last one started: a ticket solved
# while the last sync read is not missed.
OVERLAP = 3600

_HELLO = (
    r"(?:hi|hello|hey|dear|good (?:morning|afternoon|evening)|hallo|guten tag|bonjour|hola|"
    r"buenos d[ií]as|ciao|buongiorno|ol[aá]|hej)"
)
# A line that is only a greeting ("Hi,", "Hello Anna", "Dear Mr Smith:"): dropped whole.
_GREETING_LINE = re.compile(rf"^{_HELLO}(?:\s+[^\s,.!?:]+){{0,3}}\s*[,!:.]?\s*$", re.IGNORECASE)
# A greeting that opens the first line ("Hello Anna, we have issued…"): only it is dropped, up to
# its comma, so the reply's first words stay (a greeting read up to the first full stop took
# "Hello Anna, we have issued your refund today." whole).
_GREETING = re.compile(rf"^{_HELLO}(?:\s+[^\s,.!?:]+){{0,3}}\s*[,!:]\s+", re.IGNORECASE)
_THANKS = re.compile(r"^(thanks|thank you)( for [^.!\n]{0,60})?[.!,]\s*", re.IGNORECASE)


@dataclass
class SolvedReport:
    """What one sync of the solved history did."""

    read: int = 0
    stored: int = 0
    no_reply: int = 0

    def describe(self) -> str:
        return (
            f"solved tickets synced: {self.read} read; {self.stored} stored with how they were "
            f"solved; {self.no_reply} without an agent's public reply left out"
        )


def resolution_line(reply: str, history: HistoryTicket) -> str:
    """The agent's reply as one redacted line of at most ``RESOLUTION_CHARS`` characters."""
    prepared = prepare_ticket("", reply, people=history.ticket.people)
    lines = [line for line in fold_whitespace(prepared.body).split("\n") if line.strip()]
    if lines and _GREETING_LINE.match(lines[0].strip()):
        lines = lines[1:]
    text = _GREETING.sub("", " ".join(line.strip() for line in lines), count=1)
    text = _THANKS.sub("", text, count=1).strip()
    if len(text) > RESOLUTION_CHARS:
        text = text[: RESOLUTION_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return text


def ticket_text(history: HistoryTicket) -> tuple[str, str]:
    """The solved ticket's subject and the text the encoder reads, prepared as a run does."""
    ticket = history.ticket
    prepared = prepare_ticket(ticket.subject, ticket.description, people=ticket.people)
    return prepared.subject, f"{prepared.subject}\n{prepared.body}"


def store_history(
    history: Iterable[HistoryTicket], store: SolvedStore, encode: Encode
) -> SolvedReport:
    """Each solved ticket with an agent's public reply stored with its resolution and vector,
    a batch at a time (memory stays bounded however long the history)."""
    report = SolvedReport()
    rows: list[SolvedRow] = []
    texts: list[str] = []

    def flush() -> None:
        if rows:
            store.add(rows, encode(texts))
            report.stored += len(rows)
            rows.clear()
            texts.clear()

    for solved in history:
        report.read += 1
        if not solved.replies:
            report.no_reply += 1
            continue
        subject, text = ticket_text(solved)
        resolution = resolution_line(solved.replies[-1].body, solved)
        if not resolution:
            report.no_reply += 1
            continue
        when = solved.ticket.updated_at or solved.replies[-1].created_at or ""
        words = tuple(query_terms(text))
        rows.append(SolvedRow(solved.ticket.id, subject, resolution, when, words))
        texts.append(text)
        if len(rows) >= BATCH:
            flush()
    flush()
    return report


def sync_solved(
    read: Callable[[int], Iterable[HistoryTicket]],
    store: SolvedStore,
    encode: Encode,
    *,
    first_since: int,
    clock: Callable[[], float] = time.time,
) -> SolvedReport:
    """Read the history solved since the last sync (``first_since`` the first time) into the
    store; the position moves only when the whole read succeeded."""
    started = clock()
    saved = store.meta("since")
    since = int(saved) if saved is not None else first_since
    report = store_history(read(since), store, encode)
    store.set_meta("since", str(int(started) - OVERLAP))
    store.set_meta("synced_at", str(started))  # a run reads on once this is too old
    return report
