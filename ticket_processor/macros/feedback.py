"""What agents said of a macro ticketbot tagged, and what it does to that macro's thresholds.

An agent who finds a macro's tag ``<prefix>macro_<id>`` wrong adds ``<prefix>feedback_not_helped``
to the ticket (``ratings.tags``). ``macros sync`` reads the solved history anyway; a solved
ticket carrying both says, at no extra read, that the macro did not help there (``read_feedback``,
kept in the book by ticket, so a tag met again counts once). ``said_no`` counts them per macro.

A macro agents said did not help on at least ``DEMOTE_AT`` of the tickets it was tagged on, and
on more than ``1 - TAG_RIGHT`` of them (the tag is built to be right nine times in ten), is
demoted: it is no longer tagged, and it is listed in the note only from ``DEMOTED_SUGGEST_AT``
(a coin's chance) rather than the show floor, until a later history says otherwise (the
history is half a year: the ratings age out with their tickets).

A "not helped" an agent gives the macro on the dashboard's ticket page counts the same
(``audit.said``, read once when the run opens the step): a ticket rated both ways counts once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..learned.labels import feedback_tag

DEMOTE_AT = 3
TAG_RIGHT = 0.9
DEMOTED_SUGGEST_AT = 0.5


def read_feedback(tags: Iterable[str], prefix: str) -> tuple[int | None, bool]:
    """The macro ticketbot tagged on a ticket (one tag, else None) and whether an agent said
    it did not help."""
    tags = tuple(tags)
    head = f"{prefix}macro_"
    tagged = [int(t[len(head) :]) for t in tags if t.startswith(head) and t[len(head) :].isdigit()]
    macro = tagged[0] if len(tagged) == 1 else None
    return macro, macro is not None and feedback_tag(prefix, "not_helped") in tags


@dataclass(frozen=True)
class MacroFeedback:
    """A macro's tagged solved tickets, and those an agent said it did not help on."""

    tagged: int
    not_helped: int

    @property
    def demoted(self) -> bool:
        return self.not_helped >= DEMOTE_AT and self.not_helped > (1 - TAG_RIGHT) * self.tagged


def said_no(
    history: Iterable[object], on_dashboard: Mapping[str, frozenset[int]] | None = None
) -> dict[int, MacroFeedback]:
    """Per macro, from the book's solved tickets (``SolvedExample``: ``ticket_id``, ``tagged``,
    ``not_helped``) and the tickets agents rated it "not helped" on the dashboard
    (``on_dashboard``: by macro id, ``audit.said``). A ticket is counted once: rated both
    ways, or on a ticket the history has not met yet (it was suggested there)."""
    tagged: dict[int, set[int]] = {}
    refused: dict[int, set[int]] = {}
    for example in history:
        macro = getattr(example, "tagged", None)
        if macro is None:
            continue
        ticket_id: int = getattr(example, "ticket_id", 0)
        tagged.setdefault(macro, set()).add(ticket_id)
        if getattr(example, "not_helped", False):
            refused.setdefault(macro, set()).add(ticket_id)
    for item, tickets in (on_dashboard or {}).items():
        if not item.isdigit():
            continue
        tagged.setdefault(int(item), set()).update(tickets)
        refused.setdefault(int(item), set()).update(tickets)
    return {m: MacroFeedback(len(n), len(refused.get(m, ()))) for m, n in tagged.items()}
