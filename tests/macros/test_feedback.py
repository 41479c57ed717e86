"""What agents said of a macro's tag, on plain data: which macro a solved ticket's tags name and
whether an agent said it did not help; when a macro is demoted."""

from __future__ import annotations

from ticket_processor.macros.book import SolvedExample
from ticket_processor.macros.feedback import DEMOTE_AT, MacroFeedback, read_feedback, said_no


def test_the_tags_name_the_macro_and_the_agents_no() -> None:
    assert read_feedback(["ai_processed", "ai_macro_42"], "ai_") == (42, False)
    assert read_feedback(["ai_macro_42", "ai_feedback_not_helped"], "ai_") == (42, True)
    assert read_feedback(["tb_macro_7", "tb_feedback_not_helped"], "tb_") == (7, True)
    # No tag of ours, two of them, or one that is no macro id: nothing to count.
    assert read_feedback(["ai_feedback_not_helped"], "ai_") == (None, False)
    assert read_feedback(["ai_macro_1", "ai_macro_2", "ai_feedback_not_helped"], "ai_") == (
        None,
        False,
    )
    assert read_feedback(["ai_macro_x", "ai_feedback_not_helped"], "ai_") == (None, False)


def _history(tagged: int, refused: int) -> list[SolvedExample]:
    return [SolvedExample(n, float(n), None, 5, n < refused) for n in range(tagged)]


def test_a_macro_is_demoted_from_enough_noes_and_a_tenth_of_its_tags() -> None:
    assert said_no(_history(10, DEMOTE_AT))[5] == MacroFeedback(10, DEMOTE_AT)
    assert said_no(_history(10, DEMOTE_AT))[5].demoted
    assert not said_no(_history(10, DEMOTE_AT - 1))[5].demoted  # too few to act on
    assert not said_no(_history(40, DEMOTE_AT))[5].demoted  # right nine times in ten
    assert said_no([SolvedExample(1, 1.0, 3)]) == {}  # untagged tickets say nothing


def test_a_ticket_rated_by_tag_and_on_the_dashboard_counts_once() -> None:
    history = _history(10, DEMOTE_AT - 1)  # tickets 0 and 1 said no by tag
    both = {"5": frozenset({0, 1})}  # the same two, rated on the dashboard too
    assert said_no(history, both)[5] == MacroFeedback(10, DEMOTE_AT - 1)
    assert not said_no(history, both)[5].demoted
    # A third ticket of the history rated on the page only: three noes, demoted.
    assert said_no(history, {"5": frozenset({0, 7})})[5] == MacroFeedback(10, DEMOTE_AT)
    # Rated on a ticket the synced history has not met yet: one more tagged ticket, one more no.
    assert said_no(history, {"5": frozenset({99})})[5] == MacroFeedback(11, DEMOTE_AT)
    # A macro the history never tagged, rated on three pages; an item that is no macro id.
    fresh = said_no([], {"8": frozenset({1, 2, 3}), "x": frozenset({4})})
    assert fresh == {8: MacroFeedback(3, 3)}
    assert fresh[8].demoted
