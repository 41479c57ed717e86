"""Whether a text tells the customer that something was done, or will be, to their account.

A ready-made reply is written to be sent once an agent did what it says: "We have cancelled
your subscription", "We have issued your refund today". Quoted to a customer who only asked how
to cancel, it states what nobody did, and the customer stops paying attention to a subscription
that still runs. So a source (a ready-made reply, a document, an article) whose text reports an
action done, a status changed or an action promised is never an answer: it stays a suggestion
for the agent, who can do the action first. ``reports_action`` finds such a sentence in the six
languages the answers' templates speak (``answers.compose.TEMPLATES``): the answers check the
source and a reply an LLM wrote from it, the ready replies' sync names those it holds back.

The patterns are first-person statements with a verb of an account action ("we have
refunded", "we will cancel", "nous avons annulé", "wir haben ... storniert") and statements of a
customer's thing in a changed state ("your account has been reset", "votre abonnement a été
résilié", "uw abonnement is opgezegd"). A how-to says what the customer does ("click Cancel
subscription") or what happens in general ("the link we send you"): neither matches. Pure.
"""

from __future__ import annotations

import re

# Verbs of what an agent does to an account, English, base and past forms.
_EN_VERBS = (
    r"(?:cancel(?:l?ed)?|refund(?:ed)?|issued?|process(?:ed)?|reset|closed?|deleted?|removed?"
    r"|credit(?:ed)?|ship(?:ped)?|sent|resent|changed?|upgraded?|downgraded?|unlock(?:ed)?"
    r"|reactivated?|restored?|approved?|reversed?|activated?|deactivated?|suspend(?:ed)?"
    r"|reopen(?:ed)?|transfer(?:red)?|waived?|replaced?|terminated?|unsubscribed?|applied"
    r"|fixed|resolved|arranged|initiated|submitted|booked|returned|update[ds]?|paused?|resumed?)"
)
_DE_PARTS = (
    r"(?:storniert|erstattet|rückerstattet|zurückerstattet|gekündigt|zurückgesetzt|gelöscht"
    r"|ausgestellt|veranlasst|bearbeitet|gesendet|geschickt|verschickt|versandt|geändert"
    r"|entsperrt|freigeschaltet|reaktiviert|wiederhergestellt|gutgeschrieben|überwiesen"
    r"|geschlossen|aktiviert|deaktiviert|beendet|aufgehoben|storniert)"
)
_DE_INFINITIVES = (
    r"(?:stornieren|erstatten|rückerstatten|kündigen|zurücksetzen|löschen|ausstellen|senden"
    r"|schicken|ändern|entsperren|gutschreiben|überweisen|reaktivieren|wiederherstellen)"
)
_FR_STEMS = (
    r"(?:annul|rembours|réinitialis|supprim|envoy|modifi|débloqu|résili|clôtur|crédit|réactiv"
    r"|expédi|trait|émi|émett|rétabli|restaur|désactiv|activ|ferm|effectu|procéd)"
)
_ES_STEMS = (
    r"(?:cancel|reembols|emit|emiti|proces|restablec|elimin|envi|cambi|desbloque|reactiv"
    r"|acredit|devuel|devolv|cerr|anul|borr|tramit|restaur|desactiv|activ|reinici|gestion)"
)
_PT_STEMS = (
    r"(?:cancel|reembols|estorn|emit|process|redefin|exclu|envi|alter|desbloque|reativ|credit"
    r"|devolv|fech|anul|apag|restaur|desativ|ativ|reinici|encerr)"
)
_NL_PARTS = (
    r"(?:geannuleerd|terugbetaald|opgezegd|gereset|verwijderd|verstuurd|verzonden|gewijzigd"
    r"|gedeblokkeerd|uitgegeven|verwerkt|teruggestort|gecrediteerd|hersteld|geactiveerd"
    r"|gedeactiveerd|afgesloten|beëindigd|ontgrendeld|gestorneerd)"
)
_NL_INFINITIVES = (
    r"(?:annuleren|terugbetalen|opzeggen|resetten|verwijderen|versturen|verzenden|wijzigen"
    r"|deblokkeren|verwerken|terugstorten|crediteren|herstellen|storneren)"
)
# A stretch of one sentence: what may stand between the subject and its verb.
_GAP = r"[^.!?\n]{0,80}?"
# "your", "il vostro"...: the customer's own thing, in each language.
_YOUR = {
    "en": r"your",
    "de": r"(?:ihr|ihre|ihren|ihrem|dein|deine|deinen)",
    "fr": r"(?:votre|vos|ton|ta|tes)",
    "es": r"(?:su|sus|tu|tus)",
    "pt": r"(?:sua|seu|suas|seus|tua|teu)",
    "nl": r"(?:uw|je|jouw)",
}

_PATTERNS = [
    # English: "we have cancelled", "we've issued", "we will refund", "I have reset".
    rf"\b(?:we|i)(?:\s+have|'ve|’ve|\s+will|'ll|’ll|\s+shall|\s+are\s+going\s+to|\s+had)"
    rf"(?:\s+(?:now|just|already|also|gone\s+ahead\s+and|been\s+able\s+to))*\s+{_EN_VERBS}\b",
    # "your subscription has been cancelled", "your account is now unlocked".
    rf"\b{_YOUR['en']}\b{_GAP}\b(?:has|have|was|were)\s+(?:now\s+|just\s+|already\s+)?been\s+"
    rf"(?:\w+\s+)?{_EN_VERBS}\b",
    rf"\b{_YOUR['en']}\b{_GAP}\b(?:is|are)\s+now\s+{_EN_VERBS}\b",
    # German: "wir haben Ihr Abo gekündigt", "wir werden Ihnen ... erstatten", "wurde storniert".
    rf"\bwir\s+haben\b{_GAP}\b{_DE_PARTS}\b",
    rf"\bwir\s+werden\b{_GAP}\b{_DE_INFINITIVES}\b",
    r"\bwir\s+(?:erstatten|stornieren|kündigen)\b",
    rf"\b{_YOUR['de']}\b{_GAP}\b(?:wurde|wurden|ist|sind)\b{_GAP}\b{_DE_PARTS}\b",
    # French: "nous avons annulé", "nous allons vous rembourser", "votre compte a été résilié".
    rf"\bnous\s+(?:vous\s+)?(?:avons|allons)\s+(?:\w+\s+){{0,3}}?{_FR_STEMS}\w*",
    r"\bnous\s+(?:vous\s+)?(?:rembourserons|annulerons|enverrons|réinitialiserons|traiterons)\b",
    rf"\b{_YOUR['fr']}\b{_GAP}\b(?:a|ont)\s+(?:bien\s+)?été\s+{_FR_STEMS}\w*",
    rf"\b{_YOUR['fr']}\b{_GAP}\b(?:est|sont)\s+(?:maintenant|désormais)\s+{_FR_STEMS}\w*",
    # Spanish: "hemos cancelado", "vamos a reembolsar", "su suscripción ha sido cancelada".
    rf"\b(?:hemos|vamos\s+a)\s+(?:\w+\s+){{0,2}}?{_ES_STEMS}\w*",
    r"\b(?:le\s+|te\s+)?(?:reembolsaremos|cancelaremos|enviaremos|procesaremos|devolveremos)\b",
    rf"\bse\s+(?:le\s+|te\s+)?ha\s+(?:\w+\s+)?{_ES_STEMS}\w*",
    rf"\b{_YOUR['es']}\b{_GAP}\b(?:ha|han)\s+sido\s+{_ES_STEMS}\w*",
    rf"\b{_YOUR['es']}\b{_GAP}\b(?:fue|fueron)\s+{_ES_STEMS}\w*",
    # Portuguese: "cancelámos a sua assinatura", "vamos reembolsar", "a sua conta foi redefinida".
    r"\b(?:cancelamos|cancelámos|reembolsamos|reembolsámos|estornamos|estornámos|redefinimos"
    r"|excluímos|desbloqueamos|desbloqueámos|reativamos|reativámos|encerramos|encerrámos)\b",
    rf"\b(?:vamos|iremos)\s+(?:\w+\s+)?{_PT_STEMS}\w*",
    rf"\b{_YOUR['pt']}\b{_GAP}\b(?:foi|foram)\s+(?:\w+\s+)?{_PT_STEMS}\w*",
    rf"\b(?:já|acabamos\s+de)\s+{_PT_STEMS}\w*",
    # Dutch: "we hebben uw abonnement opgezegd", "we zullen ... terugbetalen", "is geannuleerd".
    rf"\b(?:wij|we)\s+(?:hebben|hadden)\b{_GAP}\b{_NL_PARTS}\b",
    rf"\b(?:wij|we)\s+(?:zullen|gaan)\b{_GAP}\b{_NL_INFINITIVES}\b",
    rf"\b{_YOUR['nl']}\b{_GAP}\b(?:is|zijn|werd|werden)\s+(?:nu\s+|inmiddels\s+)?"
    rf"(?:\w+\s+){{0,2}}?{_NL_PARTS}\b",
]
_REPORTS = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)


def reports_action(text: str) -> str | None:
    """The first words of ``text`` that report an action done, a status changed or an action
    promised to the customer ("we have issued your refund"); None when it says none."""
    found = _REPORTS.search(" ".join(text.split()))
    return found.group(0)[:80] if found is not None else None
