"""A customer who asks for a person gets no automated reply: the cues of ``person_asked`` read
on phrasings written for this test (none taken from a held-out file), in the seven languages
the notes speak, and the general questions that only name people or bots pass."""

from __future__ import annotations

import pytest

from ticket_processor.answers.person_asked import person_asked
from ticket_processor.answers.plan import cues

ASKS_FOR_A_PERSON = [
    "How do I reset my password? I want to speak to a human agent, not a bot.",
    "Can someone call me tomorrow morning?",
    "I need a real person, these answers don't help.",
    "Please let me talk to someone from your team.",
    "Could you give me a call about the upgrade?",
    "Ich möchte bitte mit einem Menschen sprechen, nicht mit einer Maschine.",
    "Können Sie mich bitte zurückrufen?",
    "Bitte um Rückruf unter der bekannten Nummer.",
    "Je voudrais parler à un conseiller, pas à un robot.",
    "Pouvez-vous me rappeler cet après-midi ?",
    "Quiero hablar con una persona, por favor.",
    "¿Alguien me puede llamar hoy?",
    "Ik wil graag met een medewerker spreken.",
    "Kunt u mij terugbellen?",
    "Quero falar com um atendente humano.",
    "Podem me ligar amanhã?",
    "Vorrei parlare con un operatore, non con un bot.",
    "Mi potete richiamare domani?",
]

GENERAL_QUESTIONS = [
    "How do I add a new agent to my team?",
    "The 'I'm not a robot' box does not load on the sign-in page. How do I sign in?",
    "How do I reset my password?",
    "Can I export my contacts to a CSV file?",
    "Where do I find the callback URL for webhooks?",
    "Wie füge ich einen Mitarbeiter zu meinem Konto hinzu?",
    "Comment ajouter un agent à mon équipe ?",
    "¿Cómo cambio mi contraseña?",
    "Hoe exporteer ik mijn contacten?",
    "Como altero a minha senha?",
    "Come posso cambiare la password?",
]


@pytest.mark.parametrize("text", ASKS_FOR_A_PERSON)
def test_a_customer_asking_for_a_person_is_read_so(text: str) -> None:
    assert person_asked(text) is not None
    assert cues("Help", text).person_asked


@pytest.mark.parametrize("text", GENERAL_QUESTIONS)
def test_a_general_question_naming_people_or_bots_is_not(text: str) -> None:
    assert person_asked(text) is None
