"""Whether a ticket asks something an article can answer, in the templates' languages, and
what the gate's article needs then: a question is sent at ``QUESTION_AT``, a ticket that only
tells what happened waits for ``GATE_ALONE_AT``."""

from __future__ import annotations

import pytest

from ticket_processor.answers.decide import asks_question


@pytest.mark.parametrize(
    "text",
    [
        "Leaving\nHow do I shut down our account for good",
        "Will the phone app work without internet when I travel",
        "My wifi is down. What can I do",
        "Hi, is there a dark theme",
        "Werkseinstellungen\nWie setze ich das Thermostat zurück",
        "Hallo, kann ich mit PayPal zahlen",
        "Bonjour, comment exporter mes contacts",
        "Mode absent\nEst-ce que le mode absent utilise la position du téléphone",
        "Hola, ¿cómo puedo cambiar mi correo",
        "Hoe kan ik mijn abonnement opzeggen",
        "Olá, posso pagar com PayPal",
        "The code was refused, any idea why?",
    ],
)
def test_a_question_is_told(text: str) -> None:
    assert asks_question(text)


@pytest.mark.parametrize(
    "text",
    [
        "Schedule an hour late\nSince the clocks changed on Sunday every block of my schedule "
        "starts an hour late.",
        "I'm waiting for a reimbursement of 160 dollars",
        "i have got to update my address",
        "Every export of my contacts to a CSV file comes out empty since this morning.",
        "Dark mode switches itself back to light every time I open the app. I wonder how.",
        "Das Thermostat zeigt seit gestern E2 an.",
        "Le capteur est hors ligne depuis ce matin.",
    ],
)
def test_a_statement_asks_nothing(text: str) -> None:
    assert not asks_question(text)
