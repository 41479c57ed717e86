"""Is this ticket about one customer's own case: the cues that say so, in the templates' languages.

A help article answers a general question ("how long does a refund take?"); a ticket about a
specific instance needs someone to look at that instance: "order HX-48213", "you charged me
15 EUR", "on 3 November", "offline for three days now", "I've paired it again twice", "please
take the fee off". ``own_case`` returns which of these cues a ticket holds:

- ``identifier``: a code of the customer's own, such as ``VRF-22918`` or ``8823-XK``
  (capitals and three digits or more, joined by a hyphen), or an order, ride, booking or
  reference written with letters and digits ("order hx48213"); a bare number after "order" is
  not: the public sets' answerable questions name one ("cancel order 3707955617", which the
  article on cancelling answers), and on them it fired on 5 % to 9 %;
- ``amount``: an amount of money the customer was charged ("charged me 4.99", "29 EUR was
  taken", "zweimal 4,60 EUR abgebucht"); a price asked about ("is the pass 29 EUR?") is not;
- ``date``: a calendar date of their own event ("on 3 November", "am 12. November", "on the
  5th", "18/11/2026"); "yesterday", "this morning", "last week" are not (answerable questions
  say them as often);
- ``duration``: how long their own problem has lasted ("for three days now", "four days
  now", "a week later", "seit drei Tagen", "depuis deux jours"); "for two months" alone is not
  (one asks how to pause a plan for two months);
- ``tried``: what they already tried ("I already cut the power", "typed it ... several
  times", "same result", "même chose"); "several times a day" is not;
- ``request``: an action asked of the company ("please refund one", "can you make an
  exception", "I want this charge reversed", "bitte löschen Sie", "pouvez-vous corriger");
  "how do I delete my account?" and "can I get a refund?" are not;
- ``faulty``: the customer judges their own unit or copy faulty ("I think this one is
  faulty", "ich glaube, das Gerät ist defekt"): a replacement or a bug, not the article's
  steps; "is it faulty?" asked in general is not;
- ``company_action``: something the company already did to their case ("you refunded my
  return to the card I paid with", "you cancelled my plan", "Sie haben mein Abo gekündigt"):
  the article tells how that is done, not what to do now it has gone wrong; "the card you sent
  me" is not (a question about a card's tracking number, which an article answers).

Regular expressions over the folded text (lower case, no accents; the identifiers over the
text as written, since a code is told by its capitals). A date parser was weighed and not
used: ``dateparser``'s search finds "now", "today" and bare numbers as dates in nearly every
ticket, and loads every language's data to do it; what is wanted here is a day with its
month, which the month names of six languages say. Pure.
"""

from __future__ import annotations

import re

from ..kb.text import fold

CUES = (
    "identifier",
    "amount",
    "date",
    "duration",
    "tried",
    "request",
    "faulty",
    "company_action",
)

_NUMBER_WORD = (
    r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a few|several|"
    r"zwei|drei|vier|funf|sechs|sieben|acht|neun|zehn|einer|einem|ein|"
    r"un|une|deux|trois|quatre|cinq|six|sept|huit|dix|quelques|plusieurs|"
    r"uno|una|dos|tres|cuatro|cinco|seis|siete|ocho|diez|varios|varias|"
    r"een|twee|drie|vier|vijf|zes|zeven|acht|tien|enkele|"
    r"um|uma|dois|duas|tres|quatro|cinco|seis|sete|oito|dez|varios|varias)"
)
_UNIT = (
    r"(?:hours?|days?|weeks?|months?|"
    r"stunden?|tagen?|wochen?|monaten?|"
    r"heures?|jours?|semaines?|mois|"
    r"horas?|dias?|semanas?|meses|mes|"
    r"uur|uren|dagen|dag|weken|week|maanden|maand)"
)
_MONTHS = (
    r"(?:january|february|march|april|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|"
    r"januar|februar|marz|mai|juni|juli|oktober|dezember|"
    r"janvier|fevrier|mars|avril|juin|juillet|aout|septembre|octobre|novembre|decembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|"
    r"noviembre|diciembre|"
    r"januari|februari|maart|mei|augustus|"
    r"janeiro|fevereiro|marco|maio|junho|julho|setembro|outubro|novembro|dezembro)"
)
# Things a customer has one of, whose number a person looks up.
_OWN_THING = (
    r"(?:order|ride|trip|booking|reservation|reference|ref|ticket|case|invoice|transaction|"
    r"tracking|serial|scooter|bike|e-bike|device|parcel|shipment|"
    r"bestellung|bestellnummer|auftrag|fahrt|buchung|rechnung|referenz|sendung|"
    r"commande|trajet|reservation|facture|reference|colis|dossier|"
    r"pedido|viaje|reserva|factura|referencia|envio|"
    r"bestelling|rit|boeking|factuur|referentie|zending|"
    r"encomenda|viagem|fatura|referencia)"
)

_IDENTIFIER = re.compile(
    # a code: capitals and three digits or more, joined by hyphens (HX-48213, 8823-XK)
    r"\b[A-Z]{1,5}-\d{3,}(?:-[A-Z0-9]+)*\b|\b\d{3,}-[A-Z]{1,5}\b"
)
_OWN_NUMBER = re.compile(
    rf"\b{_OWN_THING}\s*(?:number|no\.?|nr\.?|id|#|nummer|numero|n°|nº)?\s*[:#]?\s*"
    r"(?:[a-z]{1,5}-?\d{3,}|\d{3,}-?[a-z]{1,5}\b)"
)
_CURRENCY = r"(?:€|\$|£|eur|euros?|usd|dollars?|gbp|pounds?|chf)"
_MONEY = (
    rf"(?:{_CURRENCY}\s?\d+(?:[.,]\d{{1,2}})?|\d+(?:[.,]\d{{1,2}})?\s?{_CURRENCY}(?!\w)"
    r"|\d+[.,]\d{2}\b)"
)
_CHARGED = (
    r"(?:charg\w*|bill(?:ed)?|debit\w*|taken|took|deducted|holds?|"
    r"abgebucht|belastet|berechnet|abgezogen|"
    r"debite\w*|preleve\w*|facture\w*|"
    r"cobr\w*|carg\w*|"
    r"afgeschreven|gefactureerd|"
    r"descontad\w*)"
)
_AMOUNT = re.compile(rf"\b{_CHARGED}\b.{{0,40}}?{_MONEY}|{_MONEY}.{{0,25}}?\b{_CHARGED}\b")
_DATE = re.compile(
    r"|".join(
        (
            rf"\b\d{{1,2}}(?:st|nd|rd|th|er|\.)?\s+(?:of\s+|de\s+)?{_MONTHS}\b",
            # "May" is a month and an English verb: only before a day, never first
            rf"\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?!\s*(?:\w+\s+)?(?:users?|people|times))",
            r"\b(?:on|since|from|until|by) the \d{1,2}(?:st|nd|rd|th)\b",
            r"\b\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2})\b",
        )
    )
)
_DURATION = re.compile(
    r"|".join(
        (
            rf"\b{_NUMBER_WORD}\s+{_UNIT}\s+(?:now|later|already|so far)\b",
            rf"\b(?:for|since|in) the (?:last|past) {_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\b(?:that'?s|that is|it'?s been|it has been|has been|have been|for over|"
            rf"for more than)\s+(?:\w+\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\b(?:offline|pending|stuck|blocked|locked|frozen|waiting|broken|"
            rf"not working|missing)\b(?:\s+\w+){{0,2}}\s+for\s+{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\bseit\s+(?:uber\s+|mehr als\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\bdepuis\s+(?:plus de\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\b(?:desde hace|hace ya|lleva|llevo)\s+(?:mas de\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\b(?:al|sinds|inmiddels)\s+(?:meer dan\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
            rf"\b(?:ha|faz|ja fazem?)\s+(?:mais de\s+)?{_NUMBER_WORD}\s+{_UNIT}\b",
        )
    )
)
_REPEATED = (
    r"(?:twice|several times|multiple times|many times|(?:two|three|four|five|\d+) times|"
    r"over and over|again and again|"
    r"zweimal|dreimal|mehrmals|mehrfach|"
    r"plusieurs fois|(?:deux|trois|quatre) fois|"
    r"varias veces|(?:tres|cuatro) veces|"
    r"meerdere keren|(?:twee|drie|vier) keer|"
    r"varias vezes|(?:tres|quatro) vezes)"
)
_ATTEMPT = (
    r"(?:tried|try|trying|paired|typed|entered|restarted|reinstalled|reset|rebooted|checked|"
    r"clicked|pressed|held|scanned|invited|unplugged|uploaded|installed|updated|logged in|"
    r"signed in|versucht|probiert|eingegeben|gekoppelt|geklickt|neu gestartet|"
    r"essaye|tape|saisi|redemarre|invite|clique|appuye|probado|intentado|escrito|introducido|"
    r"reiniciado|pulsado|geprobeerd|ingevoerd|herstart|geklikt|tentei|digitei|reiniciei|"
    r"cliquei)"
)
_PER = (
    r"(?:a|per|each|every|al|por|par|pro|am|im|ao|em)\s+"
    r"(?:day|week|month|dia|jour|semaine|tag|woche|dag|mes|mois)"
)
_TRIED = re.compile(
    r"|".join(
        (
            # an attempt made again: the attempt's verb first ("charged twice" is no attempt)
            rf"\b{_ATTEMPT}\b[^.!?]{{0,60}}\b{_REPEATED}\b(?!\s+{_PER}\b)",
            r"\b(?:already|allready)\s+(?:\w+\s+)?(?:tried|restarted|reinstalled|reset|"
            r"rebooted|cut|checked|paired|updated|cleared|deleted|removed|unplugged|"
            r"followed|done|did|contacted|replaced|changed)\b",
            r"\b(?:same (?:result|error|problem|issue|message)|still the same|same thing again|"
            r", same thing)\b",
            r"\b(?:schon|bereits)\s+(?:\w+\s+){0,2}(?:versucht|neu gestartet|neu installiert|"
            r"zuruckgesetzt|gepruft|probiert)\b|"
            r"\b(?:gleiche|selbe)s? (?:ergebnis|problem|fehler)\b",
            r"\b(?:deja|j'ai deja)\s+(?:\w+\s+)?(?:essaye|redemarre|reinstalle|reinitialise|"
            r"verifie)\b|\bj'ai reinstalle\b|\bmeme (?:chose|resultat|probleme|erreur)\b",
            r"\bya (?:he|lo he|la he)\s+(?:\w+\s+)?(?:probado|intentado|reiniciado|reinstalado)\b|"
            r"\bmismo (?:resultado|error|problema)\b",
            r"\bal (?:geprobeerd|opnieuw|herstart)\b|"
            r"\b(?:zelfde|hetzelfde) (?:resultaat|probleem)\b",
            r"\bja (?:tentei|reiniciei|reinstalei)\b|"
            r"\bmesm[oa] (?:resultado|erro|problema|coisa)\b",
        )
    )
)
_ACTIONS = (
    r"(?:refund|reverse|cancel|delete|remove|close|check|look|take|credit|correct|fix|"
    r"release|merge|move|reissue|restore|reactivate|unblock|unlock|waive|make|call)"
)
_REQUEST = re.compile(
    r"|".join(
        (
            rf"\bplease\s+(?:\w+\s+){{0,2}}?{_ACTIONS}\b",
            rf"\b(?:can|could|would|will)\s+(?:you|someone|somebody|anyone)\s+(?:please\s+)?"
            rf"(?:\w+\s+)?{_ACTIONS}\b",
            r"\bi (?:want|would like|need|demand)\s+(?:this|that|the|my)\s+(?:\w+\s+){0,2}?"
            r"(?:reversed|refunded|back|removed|cancell?ed|deleted|waived|corrected)\b",
            r"\btake (?:the|this|that) (?:\w+ )?(?:fee|charge|fine) off\b",
            rf"\b{_ACTIONS}\s+(?:this|it|that)\s+please\b",
            r"\b(?:someone|somebody)\s+to\s+(?:call|contact|look at|check)\b",
            r"\b(?:send|ship) me a (?:new one|replacement)\b|\bi need a replacement\b",
            r"(?:^|[.!?\n]\s*)(?:delete|close|cancel|refund|remove)\s+my\b",
            r"\bbitte\s+(?:\w+\s+){0,3}?(?:erstatten|loschen|stornieren|prufen|uberprufen|"
            r"korrigieren|zuruckbuchen|gutschreiben|entfernen|schliessen|freigeben)\b|"
            r"\b(?:erstatten|loschen|stornieren|prufen|uberprufen|korrigieren) sie\b",
            r"\b(?:pouvez[- ]vous|pourriez[- ]vous|merci de|veuillez)\s+(?:\w+\s+){0,2}?"
            r"(?:corriger|verifier|rembourser|supprimer|annuler|fermer|retirer|regarder|"
            r"debloquer|rectifier|recrediter)\b",
            r"\b(?:pueden|podrian|puede usted|podria usted|por favor)\s+(?:\w+\s+){0,2}?"
            r"(?:revisar|devolver(?:me)?|reembolsar(?:me)?|eliminar|borrar|cancelar|corregir|"
            r"cerrar|quitar|desbloquear|anular|reactivar)\b",
            r"\b(?:kunnen jullie|kunt u|wilt u|graag)\s+(?:\w+\s+){0,2}?(?:terugbetalen|"
            r"terugstorten|verwijderen|annuleren|controleren|nakijken|corrigeren|sluiten|"
            r"deblokkeren)\b",
            r"\b(?:podem|poderiam|pode|por favor)\s+(?:\w+\s+){0,2}?(?:verificar|reembolsar|"
            r"devolver|apagar|eliminar|cancelar|corrigir|fechar|remover|desbloquear)\b",
        )
    ),
    re.MULTILINE,
)
# A unit or copy of the customer's own they judge broken. The judgement is theirs ("I think",
# "must be"), about one thing ("this one", "mine", "my sensor", "the app"): a plain question
# ("what if the sensor is faulty?") names no judgement.
_BROKEN = (
    r"(?:faulty|defective|broken|a dud|dead|defekt|kaputt|defectueu(?:x|se)|en panne|"
    r"defectuos[oa]|roto|rota|averiad[oa]|kapot|defect|defeituos[oa]|com defeito|avariad[oa])"
)
_FAULTY = re.compile(
    r"|".join(
        (
            r"\b(?:i think|i guess|i believe|i suspect|i'm sure|i am sure|pretty sure|"
            r"it seems|seems like|looks like)\s+(?:this one|this|it|that one|mine|"
            r"(?:my|the|this|our) \w+(?: \w+)?)\s+(?:is|was|must be|might be|may be)\s+"
            rf"(?:\w+ )?{_BROKEN}\b",
            rf"\b(?:this|my) (?:one|unit|device|copy)\s+(?:is|must be|seems)\s+{_BROKEN}\b",
            rf"\b(?:ich glaube|ich denke|wahrscheinlich)\b.{{0,40}}\b(?:ist|sind)\s+{_BROKEN}\b",
            rf"\b(?:je pense|je crois|j'ai l'impression)\b.{{0,40}}\best\s+{_BROKEN}",
            rf"\b(?:creo que|me parece que)\b.{{0,40}}\b(?:esta|es)\s+{_BROKEN}\b",
            rf"\bik denk dat\b.{{0,40}}\b{_BROKEN} is\b",
            rf"\b(?:acho que|parece que)\b.{{0,40}}\b(?:esta|e)\s+{_BROKEN}",
        )
    )
)
# What the company did to this customer's case, told as done: the article says how it is done
# in general. "Sent" is left out: "the card you sent me" asks for its tracking number.
_COMPANY_ACTION = re.compile(
    r"|".join(
        (
            r"\byou(?:'ve| have| guys)?\s+(?:refunded|charged|billed|debited|credited|"
            r"cancell?ed|deleted|removed|closed|blocked|suspended|banned|locked|downgraded|"
            r"changed|reset)\s+(?:me|my|us|our)\b",
            r"\bsie haben\s+(?:mir\s+|uns\s+)?(?:mein|meine|meinen|unser|unsere)\w*\s+"
            r"(?:\w+\s+){0,3}(?:erstattet|abgebucht|berechnet|gekundigt|geloscht|gesperrt|"
            r"storniert|geandert)\b",
            r"\bvous (?:m'avez|nous avez|avez)\s+(?:\w+\s+){0,3}(?:rembourse|facture|debite|"
            r"annule|supprime|bloque|suspendu|ferme|resilie)",
            r"\b(?:me|nos) (?:han|habeis)\s+(?:reembolsado|cobrado|cancelado|borrado|"
            r"bloqueado|suspendido|cerrado)\b|\bhan (?:cancelado|borrado|bloqueado|"
            r"suspendido|cerrado) (?:mi|mis|nuestra)\b",
            r"\bjullie hebben\s+(?:me\s+|mijn\s+|ons\s+)(?:\w+\s+){0,3}(?:terugbetaald|"
            r"afgeschreven|geannuleerd|verwijderd|geblokkeerd|opgezegd)\b",
            r"\bvoces (?:me |nos )?(?:reembolsaram|cobraram|cancelaram|apagaram|"
            r"bloquearam|suspenderam|fecharam)\b",
        )
    )
)
_FOLDED = (
    ("amount", _AMOUNT),
    ("date", _DATE),
    ("duration", _DURATION),
    ("tried", _TRIED),
    ("request", _REQUEST),
    ("faulty", _FAULTY),
    ("company_action", _COMPANY_ACTION),
)


def own_case(text: str) -> tuple[str, ...]:
    """The cues (of ``CUES``, in that order) that say ``text`` is about the customer's own
    case; empty when it reads as a general question."""
    return tuple(own_case_words(text))


def own_case_words(text: str) -> dict[str, str]:
    """Each cue ``own_case`` finds in ``text`` and the words that made it (folded: lower case,
    no accents): what ``own_case`` reads, and what ``answers explain`` quotes."""
    folded = fold(text)
    found: dict[str, str] = {}
    match = _IDENTIFIER.search(text) or _OWN_NUMBER.search(folded)
    if match is not None:
        found["identifier"] = match.group(0).strip()
    for name, pattern in _FOLDED:
        hit = pattern.search(folded)
        if hit is not None:
            found[name] = hit.group(0).strip()
    return {cue: found[cue] for cue in CUES if cue in found}
