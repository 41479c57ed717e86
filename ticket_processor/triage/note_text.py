"""LLM-written text made safe to store in a note and to print on a terminal: one sanitiser.

An LLM that obeys the ticket writes what the ticket asked for: links to anywhere, citations
of articles it was never given, escape sequences, NUL bytes, bidi overrides, lines that look
like ticketbot's own. ``llm_text`` turns the summary, the reply draft and any other text the
LLM wrote into plain text: control characters (C0 and C1 but newline and tab, whole ESC
sequences, NUL) and bidi and zero-width formatting removed, HTML tags and Markdown links and
images reduced to their words, URLs kept only when they are one of the given articles'
(others become ``[link removed]``), and a citation ``[n]`` kept only when article ``n`` was
given. Which lines of a note are ticketbot's is the renderer's business (``tags``); that the
text cannot hide a line break or a control character from it is this module's.

``terminal_text`` is for a terminal (dry-run tables, the demo): any character that is not
printable is shown as its escape (``\\x1b``), never raw; it is applied after ``llm_text`` to
what the LLM wrote, and alone to ticket text (subjects), which is shown as it is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

LINK_REMOVED = "[link removed]"

# Whole escape sequences first (CSI ``ESC [ ... final``; OSC ``ESC ] ... BEL|ST`` and the
# DCS, SOS, PM and APC strings ``ESC P|X|^|_ ... ST``; ``ESC``, intermediates and a final:
# ``ESC ( B``, ``ESC 7``, ``ESC c``), so their parameters do not survive as visible debris
# like ``[2J``.
_ESCAPE_SEQUENCE = re.compile(
    r"\x1b\[[0-?]{0,64}[ -/]{0,8}[@-~]?|\x9b[0-?]{0,64}[ -/]{0,8}[@-~]?"
    r"|\x1b\][^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[PX^_][^\x07\x1b\x9c]{0,512}(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]{0,8}[0-~]?"
)
# C0 (not \t \n), DEL, C1; bidi embeddings, overrides and isolates; zero-width and BOM.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_LINE_BREAKS = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")

# Markup: images and links to their words, HTML tags out (their words stay).
_MD_IMAGE = re.compile(r"!\[([^\]\n]{0,200})\]\(([^)\s]{0,2048})(?:\s[^)\n]{0,200})?\)")
_MD_LINK = re.compile(r"\[([^\]\n]{0,200})\]\(([^)\s]{0,2048})(?:\s[^)\n]{0,200})?\)")
# A reference definition's line (``[label]: https://... "title"``): its target must look like
# a link (``<...>``, or a word holding a ``/``, ``.``, ``:`` or ``@``: a scheme, a domain, a
# path). A redacted name opening a line ("[NAME]: security breach ...", a summary of a subject
# that opens with the customer's name) is the customer's words, not a definition, and stays.
_MD_REFERENCE = re.compile(
    r"(?m)^[ \t]{0,3}\[[^\]\n]{1,100}\]:[ \t]*(?:<[^>\n]*>|\S*[/.:@]\S*)(?:[ \t].*)?$"
)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>\s]{1,2048})>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[A-Za-z!?][^<>]{0,500}>")
_URL = re.compile(r"(?i)\b(?:(?:https?|ftp|file|javascript|data|mailto):|www\.)[^\s<>\"'`]{1,2048}")
_CITATION = re.compile(r"\[(\d{1,4})\]")
_SPACES = re.compile(r"[ \t]{2,}")


def strip_escapes(text: str) -> str:
    """``text`` without terminal escape sequences, each whole: removing their ESC byte alone
    leaves ``[31m`` or ``]0;title`` as visible debris (``prepare.clean`` cleans tickets so)."""
    return _ESCAPE_SEQUENCE.sub("", text)


def strip_controls(text: str) -> str:
    """``text`` without escape sequences, control or bidi/zero-width formatting characters;
    line breaks of every kind become ``\\n``."""
    text = strip_escapes(text)
    text = _LINE_BREAKS.sub("\n", text)
    return _CONTROL.sub("", text)


def _url_allowed(url: str, allowed: Sequence[str]) -> bool:
    bare = url.rstrip(".,;:!?)]}")
    return any(bare == a or bare == a.rstrip("/") for a in allowed if a)


def _urls(text: str, allowed: Sequence[str]) -> str:
    def one(match: re.Match[str]) -> str:
        url = match.group(0)
        bare = url.rstrip(".,;:!?)]}")
        if _url_allowed(bare, allowed):
            return url
        return LINK_REMOVED + url[len(bare) :]

    return _URL.sub(one, text)


def llm_text(text: str, *, urls: Sequence[str] = (), articles: int = 0) -> str:
    """Text the LLM wrote, as plain text fit for a note.

    ``urls`` are the given articles' addresses (the only URLs kept), ``articles`` how many
    were given (a citation ``[n]`` beyond it is removed)."""
    text = strip_controls(unicodedata.normalize("NFC", text))
    text = _MD_IMAGE.sub(lambda m: m.group(1), text)
    text = _MD_LINK.sub(
        lambda m: m.group(1) + (f" ({m.group(2)})" if _url_allowed(m.group(2), urls) else ""),
        text,
    )
    text = _MD_REFERENCE.sub("", text)
    text = _AUTOLINK.sub(lambda m: m.group(1), text)
    text = _HTML_TAG.sub("", text)
    text = _urls(text, urls)
    text = _CITATION.sub(lambda m: m.group(0) if 1 <= int(m.group(1)) <= articles else "", text)
    return "\n".join(_tidy(line) for line in text.split("\n")).strip("\n")


def _tidy(line: str) -> str:
    """One line with the gaps a removal left closed up; its indentation kept."""
    body = line.lstrip(" \t")
    return line[: len(line) - len(body)] + _SPACES.sub(" ", body).rstrip() if body else ""


def terminal_text(text: str) -> str:
    """Text for a terminal: every character that is not printable (escape, NUL, C1, bidi
    and zero-width formatting) written as its escape, ``\\x1b``, never raw; newlines kept."""
    return "".join(
        ch if ch == "\n" or ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )
