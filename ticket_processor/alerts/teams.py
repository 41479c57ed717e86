"""Microsoft Teams: an Adaptive Card posted to a channel's incoming webhook or Workflows URL
(``TICKETBOT_TEAMS_WEBHOOK``).

The body is the ``message`` envelope both take: ``{"type": "message", "attachments":
[{"contentType": "application/vnd.microsoft.card.adaptive", "content": <card>}]}``, the card a
title and one ``TextBlock`` per ticket with its link as an ``Action.OpenUrl``. A TextBlock's
text is Markdown: every text from a ticket goes through ``teams_escape``, so a subject cannot
make a link (``[Sign in](https://...)``), emphasis or a list. The URL is a secret (a Workflows
URL carries its ``sig=``); ``delivery.Poster`` never names it.

Teams refuses a message larger than 28 KB (a busy hour's 200 escalations make 45 KB):
``split_cards`` cuts the lines into cards whose message stays under ``CARD_MAX_BYTES``, each
posted on its own, so a card Teams refuses holds back only its own tickets.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from .delivery import Poster, Undelivered

CARD_VERSION = "1.4"
# Teams' documented limit on an incoming webhook's message is 28 KB; the rest is margin for
# what Teams adds around it, and for a title a few characters longer than the one measured.
CARD_MAX_BYTES = 24 * 1024
# The characters Markdown gives a meaning to, as Teams' TextBlock renders it; each is
# backslash-escaped, and a line break becomes a space (a TextBlock line per ticket).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~<])")


def teams_escape(text: str) -> str:
    """``text`` as a TextBlock shows it literally."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


@dataclass(frozen=True)
class CardLine:
    """One ticket in the card: ``text`` is Markdown already (its ticket text escaped)."""

    text: str
    url: str | None = None


@dataclass(frozen=True)
class Teams:
    """Posts cards to one Teams webhook."""

    url: str
    poster: Poster

    def post(self, title: str, lines: Sequence[CardLine]) -> Undelivered | None:
        """None when Teams accepted the card, else why not."""
        answer = self.poster.post(self.url, orjson.dumps(card_message(title, lines)), {})
        if isinstance(answer, Undelivered):
            return answer
        if 200 <= answer.status < 300:
            return None
        return Undelivered(f"Teams answered HTTP {answer.status}")


def split_cards(
    title: Callable[[int], str], lines: Sequence[CardLine], *, limit: int = CARD_MAX_BYTES
) -> list[list[CardLine]]:
    """``lines`` in order, cut into groups whose card (``title(len(group))`` on top) is at
    most ``limit`` bytes as posted; a line too large for a card of its own is cut short."""
    groups: list[list[CardLine]] = []
    group: list[CardLine] = []
    for line in lines:
        candidate = [*group, line]
        if group and _size(title(len(candidate)), candidate) > limit:
            groups.append(group)
            candidate = [line]
        if _size(title(1), candidate) > limit:
            candidate = [_shortened(title(1), line, limit)]
        group = candidate
    if group:
        groups.append(group)
    return groups


def _size(title: str, lines: Sequence[CardLine]) -> int:
    return len(orjson.dumps(card_message(title, lines)))


def _shortened(title: str, line: CardLine, limit: int) -> CardLine:
    text = line.text
    while text and _size(title, [CardLine(text, line.url)]) > limit:
        text = text[: len(text) // 2]
    # Never end on a lone backslash: it would escape the ellipsis, not a character of the text.
    return CardLine(text.rstrip("\\") + "…", line.url)


def card_message(title: str, lines: Sequence[CardLine]) -> dict[str, object]:
    """The ``message`` envelope with one Adaptive Card: ``title`` is Markdown already."""
    body: list[dict[str, object]] = [
        {"type": "TextBlock", "text": title, "weight": "Bolder", "size": "Medium", "wrap": True}
    ]
    actions: list[dict[str, object]] = []
    for line in lines:
        body.append({"type": "TextBlock", "text": line.text, "wrap": True})
        if line.url and len(actions) < 5:  # Teams shows a handful of buttons, not fifty
            actions.append({"type": "Action.OpenUrl", "title": "Open ticket", "url": line.url})
    card: dict[str, object] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
    }
    if actions:
        card["actions"] = actions
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }
