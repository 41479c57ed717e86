"""Unrelated macros are neither shown nor tagged, end to end on every helpdesk: the macros made
through the helpdesk's API (``ticketbot seed``'s four and more), the history imported solved,
``ticketbot macros sync`` reading both back, then a run's note and tags.

On the seeded history (sixteen solved tickets, three answered without a macro) a declined card
payment got "Refund issued" at 0.97 and a late order at 0.82: their nearest solved tickets were
all refunds, far from them, and five far neighbours of one macro outvoted the one "none". On a
history long enough for the tag (BANKING77 rows, CC BY 4.0, ``tests/data/README.md``; ten kinds
with a macro, three without, refunds answered with the seed's "Refund issued"), a late order
still got "Refund issued" at 0.74.
"""

from __future__ import annotations

import pytest
from support.cli import command, invoke
from support.macros_desk import refunds_history, seed_refund_macro

from ticket_processor.macros.step import APPLY_AFTER
from ticket_processor.sandbox.desks import Desk, NewTicket

macros_cli = command("macros")

UNRELATED = (
    NewTicket("Card payment declined", "My card payment was declined when I tried to pay."),
    NewTicket("payment declined", "payment declined"),
    NewTicket("Order late", "My order has not arrived yet, it is a week late."),
    NewTicket("Order late", "Where is my order? It should have arrived on Monday."),
)
REFUND = NewTicket("Refund please", "Please refund my last payment, the product did not work.")


def _seeded_and_synced() -> None:
    seeded = invoke("seed", "--count", "1")
    assert seeded.exit_code == 0, seeded.output
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output


def _run(desk: Desk, tickets: list[NewTicket]) -> list[tuple[list[str], str]]:
    ids = desk.create(tickets)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    found = []
    for ticket_id in ids:
        shot = desk.snapshot(ticket_id)
        [note] = shot.notes
        found.append((list(shot.tags), note))
    return found


@pytest.mark.desk(seed=None, configure=True)
def test_a_seeded_history_shows_no_macro_on_kinds_it_never_answered(desk: Desk) -> None:
    _seeded_and_synced()
    title, _ = seed_refund_macro()
    *unrelated, refund = _run(desk, [*UNRELATED, REFUND])
    for tags, note in unrelated:
        assert "Suggested macros:" not in note, note
        assert not [t for t in tags if t.startswith("ai_macro_")], tags
    assert f"- {title} (macro " in refund[1]  # a refund question still gets it


def _seed() -> None:
    seeded = invoke("seed", "--count", "1")
    assert seeded.exit_code == 0, seeded.output


@pytest.mark.desk(seed=None, configure=True)
def test_a_long_history_tags_refunds_and_shows_nothing_on_a_late_order(
    desk_kind: str, desk: Desk
) -> None:
    refund = refunds_history(desk_kind, desk, _seed)
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    health = invoke("health", "--json")
    assert f"suggest-only until {APPLY_AFTER}" not in health.output  # the tag is on

    *unrelated, refunded = _run(desk, [*UNRELATED, REFUND])
    for tags, note in unrelated:
        assert "Suggested macros:" not in note, note
        assert not [t for t in tags if t.startswith("ai_macro_")], tags
    tags, note = refunded
    assert f"- {refund[0]} (macro " in note
    [tag] = [t for t in tags if t.startswith("ai_macro_")]
    assert f"(macro {tag.removeprefix('ai_macro_')}, " in note  # the refund macro's own id
