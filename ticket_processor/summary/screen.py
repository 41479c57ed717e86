"""What the summary's field may carry: plain text, screened as a public answer is.

The field is shown in views and reports and, where the helpdesk shows it the customer, to the
customer: whatever writes it (the LLM, or the thread's own sentences) it carries no link, web
address or e-mail address (defanged ones included: ``evil[.]example``, ``hxxp://``), no
Markdown link, no personal data (an IBAN, a phone, a card, an address, also one in words:
``forty two Baker Street``), no request for a secret ("ask for their password and CVV"), and no
character that hides or reorders text (bidi overrides, zero-width characters, BEL and the other
controls). ``refused`` says why an LLM's part may not be written (the caller writes the
extractive summary instead); ``plain`` makes the thread's own words fit: each link becomes
``[link]``, personal data its placeholder, a sentence asking for a secret is left out. The
patterns are the answers' (``triage.screen``), the redaction's (``triage.redact``) and the
quoted sources' (``triage.quotable``). Pure.
"""

from __future__ import annotations

import re
import unicodedata

from ..triage.note_text import strip_controls
from ..triage.quotable import ADDRESS, personal_data
from ..triage.redact import redact
from ..triage.screen import asks_for_secret, refanged, web_addresses

LINK = "[link]"
SECRET_REQUEST = "[a request for a secret, left out]"  # noqa: S105 - words, not a secret

# C0 but newline and tab, DEL, C1, bidi embeddings, overrides and isolates, zero-width, BOM.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\(([^)\n]{0,2048})\)")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def hidden_characters(text: str) -> bool:
    """``text`` holds a character that hides or reorders what a reader sees."""
    return _HIDDEN.search(text) is not None


def _numbers(text: str) -> set[str]:
    return {
        "".join(ch for ch in m.group(0) if ch.isdigit()) for m in re.finditer(r"\d[\d,.]*", text)
    }


def refused(part: str, thread: str) -> str | None:
    """Why the LLM's ``part`` may not go into the field (``thread``: the text it was given),
    or None."""
    if hidden_characters(part):
        return "a hidden or control character"
    secret = asks_for_secret(part)
    if secret is not None:
        return f"asks for a secret: {secret}"
    if _MD_LINK.search(part):
        return "a link"
    addresses = web_addresses(part)
    if addresses:
        what, found = addresses[0]
        return f"{what}: {found[:60]}"
    kind = personal_data(part)
    if kind is not None:
        return f"personal data: {kind}"
    invented = _numbers(part) - _numbers(thread)
    if invented:
        return f"a number the thread does not hold: {sorted(invented)[0]}"
    return None


def plain(text: str) -> str:
    """The thread's ``text`` as the field may carry it: no hidden character, each link
    ``[link]``, personal data its placeholder, a sentence asking for a secret left out."""
    text = strip_controls(unicodedata.normalize("NFC", text))
    text = _HIDDEN.sub("", text)
    text = _MD_LINK.sub(lambda m: f"{m.group(1).strip()} {LINK}".strip(), refanged(text))
    for _, found in sorted(web_addresses(text), key=lambda f: -len(f[1])):
        text = text.replace(found, LINK)
    text = redact(text)[0]
    text = ADDRESS.sub("[ADDRESS]", text)
    sentences = [
        SECRET_REQUEST if asks_for_secret(s) is not None else s for s in _SENTENCE_END.split(text)
    ]
    return " ".join(" ".join(sentences).split())
