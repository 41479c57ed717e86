"""Text as the index sees it: article HTML to plain text, and a ticket's words to a query.

Both sides fold the same way SQLite's ``unicode61`` tokenizer with ``remove_diacritics 2`` does
(case folded, accents dropped, runs of letters and digits), so a query term is an index term.
Function words of the languages ``triage/language.py`` knows, and a few words every support message
carries, are dropped from queries: they match everything and would drown the rare words that
say what the ticket is about.
"""

from __future__ import annotations

import re
import unicodedata

from ..triage.language import STOPWORDS
from ..triage.prepare import clean, fold_whitespace, html_to_text

_WORD = re.compile(r"\w+")
# What ``triage/redact.py`` put in place of personal data: not words the customer wrote.
_PLACEHOLDER = re.compile(r"\[(?:CARD|PHONE|SECRET|EMAIL|SSN|IBAN)\]")
# Words nearly every ticket and every article carries; they say nothing about the topic.
_SUPPORT_TEXT = (
    "hi hello hey thanks thank regards best dear team support help helpdesk ticket issue "
    "problem question questions get got also just still now since when what how why who "
    "which there here their they them we our us me am an as at by if or on so no yes do "
    "does did done any all some one two from will would could should been being had "
    "know need needs want like see seems seem anyone someone something way make made "
    "use using used able unable hallo danke bitte merci bonjour gracias hola ciao grazie "
    "dont cant doesnt didnt isnt wont im ive its"
)
_SUPPORT_WORDS = frozenset(_SUPPORT_TEXT.split())
STOP = frozenset().union(*STOPWORDS.values(), _SUPPORT_WORDS)
MAX_QUERY_TERMS = 48


def fold(text: str) -> str:
    """Lower case without accents: ``Rückerstattung`` → ``ruckerstattung``."""
    folded = text.casefold()
    if folded.isascii():  # most tickets and articles: nothing to decompose or drop
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def article_text(body: str) -> str:
    """An article body (Zendesk and Freshdesk store HTML) as plain text."""
    return fold_whitespace(html_to_text(clean(body)))


def query_terms(text: str) -> list[str]:
    """The distinct content words of ``text`` in order of first appearance, at most
    ``MAX_QUERY_TERMS`` (the start of a ticket says what it is about)."""
    return _content_terms(words(_PLACEHOLDER.sub(" ", text)))


def words_and_terms(text: str) -> tuple[list[str], list[str]]:
    """``words(text)`` and ``query_terms(text)``, the text folded once for both (a run reads
    a ticket's language from the first and searches the help centre for the second). The
    placeholders stand between brackets, which no word crosses, so the words of the text
    are those of the parts between them with each placeholder's own word in its place."""
    parts = _PLACEHOLDER.split(text)
    placeholders = _PLACEHOLDER.findall(text)
    found: list[str] = []
    content: list[str] = []
    for index, part in enumerate(parts):
        part_words = words(part)
        found += part_words
        content += part_words
        if index < len(placeholders):
            found += words(placeholders[index])
    return found, _content_terms(content)


def _content_terms(found: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for word in found:
        if len(word) < 3 or word in STOP or word.isdigit():
            continue
        seen.setdefault(word, None)
        if len(seen) >= MAX_QUERY_TERMS:
            break
    return list(seen)
