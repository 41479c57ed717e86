"""A summary's four parts, written as the field's text, and whose text the field holds.

``render`` is the one way a summary becomes text, in a language (``templates``): the four
labelled parts on one line (a single-line text field shows it whole) and ticketbot's mark,
at most ``MAX_WORDS`` words in all: the longest part loses words first. The mark ends the
text with a short hash of what precedes it, so ``is_ours`` tells ticketbot's last write from
an agent's edit without any state: an agent who changes a word, or writes the field anew, has
a text whose hash no longer matches (or no mark), and that text is never written over, as a
priority an agent set is never lowered and an agent's tag never removed. ``decide`` is that
rule, and a rerun's: nothing is written when the field already says the same.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .templates import words_for

MAX_WORDS = 100
MARK = "ticketbot"
_MARKED = re.compile(r"^(?P<body>.*\S)\s+\[" + MARK + r" (?P<hash>[0-9a-f]{8})\]\s*$", re.S)
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Summary:
    """What the summary says: the problem, what was done, where it stands, the next step;
    ``source`` is who wrote it (``llm`` or ``extractive``), for the log and the run's output."""

    problem: str
    done: str
    state: str
    next_step: str
    source: str = "extractive"


def _hash(body: str) -> str:
    folded = _SPACE.sub(" ", body).strip()
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=4).hexdigest()


def _sentence(text: str) -> str:
    text = _SPACE.sub(" ", text).strip()
    if text and text.rstrip("”“»«„'\"")[-1:] not in (".", "!", "?", "…"):
        text += "."
    return text


def _fit(parts: list[list[str]], budget: int) -> list[list[str]]:
    """The parts' words, the longest part cut a word at a time until they fit ``budget``."""
    parts = [list(p) for p in parts]
    while sum(len(p) for p in parts) > budget:
        longest = max(range(len(parts)), key=lambda i: (len(parts[i]), -i))
        parts[longest] = parts[longest][:-1]
        if parts[longest] and not parts[longest][-1].endswith("…"):
            parts[longest][-1] = parts[longest][-1].rstrip(".,;:!?") + "…"
    return parts


def render(summary: Summary, language: str = "en", *, max_words: int = MAX_WORDS) -> str:
    """The field's text: ``Problem: … Done: … Status: … Next: …`` and the mark, at most
    ``max_words`` words in all (the labels and the mark count)."""
    words = words_for(language)
    labels = (words.problem, words.done, words.state, words.next_step)
    texts = (summary.problem, summary.done, summary.state, summary.next_step)
    parts = [_sentence(t).split() for t in texts]
    label_words = sum(len(f"{label}:".split()) for label in labels)
    fitted = _fit(parts, max_words - label_words - 2)  # the mark is two words
    body = " ".join(
        f"{label}: {' '.join(p) or '-'}" for label, p in zip(labels, fitted, strict=True)
    )
    return f"{body} [{MARK} {_hash(body)}]"


def word_count(text: str) -> int:
    return len(text.split())


def is_ours(value: object) -> bool:
    """The field holds a summary ticketbot wrote, unchanged since (its mark's hash matches)."""
    if not isinstance(value, str):
        return False
    found = _MARKED.match(value.strip())
    return found is not None and _hash(found.group("body")) == found.group("hash")


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def body_of(value: str) -> str:
    """The summary without ticketbot's mark (what the dashboard shows)."""
    found = _MARKED.match(value.strip())
    return found.group("body") if found is not None else value.strip()


Decision = tuple[str, str | None]


def decide(current: object, text: str) -> Decision:
    """What to do with the field now holding ``current``, ``text`` being the new summary:
    ``("write", text)`` into an empty field or over ticketbot's own unchanged summary,
    ``("same", None)`` when it already says that, ``("kept", None)`` when an agent wrote or
    edited it (never written over)."""
    if isinstance(current, str) and _SPACE.sub(" ", current).strip() == text:
        return "same", None
    if is_empty(current) or is_ours(current):
        return "write", text
    return "kept", None
