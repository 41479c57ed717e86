"""A customer's second ticket within the hour is flagged as a repeat of the first only when it
says it follows up (``incidents.follow_up``): the rule on plain data, and on each sandbox
through a real run (the real encoder), where a second ticket about another matter of the same
account stays unflagged while a "Re:" follow-up is flagged naming the earlier ticket."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
from support.cli import invoke
from support.incident_scenario import LOADERS, Spec

from ticket_processor.incidents.follow_up import follow_up_sign, follow_ups
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import DIMENSIONS, Row, Window


@pytest.mark.parametrize(
    "text",
    [
        "Re: Invoice for order 694926\nIt needs my company name on it.",
        "AW: Lieferung fehlt\nDer Nachbar hat auch nichts bekommen.",
        "Delivery address\nSorry, I forgot the postcode: LS1 4AB.",
        "Gibt es Neuigkeiten?\nGibt es schon etwas Neues zu meiner Erstattung?",
        "¿Alguna novedad?\nSigo esperando mi pedido.",
        "Des nouvelles ?\nAvez-vous des nouvelles de mon remboursement ?",
        "Photos\nHere they are, see ticket #4 for what happened.",
    ],
)
def test_a_follow_up_is_told_by_its_own_words(text: str) -> None:
    assert follow_up_sign(text, 4)


@pytest.mark.parametrize(
    "text",
    [
        "Absturz beim Speichern von Rechnungen\nDie App stürzt ab, wenn ich speichere.",
        "Reembolso de la suscripción anual\nQuiero que me devuelvan la suscripción anual.",
        "Mot de passe oublié\nJe n'arrive pas à réinitialiser mon mot de passe.",
        "Password\nI forgot my password and the reset mail never arrives.",
        "Paket\nWo ist meine Sendung? Die Sendungsnummer ist 4.",
        "Envío\n¿Cuál es el número de seguimiento de mi pedido?",
    ],
)
def test_another_matter_gives_no_follow_up_sign(text: str) -> None:
    assert not follow_up_sign(text, 4)


def _two_tickets(cosine: float) -> Window:
    """One requester's two open tickets ten minutes apart, at ``cosine`` from each other."""
    window = Window()
    first, second = np.zeros((2, DIMENSIONS), np.float32)
    first[0], second[0], second[1] = 1.0, cosine, np.sqrt(1 - cosine**2)
    vectors = np.stack([first, second])
    window.add([Row(4, 7, 1_000_000, "", True), Row(88, 7, 1_000_600, "", True)], vectors)
    return window


def test_within_the_hour_the_low_band_needs_a_sign_and_a_close_second_does_not() -> None:
    policy = IncidentPolicy()
    low = _two_tickets(0.4)
    other = {88: "Absturz beim Speichern von Rechnungen\nDie App stürzt ab."}
    assert follow_ups(low, [1], policy, other) == []
    said = {88: "Re: Checkout fails\nIt needs my company name on it."}
    [repeat] = follow_ups(low, [1], policy, said)
    assert (int(low.ids[repeat.earlier]), int(low.ids[repeat.row])) == (4, 88)
    assert follow_ups(low, [1], policy, {}) == []  # no text known: no sign
    close = _two_tickets(0.7)
    assert len(follow_ups(close, [1], policy, other)) == 1  # a restatement needs no sign


SECOND_IS_ANOTHER_MATTER = (
    ("Checkout fails", "Checkout shows an error when I pay with my Visa card."),
    (
        "Absturz beim Speichern von Rechnungen",
        "Die App stürzt ab, wenn ich eine Rechnung speichere.",
    ),
)
SECOND_FOLLOWS_UP = (
    ("Invoice for order 694926", "Please send me the invoice for order 694926 as a PDF."),
    ("Re: Invoice for order 694926", "It needs my company name on it: Brightwater Ltd."),
)


@pytest.mark.slow
@pytest.mark.desk(configure=True)
def test_a_same_hour_ticket_about_another_matter_is_not_flagged_as_a_repeat(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    now = int(time.time())
    specs = []
    for who, (first, second) in (("other", SECOND_IS_ANOTHER_MATTER), ("again", SECOND_FOLLOWS_UP)):
        email = f"{who}@customer-{who}.example"
        specs.append(Spec(*first, email, now - 1500, "open", "repeat_first"))
        specs.append(Spec(*second, email, now - 900, "open", "repeat"))
    ids = LOADERS[desk_kind](desk.sandbox, specs)
    ran = invoke("run", "--since", "1h")
    assert ran.exit_code == 0, ran.output
    assert "ai_possible_duplicate" not in desk.linked(ids[1]).tags
    flagged = desk.linked(ids[3])
    assert "ai_possible_duplicate" in flagged.tags
    assert f"#{ids[2]}" in flagged.notes[-1]
