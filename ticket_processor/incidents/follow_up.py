"""Pure: which of a customer's close-in-time second tickets say they follow up the first.

A flag (``ai_possible_duplicate`` and a note naming the earlier ticket) changes how agents see a
customer, so a wrong one costs more than a missed one. Within the hour, a customer's second
ticket about another matter of the same product or account is as close to the first (cosine
0.30-0.50 on the encoder) as a follow-up that adds a detail: the cosine alone cannot tell them
apart. What tells them apart is what the second ticket says: a reply subject ("Re:", "AW:"), "I
forgot", "any update", the earlier ticket's number. ``follow_ups`` keeps the cosine rule of
``grouping.repeats`` and asks, below ``repeat_similarity``, for one of those signs in the new
ticket's own text, in the languages the notes are written in (en, de, es, fr, nl, pt).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from .grouping import Repeat, repeats
from .policy import IncidentPolicy
from .window import Window

# A mail client's reply prefix on the subject: Re, AW (de), Antw (nl), RES (pt), RV (es),
# SV (nordic clients), Réf (fr), optionally numbered ("Re[2]:") and repeated.
REPLY_SUBJECT = re.compile(r"^\s*(?:re|aw|antw|res|rv|sv|réf|ref)\s*(?:\[\d+\])?\s*:", re.I)

# Words by which a customer says this ticket continues an earlier one. Each phrase names the
# earlier message or the act of adding to it; words that only name the product do not count.
FOLLOW_UP_WORDS = re.compile(
    r"\b(?:"
    # en
    r"forgot|forget to (?:mention|say|add)|follow(?:ing)?[- ]up|any (?:update|news)"
    r"|an update on|my (?:previous|earlier|last|first|other) (?:ticket|message|mail|email|request)"
    r"|(?:i|as i) (?:wrote|mentioned) (?:earlier|before|above)|further to my|one more thing"
    r"|to add to my|in addition to my|also wanted to add|still waiting"
    # de
    r"|vergessen|nachtrag|ergänzung zu|gibt es (?:schon )?(?:etwas )?neues|neuigkeiten"
    r"|meine[mnrs]? (?:vorherigen?|letzten?|ersten?) (?:ticket|nachricht|anfrage|mail)"
    r"|wie (?:bereits|schon) geschrieben|warte (?:immer )?noch"
    # es
    r"|olvid[ée]|se me olvid[óo]|alguna novedad|novedades"
    r"|mi (?:mensaje|ticket|correo|solicitud) anterior|como (?:le|les|os) escrib[íi]"
    r"|sigo esperando"
    # fr
    r"|oubli[ée]|du nouveau|des nouvelles|suite à mon|suite de mon"
    r"|mon (?:message|ticket|mail|courriel) (?:précédent|d'avant)|en complément"
    r"|j'attends toujours"
    # nl
    r"|vergeten|nog nieuws|al nieuws|mijn vorige (?:ticket|bericht|mail|vraag)|aanvulling"
    r"|naar aanleiding van mijn|wacht nog steeds"
    # pt
    r"|esqueci|alguma novidade|novidades|minha mensagem anterior|meu (?:ticket|e-?mail) anterior"
    r"|complementando|em complemento|ainda aguardo|continuo aguardando"
    r")\b",
    re.I,
)

# "I forgot my password" is a matter of its own, in every language: it is taken out of the text
# before the words above are looked for. ("seguimiento" is not among them: "número de
# seguimiento" is a parcel's tracking number.)
_FORGOT = r"(?:forgot(?:ten)?|forget|oubli[ée]e?s?|olvid[ée]|olvidado|vergessen|esqueci|vergeten)"
_LOGIN_WORDS = (
    r"(?:password|passwort|kennwort|mot de passe|contraseña|clave|wachtwoord|senha|pin"
    r"|login|username|user ?name|nom d'utilisateur|zugangsdaten|inloggegevens)"
)
FORGOT_LOGIN_WORDS = re.compile(
    rf"\b{_FORGOT}\s+(?:\w+\s+){{0,2}}{_LOGIN_WORDS}\b|\b{_LOGIN_WORDS}\s+(?:\w+\s+){{0,2}}{_FORGOT}",
    re.I,
)


def follow_up_sign(text: str, earlier_id: int) -> bool:
    """Whether ``text`` (subject, newline, body) says it follows up an earlier ticket: a reply
    subject, words that continue an earlier message, or the earlier ticket's number (``#123``,
    ``ticket 123``)."""
    subject = text.split("\n", 1)[0]
    if REPLY_SUBJECT.match(subject) or FOLLOW_UP_WORDS.search(FORGOT_LOGIN_WORDS.sub(" ", text)):
        return True
    mention = rf"(?:#|\bticket\s*(?:#|no\.?|nr\.?)?)\s*{earlier_id}(?!\d)"
    return re.search(mention, text, re.I) is not None


def follow_ups(
    window: Window,
    new_rows: Sequence[int],
    policy: IncidentPolicy,
    texts: Mapping[int, str],
) -> list[Repeat]:
    """``grouping.repeats``, keeping a repeat below ``repeat_similarity`` (the within-the-hour
    band) only when the new ticket's text (``texts`` by ticket id) gives a follow-up sign. A
    ticket whose text is not known keeps only the repeats at ``repeat_similarity``."""
    kept = []
    for repeat in repeats(window, new_rows, policy):
        if repeat.similarity >= policy.repeat_similarity or not policy.follow_up_needs_sign:
            kept.append(repeat)
            continue
        text = texts.get(int(window.ids[repeat.row]))
        if text is not None and follow_up_sign(text, int(window.ids[repeat.earlier])):
            kept.append(repeat)
    return kept
