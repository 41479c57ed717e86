"""A customer's email reply without what it quotes and how it signs off: the new text only.

Mail clients put the conversation so far under a reply ("On Tue, 3 Mar 2026, Support wrote:",
"-----Original Message-----", Outlook's "From: … Sent: …" block, "Am … schrieb …:", "Le … a
écrit :", "El … escribió:", "Op … schreef …:", "Em … escreveu:", ``>`` lines) and a signature
or a phone's footer after it. Judged with them, a "thanks, it works" reply quoting an angry
first message reads angry, and an angry reply quoting "thanks for your patience" reads calm.

``strip_reply`` cuts at the first quote header or separator, drops ``>`` lines, cuts a
signature (``--``, "Sent from my iPhone" and its translations, a closing formula such as "Best
regards" followed only by a short name block). Line by line, each pattern anchored and bounded:
linear in the text, whatever it holds. A reply that is nothing but quote or sign-off is kept as
its first lines, never emptied.

``new_text`` is what is judged of a ticket's unanswered replies: each capped as a ticket's body
is (``prepare.raw_cap``) before anything reads it, then stripped, joined, and cut to the
engines' budget (``prepare.budget_chars``), so a 5 MB reply costs what a 64 KB one does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .prepare import budget_chars, cut, raw_cap

_MAX_LINE = 400  # a longer line is never a header or a closing (and is not matched as one)

# A line that opens the quoted history: everything from it on is the conversation so far.
_HEADER = re.compile(
    r"^(?:"
    r"on\s.{1,200}\swrote\s*:?"  # On Tue, 3 Mar 2026 at 10:14, Support <s@example.com> wrote:
    r"|am\s.{1,200}\sschrieb.{0,200}:"
    r"|le\s.{1,200}\sa\s+[ée]crit\s*:?"
    r"|el\s.{1,200}\sescribi[óo]\s*:?"
    r"|op\s.{1,200}\sschreef.{0,200}:"
    r"|em\s.{1,200}\sescreveu\s*:?"
    r"|-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|oorspronkelijk bericht|mensagem original|forwarded message|weitergeleitete nachricht)"
    r"\s*-{2,}"
    r"|_{8,}|-{8,}"
    r")\s*$",
    re.IGNORECASE,
)
# "On Tue, 3 Mar 2026 at 10:14, Support <support@example.com>" wrapped before "wrote:".
_HEADER_START = re.compile(r"^(?:on|am|le|el|op|em)\s.{1,200}$", re.IGNORECASE)
_HEADER_END = re.compile(
    r"^.{0,200}(?:wrote|schrieb.{0,100}|a\s+[ée]crit|escribi[óo]|schreef.{0,100}|escreveu)\s*:\s*$",
    re.IGNORECASE,
)
# Outlook's block: a From line, then within a few lines a Sent (or Date) and a Subject line.
_FROM = re.compile(r"^\*?(?:from|von|de|van)\s*\*?\s*:", re.IGNORECASE)
_SENT = re.compile(
    r"^\*?(?:sent|date|gesendet|datum|envoy[ée]|enviado|fecha|verzonden|datum|data)\s*\*?\s*:",
    re.IGNORECASE,
)
# Where a signature starts: the standard delimiter or a phone's footer.
_SIGNATURE = re.compile(
    r"^(?:--\s*"
    r"|sent from my\s.{1,60}|sent from (?:mail|outlook|yahoo mail).{0,60}|get outlook for\s.{1,40}"
    r"|von meinem\s.{1,60}gesendet|gesendet von meinem\s.{1,60}"
    r"|envoy[ée] de mon\s.{1,60}|envoy[ée] depuis\s.{1,60}"
    r"|enviado desde mi\s.{1,60}|enviado do meu\s.{1,60}|enviado de meu\s.{1,60}"
    r"|verzonden (?:vanaf|met) mijn\s.{1,60}"
    r")$",
    re.IGNORECASE,
)
# A closing formula alone on its line; what follows it is a name and contact block.
_CLOSING = re.compile(
    r"^(?:(?:best|kind|warm|warmest)\s+regards|regards|best wishes|best|cheers|thanks|thank you"
    r"|many thanks|all the best|sincerely|yours(?: truly| sincerely)?"
    r"|mit freundlichen grüßen|freundliche grüße|viele grüße|liebe grüße|beste grüße|lg|vg|gruß"
    r"|grüße|cordialement|bien cordialement|bien à vous|salutations|bonne journée"
    r"|saludos(?: cordiales)?|un saludo|atentamente|met vriendelijke groet(?:en)?|groeten"
    r"|groetjes|mvg|atenciosamente|abraços|cumprimentos)\s*[,.!]?\s*$",
    re.IGNORECASE,
)
_SIGN_OFF_LINES = 5  # at most this many short lines after a closing: a name and a role
_SHORT = 60


def strip_reply(text: str) -> str:
    """The new text of a reply: quoted history, ``>`` lines and the signature removed."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, raw in enumerate(lines):
        line = raw.strip()
        short = line[:_MAX_LINE] if len(line) <= _MAX_LINE else ""
        if short and (_HEADER.match(short) or _wrapped_header(short, lines, index)):
            break
        if short and _FROM.match(short) and _outlook_block(lines, index):
            break
        if short and _SIGNATURE.match(short):
            break
        if line.startswith(">"):
            continue
        kept.append(raw.rstrip())
    kept = _drop_sign_off(kept)
    result = "\n".join(kept).strip()
    if result:
        return result
    # All quote or sign-off: its first non-quoted lines rather than nothing.
    plain = [raw.strip() for raw in lines if raw.strip() and not raw.strip().startswith(">")]
    return "\n".join(plain[:3]) or text.strip()[:_MAX_LINE]


def new_text(bodies: Sequence[str], *, max_tokens: int) -> str:
    """The new text of a customer's replies, capped before it is read and cut to the budget."""
    limit = raw_cap(max_tokens)
    joined = "\n\n".join(strip_reply(body[:limit]) for body in bodies).strip()
    return cut(joined, budget_chars(max_tokens))


def _wrapped_header(line: str, lines: list[str], index: int) -> bool:
    if not _HEADER_START.match(line) or index + 1 >= len(lines):
        return False
    following = lines[index + 1].strip()
    return len(following) <= _MAX_LINE and bool(_HEADER_END.match(following))


def _outlook_block(lines: list[str], index: int) -> bool:
    window = [raw.strip()[:_MAX_LINE] for raw in lines[index + 1 : index + 5]]
    return any(_SENT.match(line) for line in window)


def _drop_sign_off(lines: list[str]) -> list[str]:
    """Cut a closing formula that only a short name block follows."""
    last = len(lines)
    while last and not lines[last - 1].strip():
        last -= 1
    start = max(0, last - _SIGN_OFF_LINES - 1)
    for index in range(start, last):
        line = lines[index].strip()
        if len(line) > 40 or not _CLOSING.match(line):
            continue
        tail = [t.strip() for t in lines[index + 1 : last] if t.strip()]
        short = len(tail) <= _SIGN_OFF_LINES and all(len(t) <= _SHORT for t in tail)
        if short and any(t.strip() for t in lines[:index]):
            return lines[:index]
    return lines
