"""What the LLM stand-in answers to a request for a conversation's summary.

The request fences the thread (``<thread>``, one ``[customer]`` or ``[agent]`` line per
message); the stand-in answers as a careful model would, deterministically: the problem from
the first message's first sentences, what was done from the latest agent message, where it
stands from the latest message, the next step from who wrote last. Any other request gets the
ticket analysis (``answers``).
"""

from __future__ import annotations

import html
import re
from typing import Any

_THREAD = re.compile(r"(?s)<thread>(.*?)</thread>")
_TURN = re.compile(r"(?m)^\[(customer|agent)\] ")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_GREETING = re.compile(r"^(?:hi|hello|dear|thanks|thank you)\b[^.!?]{0,30}[,.!]?\s*$", re.I)


def _gist(text: str, sentences: int = 1) -> str:
    found = [s for s in _SENTENCE.split(" ".join(text.split())) if not _GREETING.match(s)]
    return " ".join(found[:sentences]) or text[:200]


def summary_from_messages(messages: list[dict[str, Any]]) -> dict[str, str] | None:
    """The summary answer when the last user message fences a thread, else None."""
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    content = users[-1].get("content") if users else None
    found = _THREAD.search(content) if isinstance(content, str) else None
    if found is None:
        return None
    parts = _TURN.split(html.unescape(found.group(1)))
    turns = [(parts[i], parts[i + 1].strip()) for i in range(1, len(parts) - 1, 2)]
    if not turns:
        return None
    agents = [text for author, text in turns if author == "agent"]
    last_author, last_text = turns[-1]
    return {
        "problem": f"The customer reports: {_gist(turns[0][1], 2)}",
        "done": f"The agent: {_gist(agents[-1])}" if agents else "Nothing has been done yet.",
        "state": (
            f"Latest from the customer: {_gist(last_text)}"
            if len(turns) > 1 and last_author == "customer"
            else "Waiting for the customer's answer."
            if last_author == "agent"
            else "New ticket, not answered yet."
        ),
        "next": "Reply to the customer." if last_author == "customer" else "Wait for the customer.",
    }
