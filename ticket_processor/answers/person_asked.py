"""Whether the customer asks for a person: to speak to a human, to be called, not a bot.

Such a ticket gets no automated reply in any mode, however well an article answers its
question: "How do I reset my password? I want to speak to a human agent, not a bot" was once
sent the password article. The phrases are read on folded text (lower case, no accents: "à"
is "a", "ß" is "ss") in the languages the notes speak: en, de, fr, es, nl, pt, it. Each one
asks for a person or a call-back; a word that only names people ("add an agent to my team",
"the 'I'm not a robot' box") is not enough, so a lone "not a bot" or "agent" does not count.
"""

from __future__ import annotations

import re

from ..kb.text import fold

_PERSON = re.compile(
    r"|".join(
        (
            # en
            r"\b(?:speak|talk|chat)\s+(?:to|with)\s+(?:a |an |some |your |one of your )?"
            r"(?:real |live |actual |human )?(?:human|person|people|agent|someone|somebody|"
            r"representative|rep|operator|supervisor|manager|staff)\b",
            r"\b(?:real|live|actual) (?:human|person|people|agent)\b",
            r"\bhuman (?:being|agent|support|contact)\b",
            r"\b(?:call|phone|ring) me\b",
            r"\bgive me a (?:call|ring)\b",
            r"\b(?:someone|somebody|a person|an agent) (?:to )?(?:contact|call) me\b",
            # de
            r"\bmit (?:einem |einer )?(?:echten |richtigen |realen )?(?:menschen|mensch|"
            r"mitarbeiter(?:in)?|person|berater(?:in)?|ansprechpartner(?:in)?|jemandem)\b"
            r".{0,30}\b(?:sprechen|reden|telefonieren)",
            r"\b(?:echte[nmr]?|richtige[nmr]?|reale[nmr]?) (?:mensch|menschen|person|"
            r"mitarbeiter(?:in)?)\b",
            r"\b(?:rufen sie mich|ruf mich|ruckruf)\b",
            r"\bmich\b.{0,20}\b(?:anrufen|zuruckrufen)\b",
            # fr
            r"\b(?:parler|discuter) (?:a|avec) (?:un |une |quelqu'?un|un vrai |une vraie )?"
            r"(?:vrai |vraie |veritable )?(?:humain|personne|conseiller(?:e)?|agent|operateur|"
            r"interlocuteur|quelqu'?un)",
            r"\b(?:vraie? (?:personne|humain)|etre humain|personne reelle)\b",
            r"\b(?:appelez|rappelez|appeler|rappeler)[- ]moi\b",
            r"\bme (?:rappeler|appeler|telephoner|rappelle|rappeliez|contacter par telephone)\b",
            # es
            r"\bhablar con (?:un |una )?(?:persona|humano|agente|asesor(?:a)?|operador(?:a)?|"
            r"alguien|representante|ser humano)\b",
            r"\b(?:persona|humano) (?:real|de verdad)\b",
            r"\bser humano\b",
            r"\b(?:llamenme|llamame)\b",
            r"\bme (?:pueden |puede |podrian |podria )?(?:llamar|llamen|llame|telefonear)\b",
            # nl
            r"\b(?:spreken|praten) (?:met|tegen) (?:een )?(?:echt(?:e)? )?(?:mens|persoon|"
            r"medewerker|iemand)\b",
            r"\bmet (?:een )?(?:echt(?:e)? )?(?:mens|persoon|medewerker|iemand)\b.{0,20}"
            r"\b(?:spreken|praten)\b",
            r"\becht(?:e)? (?:mens|persoon)\b",
            r"\b(?:bel|belt) (?:me|mij)\b",
            r"\b(?:me|mij) (?:terug )?(?:terugbellen|bellen)\b",
            # pt
            r"\bfalar com (?:um |uma )?(?:pessoa|humano|atendente|agente|alguem|ser humano)\b",
            r"\b(?:pessoa|humano) (?:real|de verdade)\b",
            r"\b(?:me ligue|ligue-me|me ligar|me liguem|me telefonar)\b",
            # it
            r"\bparlare con (?:un |una |un')?(?:persona|umano|operatore|operatrice|agente|"
            r"qualcuno|essere umano)\b",
            r"\b(?:persona|umano) (?:vera|vero|reale)\b",
            r"\bessere umano\b",
            r"\b(?:chiamatemi|richiamatemi)\b",
            r"\bmi (?:potete |puo |potreste |potrebbe )?(?:chiamare|richiamare|telefonare)\b",
        )
    )
)


def person_asked(text: str) -> str | None:
    """The words in which the customer asks for a person or a call (None: they do not)."""
    found = _PERSON.search(fold(text))
    return found.group(0) if found else None
