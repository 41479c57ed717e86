"""A team's first day with macros, on plain data: ``macros eval``'s line says a share of a
handful of held-out tickets means little (and a count of one is one ticket), and the tag's
caution while the history is short."""

from __future__ import annotations

import numpy as np

from ticket_processor.macros.book import MacroBook, SolvedExample
from ticket_processor.macros.evaluate import ENOUGH, figures_line
from ticket_processor.macros.step import APPLY_AFTER, suggest_only
from ticket_processor.models.ready_reply import ReadyReply


def _figures(with_macro: int, without: int) -> dict[str, object]:
    return {
        "held_out_with_macro": with_macro,
        "hit_at_1": 1.0 if with_macro else None,
        "hit_at_3": 1.0 if with_macro else None,
        "held_out_without_macro": without,
        "no_macro_none": 1.0 if without else None,
    }


def test_one_held_out_ticket_is_one_ticket_and_too_few() -> None:
    line = figures_line(_figures(1, 0))
    assert line.startswith("held out by time: 1 ticket answered with a macro, hit@1 1.00")
    assert "1 tickets" not in line
    assert "too few held-out tickets to mean much (1 ticket with a macro;" in line


def test_both_shares_on_few_tickets_are_named() -> None:
    line = figures_line(_figures(4, 3))
    assert "(4 tickets with a macro and 3 tickets without one;" in line


def test_enough_held_out_tickets_carry_no_warning() -> None:
    line = figures_line(_figures(ENOUGH, ENOUGH))
    assert "too few" not in line
    assert f"{ENOUGH} tickets answered with a macro" in line


def _book(matched: int) -> MacroBook:
    history = [SolvedExample(n, float(n), 1 if n < matched else None) for n in range(matched + 3)]
    return MacroBook(
        [ReadyReply(1, "Refund issued", "We have issued your refund.", True)],
        history,
        np.zeros((len(history), 4), np.float32),
        np.zeros((1, 4), np.float32),
    )


def test_a_short_history_is_suggest_only_and_says_until_when() -> None:
    caution = suggest_only(_book(13))
    assert caution is not None
    assert caution.judgement == "macros"
    said = caution.text()
    assert said.startswith(f"suggest-only until {APPLY_AFTER} solved tickets answered with a macro")
    assert "has 13" in said
    assert suggest_only(_book(APPLY_AFTER)) is None
