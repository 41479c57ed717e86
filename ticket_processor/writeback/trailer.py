"""The note's last line, its trailer: what ticketbot decided for a ticket, for machines.

``NoteTrailer.line`` writes it and ``parse_trailer`` reads it back; the harvest, revert's
readers, Freshdesk's duplicate-note check and crash recovery all read this one format
(``writeback.note.read_note`` finds it in a note). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from urllib.parse import quote, unquote

from ..models import Priority, Sentiment, Urgency, sanitise_tag

TRAILER_TAG = "ticketbot:v"
TRAILER_VERSION = 1
FIRST_MESSAGE = "first"  # the trailer's ``answers`` for a ticket's first message
_TRAILER = re.compile(
    r"^ticketbot:v([1-9][0-9]{0,3})((?: [a-z][A-Za-z0-9_.%~-]*=[A-Za-z0-9._~%:/,+-]*)*)$"
)
_VALUE_SAFE = "-._~:/+,"  # what stays readable in a trailer value; the rest is %-encoded
# What ``quote`` never encodes: ASCII letters, digits and ``_.-~``, and ``_VALUE_SAFE``.
_KEPT = re.compile(r"[A-Za-z0-9_.~:/+,-]*")
_ENGINES = ("llm", "learned", "rules")


@dataclass(frozen=True)
class NoteTrailer:
    """What ticketbot decided for one ticket, as the last line of its note says it.

    ``answers`` is the message the note answers: None for the ticket's first message, else a
    reply's comment (Zendesk) or conversation (Freshdesk) id. ``fields`` holds the helpdesk
    fields set, their values as text."""

    category: str
    urgency: str
    sentiment: str
    language: str
    engine: str
    model: str | None = None
    subcategory: str | None = None
    priority: str | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    escalated: bool = False
    articles: tuple[int, ...] = ()
    answers: int | None = None
    fields: Mapping[str, str] = dataclass_field(default_factory=dict)
    # The fields ticketbot applied, when it decided per field (calibrated): a suggested or
    # abstained field's value is in the trailer but is not ticketbot's label. None: all were.
    applied: tuple[str, ...] | None = None
    # The sentiment of each message so far, first message first (a note answering a reply).
    trend: tuple[str, ...] = ()
    # The help-centre article of the reply planned for the customer (``answers/``: drafted
    # in the note, or to be sent once); None: no reply.
    answer: int | None = None
    version: int = TRAILER_VERSION

    def line(self) -> str:
        def text(value: object) -> str:
            if value is None:
                return "-"
            found = str(value)
            # Most values (names, codes, ids) are all characters ``quote`` keeps as they are.
            return found if _KEPT.fullmatch(found) else quote(found, safe=_VALUE_SAFE)

        pairs = [
            ("answers", FIRST_MESSAGE if self.answers is None else self.answers),
            ("category", self.category),
            *((("subcategory", self.subcategory),) if self.subcategory else ()),
            ("urgency", self.urgency),
            ("sentiment", self.sentiment),
            ("language", self.language),
            ("priority", self.priority),
            ("group", self.group_id),
            ("assignee", self.assignee_id),
            ("escalated", "yes" if self.escalated else "no"),
            ("articles", ",".join(str(a) for a in self.articles) or None),
            ("engine", self.engine),
            ("model", self.model),
            *((("applied", ",".join(self.applied) or "none"),) if self.applied is not None else ()),
            *((("trend", ",".join(self.trend)),) if self.trend else ()),
            *((("answer", self.answer),) if self.answer is not None else ()),
            *((f"field.{quote(k, safe='')}", v) for k, v in sorted(self.fields.items())),
        ]
        return f"{TRAILER_TAG}{self.version} " + " ".join(f"{k}={text(v)}" for k, v in pairs)

    def labels(self) -> dict[str, str]:
        """The labels ticketbot set: only the applied ones (a suggestion is not a label)."""
        found = {"category": self.category, "urgency": self.urgency, "sentiment": self.sentiment}
        if self.applied is None:
            return found
        return {k: v for k, v in found.items() if k in self.applied}


def parse_trailer(line: str) -> NoteTrailer | None:
    """The trailer on one line, or None when the line is not a well-formed one."""
    match = _TRAILER.match(line.strip())
    if match is None:
        return None
    values: dict[str, str] = {}
    for pair in match.group(2).split():
        key, _, value = pair.partition("=")
        values[unquote(key)] = unquote(value)
    try:
        answers = values["answers"]
        articles = values.get("articles", "-")
        trailer = NoteTrailer(
            category=values["category"],
            urgency=Urgency(values["urgency"]).value,
            sentiment=Sentiment(values["sentiment"]).value,
            language=values["language"],
            engine=values["engine"],
            model=None if values.get("model", "-") == "-" else values["model"],
            subcategory=(None if values.get("subcategory", "-") == "-" else values["subcategory"]),
            priority=(
                None if values.get("priority", "-") == "-" else Priority(values["priority"]).value
            ),
            group_id=None if values.get("group", "-") == "-" else int(values["group"]),
            assignee_id=None if values.get("assignee", "-") == "-" else int(values["assignee"]),
            escalated=values.get("escalated") == "yes",
            articles=() if articles == "-" else tuple(int(a) for a in articles.split(",")),
            answers=None if answers == FIRST_MESSAGE else int(answers),
            applied=_applied(values.get("applied")),
            trend=tuple(Sentiment(v).value for v in values.get("trend", "").split(",") if v),
            answer=int(values["answer"]) if "answer" in values else None,
            fields={
                k.removeprefix("field."): v for k, v in values.items() if k.startswith("field.")
            },
            version=int(match.group(1)),
        )
    except (KeyError, ValueError):
        return None
    if trailer.engine not in _ENGINES or sanitise_tag(trailer.category) != trailer.category:
        return None
    if trailer.subcategory is not None and sanitise_tag(trailer.subcategory) != trailer.subcategory:
        return None
    if sanitise_tag(trailer.language) != trailer.language:
        return None
    return trailer


def _applied(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return () if value == "none" else tuple(v for v in value.split(",") if v)
