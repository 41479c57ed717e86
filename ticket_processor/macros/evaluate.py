"""``macros eval``: how well the suggestions would have done on the team's latest solved
tickets, learning only from those solved before them.

The history is split by time: the earliest ``1 - HELD_OUT`` is what the matcher learns from
(with the macros' own texts), the latest ``HELD_OUT`` is judged. On a held-out ticket whose
agent's reply used a macro, hit@1 is that macro suggested first and hit@3 among the
suggestions (at most three; a ticket given none misses); on one answered without a macro, the
right outcome is no suggestion at all (``quiet``). ``calibration`` compares the best
suggestion's stated confidence with how often it was right, in five bins. ``figures_line``
says the figures, and that they mean little when fewer than ``ENOUGH`` tickets were judged.

``labelled_history`` makes such a history from a public labelled set (one intent a row) and
macros written for some of its intents: each ticket answered with its intent's macro text in
an agent's own greeting and sign-off (``EDITED`` of them in the agent's own words instead),
the other intents' in an agent's own words: what ``scripts/figures.py macros_eval`` measures.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import AgentReply, HistoryTicket, Ticket
from ..models.ready_reply import ReadyReply
from .book import MacroBook
from .match import DEFAULT_TUNING, Tuning
from .sync import Embed, build_book

HELD_OUT = 0.25
EDITED = 0.15
BINS = 5
# Held-out tickets below which a share says little: a share of 30 can be off by about 0.18
# either way (1.96 * sqrt(0.25 / 30), the normal interval at its widest), of one by anything.
ENOUGH = 30


@dataclass
class MacroScores:
    with_macro: int = 0
    hit_at_1: int = 0
    hit_at_3: int = 0
    without_macro: int = 0
    quiet: int = 0  # tickets of a kind no macro answers that got no suggestion
    # Per bin of the best suggestion's confidence: [suggestions, right ones, summed confidence].
    bins: list[list[float]] = field(default_factory=lambda: [[0, 0, 0.0] for _ in range(BINS)])

    def rate(self, part: int, whole: int) -> float | None:
        return round(part / whole, 3) if whole else None

    def as_dict(self) -> dict[str, object]:
        return {
            "held_out_with_macro": self.with_macro,
            "hit_at_1": self.rate(self.hit_at_1, self.with_macro),
            "hit_at_3": self.rate(self.hit_at_3, self.with_macro),
            "held_out_without_macro": self.without_macro,
            "no_macro_none": self.rate(self.quiet, self.without_macro),
            "calibration": [
                {
                    "confidence": round(total / count, 3),
                    "right": round(right / count, 3),
                    "suggestions": int(count),
                }
                for count, right, total in self.bins
                if count
            ],
        }


def _tickets(count: int) -> str:
    return f"{count} {'ticket' if count == 1 else 'tickets'}"


def _shown(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"


def figures_line(figures: dict[str, object]) -> str:
    """``macros eval``'s line, with a warning for each share measured on fewer than
    ``ENOUGH`` held-out tickets (a perfect score of one ticket is no score)."""
    with_macro = int(str(figures["held_out_with_macro"]))
    without = int(str(figures["held_out_without_macro"]))
    line = (
        f"held out by time: {_tickets(with_macro)} answered with a macro, "
        f"hit@1 {_shown(figures['hit_at_1'])}, hit@3 {_shown(figures['hit_at_3'])}; "
        f"{without} answered without one, {_shown(figures['no_macro_none'])} of them "
        "given no suggestion"
    )
    few = [
        f"{_tickets(count)} {what}"
        for count, what in ((with_macro, "with a macro"), (without, "without one"))
        if 0 < count < ENOUGH
    ]
    if few:
        line += (
            f"\ntoo few held-out tickets to mean much ({' and '.join(few)}; a share needs "
            f"about {ENOUGH} to be within 0.2): sync a longer history and measure again"
        )
    return line


def split_by_time(book: MacroBook, held_out: float = HELD_OUT) -> tuple[list[int], list[int]]:
    history = book.history
    order = sorted(range(len(history)), key=lambda i: (history[i].solved_at, history[i].ticket_id))
    cut = len(order) - round(len(order) * held_out)
    return order[:cut], order[cut:]


def evaluate(
    book: MacroBook,
    tuning: Tuning = DEFAULT_TUNING,
    held_out: float = HELD_OUT,
    kinds: dict[int, int | None] | None = None,
) -> MacroScores:
    """The scores on the latest ``held_out`` of the history. ``kinds``: where the right macro
    is known apart from the replies (a labelled set: its intent's macro, by ticket id), that
    is the truth; else the macro the agent's reply used."""
    past, judged = split_by_time(book, held_out)
    matcher = book.matcher(tuning, rows=past)
    scores = MacroScores()
    for row in judged:
        example = book.history[row]
        truth = kinds.get(example.ticket_id) if kinds is not None else example.macro_id
        shown = matcher.suggest(book.history_vectors[row])
        ids = [choice.macro_id for choice in shown]
        if shown:
            best = shown[0]
            place = min(int(best.confidence * BINS), BINS - 1)
            scores.bins[place][0] += 1
            scores.bins[place][1] += int(best.macro_id == truth)
            scores.bins[place][2] += best.confidence
        if truth is None:
            scores.without_macro += 1
            scores.quiet += int(not shown)
        else:
            scores.with_macro += 1
            scores.hit_at_1 += int(ids[:1] == [truth])
            scores.hit_at_3 += int(truth in ids[:3])
    return scores


# --- a history made from a labelled public set ----------------------------------------

_GREETINGS = ("Hi,", "Hello,", "Hi there,", "Dear customer,", "Thanks for getting in touch.")
_SIGN_OFFS = ("Best regards,\nSam", "Kind regards,\nAlex", "Thanks,\nJo", "All the best,\nRobin")
_OWN_WORDS = (
    "Thanks for your patience. I have looked into this for you and sorted it out on our side.",
    "I checked your account and everything is in order now. Let me know if anything else comes up.",
    "Sorry for the trouble. I have passed this to the right team, who have fixed it for you.",
    "Good question! I have updated your account as you asked; it should show within the hour.",
)


@dataclass(frozen=True)
class LabelledRow:
    id: str
    text: str
    intent: str


def labelled_history(
    rows: Sequence[LabelledRow],
    macro_texts: dict[str, tuple[str, str]],
    *,
    seed: int = 7,
    start: float = 1_700_000_000.0,
) -> tuple[list[ReadyReply], list[HistoryTicket], dict[int, int | None]]:
    """Macros (ids from 1001) for the intents of ``macro_texts`` and one solved ticket a row,
    in a seeded random order an hour apart, answered as the module docstring says; and by
    ticket id, the macro of the ticket's intent (None: its intent has none)."""
    rng = random.Random(seed)
    ids = {intent: 1001 + n for n, intent in enumerate(sorted(macro_texts))}
    macros = [
        ReadyReply(ids[intent], title, text, True)
        for intent, (title, text) in sorted(macro_texts.items())
    ]
    order = list(rows)
    rng.shuffle(order)
    history = []
    kinds: dict[int, int | None] = {}
    for n, row in enumerate(order):
        kinds[n + 1] = ids.get(row.intent)
        macro = macro_texts.get(row.intent)
        if macro is not None and rng.random() >= EDITED:
            body = f"{rng.choice(_GREETINGS)}\n\n{macro[1]}\n\n{rng.choice(_SIGN_OFFS)}"
        else:
            body = (
                f"{rng.choice(_GREETINGS)}\n\n{rng.choice(_OWN_WORDS)}\n\n{rng.choice(_SIGN_OFFS)}"
            )
        solved = _stamp(start + 3600 * n)
        ticket = Ticket(
            id=n + 1, subject="", description=row.text, status="solved", updated_at=solved
        )
        history.append(HistoryTicket(ticket, (AgentReply(body, solved, ()),)))
    return macros, history, kinds


def _stamp(moment: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC).isoformat().replace("+00:00", "Z")


def labelled_book(
    rows: Sequence[LabelledRow], macro_texts: dict[str, tuple[str, str]], embed: Embed
) -> tuple[MacroBook, dict[int, int | None]]:
    """The book of ``labelled_history`` and, by ticket id, the macro of each ticket's intent."""
    macros, history, kinds = labelled_history(rows, macro_texts)
    return build_book(macros, history, embed, 1_800_000_000.0), kinds
