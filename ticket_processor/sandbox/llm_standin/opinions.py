"""What the LLM stand-in answers when asked whether a help-centre passage answers a ticket (the
answers' second opinion, ``answers.second_opinion``).

The request fences the redacted ticket (``<ticket>``) and the passage (``<passage>``); the
stand-in answers as a careful model would, deterministically: the passage's sentence sharing
most content words with the ticket (words of four letters or more, compared on their first
five letters, so "exports" meets "export"), copied exactly, when it shares at least two, else
no. The answer is the strict JSON object the request asks for, nothing around it.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

_TICKET = re.compile(r"(?s)<ticket>\n(.*?)\n</ticket>")
_PASSAGE = re.compile(r"(?s)<passage>\n(.*?)\n</passage>")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_WORD = re.compile(r"[^\W\d_]{4,}")
_COMMON = frozenset(
    {"this", "that", "with", "from", "have", "your", "what", "when", "where", "which", "there",
     "they", "then", "them", "will", "would", "could", "should", "about", "into", "does",
     "hello", "thanks", "thank", "please", "just", "some", "been", "also", "only"}
)  # fmt: skip


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in _COMMON}


def opinion_of(messages: list[dict[str, Any]]) -> str | None:
    """The JSON answer when the request is a second opinion's, else None."""
    system = next((m.get("content") for m in messages if m.get("role") == "system"), None)
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    if not isinstance(system, str) or '"answers"' not in system or not isinstance(content, str):
        return None
    ticket, passage = _TICKET.search(content), _PASSAGE.search(content)
    if ticket is None or passage is None:
        return None
    asked = _stems(html.unescape(ticket.group(1)))
    best, shared = "", 0
    for sentence in _SENTENCE.split(html.unescape(passage.group(1))):
        plain = " ".join(sentence.split())
        overlap = len(asked & _stems(plain))
        if plain and overlap > shared:
            best, shared = plain, overlap
    if shared < 2:
        return json.dumps({"answers": False, "sentence": ""})
    return json.dumps({"answers": True, "sentence": best})
