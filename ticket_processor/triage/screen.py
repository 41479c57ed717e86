"""What an LLM-written answer may never carry into a public reply, whatever the article says.

A misbehaving model (or one a ticket talked round) can write an answer whose words an article
about signing in holds nearly all of: "Reply with the email address and password you sign in
with." Sharing words with the article is not enough, so before a model's answer may replace
the article's own excerpt it is screened here, and refused (the excerpt goes instead) when it

- asks the customer to send or tell a secret: a password, a one-time, verification, recovery
  or 2FA code, a PIN, a card's number or security code (CVV/CVC), a bank account or identity
  number, in the languages the replies are written in (en, de, fr, es, nl, pt, it); or names
  such a secret in a question, or one the article never names;
- carries a link, a web address, a bare domain (``darkmode.example``), an e-mail address (also
  written ``name at example dot com``), a phone number or any other number the article does
  not hold: numbers are compared whole, digits only, so ``+1 555 0100`` is not "in" an
  article because a ``1`` is; a number written in words (``fifty``, ``zwanzig``) counts too.
  A link written so that only a reader restores it (``evil[.]example``, ``evil(.)example``,
  ``evil [dot] example``, ``hxxp://``) is made plain first (``refanged``) and counts as one.

A refusal returns the reason (never the answer's text beyond a short quote of the offending
part); None means nothing here stops the answer. ``answers.compose.grounded`` adds the article's
support for every sentence and the promises. The running summary's field is screened with the
same parts (``asks_for_secret``, ``web_addresses``, ``refanged``; ``summary.screen``). Pure.
"""

from __future__ import annotations

import re

QUOTE = 60

# Secrets a reply must never ask for, by language. Multi-word terms are matched as phrases.
_SECRET = re.compile(
    r"\b(?:"
    # en
    r"pass(?:word|words|code|codes|phrase)|pins?|pin codes?|cvv2?|cvc2?|csc|"
    r"security codes?|verification codes?|confirmation codes?|one[- ]time (?:code|password|pin)s?|"
    r"otps?|2fa(?: codes?)?|two[- ]factor(?: codes?)?|authenticat(?:ion|or) codes?|"
    r"recovery (?:codes?|keys?|phrase)|backup codes?|sign[- ]in codes?|log[- ]?in codes?|"
    r"sms codes?|"
    r"card numbers?|credit card|debit card|card details|card's? (?:number|code)|expiry date|"
    r"expiration date|login details|log-?in details|sign[- ]in details|credentials|"
    r"api (?:key|token)s?|access tokens?|secret (?:key|question)s?|security questions?|"
    r"mother'?s maiden name|social security(?: number)?|ssn|iban|bank account(?: number)?|"
    r"routing number|sort code|date of birth|"
    # de
    r"passw(?:ort|örter)|kennw(?:ort|örter)|zugangsdaten|anmeldedaten|pin-?nummer|"
    r"bestätigungscode|sicherheitscode|einmal(?:code|passwort)|verifizierungscode|"
    r"wiederherstellungscode|kartennummer|kreditkart(?:e|ennummer)|prüfziffer|tan|"
    r"kontonummer|geburtsdatum|"
    # fr
    r"mots? de passe|codes? de (?:vérification|sécurité|confirmation|récupération)|"
    r"code à usage unique|numéro de (?:carte|compte)|carte (?:bancaire|de crédit)|identifiants|"
    r"cryptogramme|date de naissance|"
    # es
    r"contraseñas?|clave|códigos? de (?:verificación|seguridad|confirmación|recuperación)|"
    r"código de un solo uso|número de (?:tarjeta|cuenta)|tarjeta de (?:crédito|débito)|"
    r"credenciales|fecha de nacimiento|"
    # nl
    r"wachtwoord(?:en)?|inloggegevens|verificatiecode|beveiligingscode|bevestigingscode|"
    r"herstelcode|kaartnummer|pincode|rekeningnummer|geboortedatum|"
    # pt
    r"senhas?|palavra-passe|códigos? de (?:verificação|segurança|confirmação|recuperação)|"
    r"número do cartão|cartão de (?:crédito|débito)|credenciais|data de nascimento|"
    # it
    r"codice di (?:verifica|sicurezza)|numero della carta|carta di credito|credenziali"
    r")\b",
    re.IGNORECASE,
)
# Asking the customer to hand something over to us (not to type it into the product).
_ASK = re.compile(
    r"\b(?:"
    r"reply|respond|answer (?:with|us)|send|sent us|share|tell|give|provide|confirm|forward|"
    r"include|email (?:us|it|them)|e-mail (?:us|it|them)|let us know|write (?:back|us|it|them)|"
    r"text us|dm us|message us|paste|attach|ask (?:for|them|him|her|the customer)|"
    r"antworten|antworten sie|senden|schicken|mitteilen|nennen|geben sie|teilen sie|"
    r"bestätigen|übermitteln|"
    r"répond(?:ez|re)|envoy(?:ez|er)|communiqu(?:ez|er)|indiqu(?:ez|er)|donn(?:ez|er)|"
    r"partag(?:ez|er)|confirm(?:ez|er)|transmett(?:ez|re)|"
    r"respond(?:a|e|er)|envíe(?:nos)?|envía(?:nos)?|enviar|indíquenos|indique|comparta|"
    r"facilite|proporcione|díganos|dinos|"
    r"stuur|stuurt|beantwoord|antwoord|deel|geef|bevestig|laat (?:ons|het ons) weten|"
    r"envie|responda|partilhe|compartilhe|informe|forneça|"
    r"inviaci|invia|rispondi|rispondete|comunicaci|fornisci"
    r")\b",
    re.IGNORECASE,
)
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SPELLED_EMAIL = re.compile(
    r"\b[\w.+-]+\s*(?:\(at\)|\[at\]|\{at\}|\sat\s|\s@\s|\sät\s)\s*[\w-]+"
    r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\spunkt\s|\spoint\s|\spunto\s|\sponto\s)\s*[a-z]{2,}\b",
    re.IGNORECASE,
)
# A bare host name: labels joined by dots, the last one letters (a TLD); "e.g." has none.
_DOMAIN = re.compile(
    r"\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}\b", re.IGNORECASE
)
# A number, its parts possibly spaced or punctuated as phone numbers and amounts are.
# A list's ", " or a range's " - " parts it; "+1 555 0100", "5,99" and "0800-123" are one number.
_NUMBER = re.compile(r"\+?\d(?:(?:[\d()./-]|\s(?=[\d(])|,(?=\d))*\d)?")
_NUMBER_WORDS = frozenset(
    [
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
        "thirty",
        "forty",
        "fifty",
        "sixty",
        "seventy",
        "eighty",
        "ninety",
        "hundred",
        "thousand",
        "million",
        "billion",
        "dozen",
        "zwei",
        "drei",
        "vier",
        "fünf",
        "sechs",
        "sieben",
        "acht",
        "neun",
        "zehn",
        "elf",
        "zwölf",
        "zwanzig",
        "dreißig",
        "vierzig",
        "fünfzig",
        "hundert",
        "tausend",
        "millionen",
        "deux",
        "trois",
        "quatre",
        "cinq",
        "sept",
        "huit",
        "neuf",
        "dix",
        "onze",
        "douze",
        "vingt",
        "trente",
        "quarante",
        "cinquante",
        "soixante",
        "cent",
        "mille",
        "dos",
        "tres",
        "cuatro",
        "cinco",
        "seis",
        "siete",
        "ocho",
        "nueve",
        "diez",
        "once",
        "doce",
        "veinte",
        "treinta",
        "cuarenta",
        "cincuenta",
        "cien",
        "ciento",
        "mil",
        "millón",
        "millones",
        "twee",
        "vier",
        "vijf",
        "zes",
        "zeven",
        "negen",
        "tien",
        "twaalf",
        "twintig",
        "dertig",
        "veertig",
        "vijftig",
        "honderd",
        "duizend",
        "dois",
        "duas",
        "três",
        "quatro",
        "seis",
        "sete",
        "oito",
        "nove",
        "dez",
        "vinte",
        "trinta",
        "quarenta",
        "cinquenta",
        "cem",
        "duzentos",
        "milhão",
        "due",
        "tre",
        "quattro",
        "cinque",
        "sei",
        "sette",
        "otto",
        "nove",
        "dieci",
        "dodici",
        "venti",
        "trenta",
        "cento",
        "mila",
    ]
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


# A dot a reader restores and a parser does not: ``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``(dot)``.
_DEFANGED_DOT = re.compile(
    r"[ \t]?(?:\[[ \t]?(?:\.|dot)[ \t]?\]|\([ \t]?(?:\.|dot)[ \t]?\)"
    r"|\{[ \t]?(?:\.|dot)[ \t]?\})[ \t]?",
    re.IGNORECASE,
)
# "evil dot example": the word "dot" only before a name that is a common top-level domain.
_SPOKEN_DOT = re.compile(
    r"(?<=[a-z0-9])[ \t]+dot[ \t]+(?=(?:com|net|org|info|biz|io|co|app|dev|xyz|site|online|top|"
    r"shop|example|test|ru|cn|de|fr|uk|es|nl|pt|it|eu|us|me|ly|ch|at|be)\b)",
    re.IGNORECASE,
)
# ``hxxp://``, ``hXXps://``, ``h**p://``, ``http[:]//``: a scheme bent out of shape.
_DEFANGED_SCHEME = re.compile(r"\bh(?:xx|\*\*|tt)p(s?)(?:\[:\]|\(:\)|:)//", re.IGNORECASE)


def refanged(text: str) -> str:
    """``text`` with defanged links made plain (``evil[.]example`` -> ``evil.example``,
    ``hxxp://`` -> ``http://``), so every check of links sees them as the reader would."""
    text = _DEFANGED_SCHEME.sub(lambda m: f"http{m.group(1)}://", text)
    text = _DEFANGED_DOT.sub(".", text)
    return _SPOKEN_DOT.sub(".", text)


# What the writer does is not asked of the reader: "follow the link we send you".
_WE_DO = re.compile(
    r"\b(?:we|i|we'll|i'll|we will|i will|we can|i can|wir|nous|je|ik|wij|nosotros|nós)\s+$",
    re.IGNORECASE,
)


def _asks(sentence: str) -> bool:
    """A verb of the sentence asks the reader to hand something over (not one the writer
    does), or the sentence is a question."""
    if sentence.rstrip().endswith("?"):
        return True
    return any(not _WE_DO.search(sentence[: m.start()]) for m in _ASK.finditer(sentence))


def asks_for_secret(text: str) -> str | None:
    """The secret a sentence of ``text`` asks the reader to hand over (a password, a code, a
    card's CVV...), or None."""
    for sentence in _SENTENCE_END.split(text):
        secret = _SECRET.search(sentence)
        if secret is not None and _asks(sentence):
            return _quote(secret.group(0))
    return None


def web_addresses(text: str) -> list[tuple[str, str]]:
    """Every link, web address, bare domain and e-mail address of ``text`` (defanged ones
    included), as (what it is, the text found), in the order the checks look for them."""
    text = refanged(text)
    found = []
    for pattern, what in (
        (_URL, "link"),
        (_EMAIL, "e-mail address"),
        (_SPELLED_EMAIL, "e-mail address"),
        (_DOMAIN, "web address"),
    ):
        found += [(what, m.group(0).rstrip(".,;:)")) for m in pattern.finditer(text)]
    return found


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _numbers(text: str) -> set[str]:
    """Every number of ``text`` as its digits, whole and (for a spaced run) part by part."""
    found: set[str] = set()
    for match in _NUMBER.finditer(text):
        run = match.group(0)
        found.add(_digits(run))
        found.update(_digits(part) for part in re.split(r"[\s/-]+", run) if _digits(part))
    return found


def _quote(text: str) -> str:
    return text.strip()[:QUOTE]


def unsafe(answer: str, article: str) -> str | None:
    """Why ``answer`` may not go out in a public reply beside ``article`` (plain text), or None."""
    answer, article = refanged(answer), refanged(article)
    folded_article = article.casefold()
    for sentence in _SENTENCE_END.split(answer):
        secret = _SECRET.search(sentence)
        if secret is None:
            continue
        if _ASK.search(sentence) or sentence.rstrip().endswith("?"):
            return f"asks for a secret: {_quote(secret.group(0))}"
        if secret.group(0).casefold() not in folded_article:
            return f"names a secret the article does not: {_quote(secret.group(0))}"
    for what, found in web_addresses(answer):
        if found.casefold() not in folded_article:
            return f"{what} not in the article: {_quote(found)}"
    article_numbers = _numbers(article)
    for match in _NUMBER.finditer(answer):
        if _digits(match.group(0)) not in article_numbers:
            return f"number not in the article: {_quote(match.group(0))}"
    article_words = {w.casefold() for w in _WORD.findall(article)}
    for word in _WORD.findall(answer):
        folded = word.casefold()
        if folded in _NUMBER_WORDS and folded not in article_words:
            return f"number not in the article: {_quote(word)}"
    return None
