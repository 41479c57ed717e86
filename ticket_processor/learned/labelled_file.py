"""Labelled tickets: the JSON-lines file ``ticketbot learn FILE`` trains on and ``ticketbot eval
FILE`` scores an engine on, and the label values each field may take.

One row a line (``id``, ``source``, ``subject``, ``description``, ``labels``; a customer's reply
may give its ``text`` instead of a description). Training, the promotion gate and the harvest
from the helpdesk read and write this shape; ``evaluation`` reads it to score any engine, with
the same metrics (``scoring``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ..common.sealed import open_line
from ..errors import ConfigError
from ..models import Sentiment, Urgency, sanitise_tag
from ..triage.reply_kind import REPLY_KINDS
from ..triage.taxonomy import Taxonomy
from .scoring import FIELDS


@dataclass(frozen=True)
class LabelledTicket:
    id: str
    source: str
    subject: str
    description: str
    labels: dict[str, str]


def load_labelled(
    path: Path, *, limit: int | None = None, require_labels: bool = True
) -> list[LabelledTicket]:
    """The rows of a labelled JSONL file; a malformed line is a usage error naming the line.
    ``require_labels=False`` reads a file of unlabelled tickets (``discover``)."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    rows: list[LabelledTicket] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            # A harvest's file is encrypted line by line with a key (``learned/harvest.py``).
            data = orjson.loads(open_line(line, str(path)))
        except orjson.JSONDecodeError:
            raise ConfigError(f"{path}:{number}: not a JSON object") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{path}:{number}: not a JSON object")
        labels = data.get("labels") or {}
        if not isinstance(labels, dict):
            raise ConfigError(f"{path}:{number}: 'labels' must be an object")
        rows.append(
            LabelledTicket(
                id=str(data.get("id", number)),
                source=str(data.get("source") or data.get("language") or "unknown"),
                subject=str(data.get("subject") or ""),
                # A reply's row gives its ``text`` (quoted history and signature still in it).
                description=str(
                    data.get("description")
                    or next((data[k] for k in _REPLY_TEXT if data.get(k)), "")
                ),
                labels=_labels(labels),
            )
        )
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        # ``discover`` reads tickets to group, not to score: say what the file was for.
        wanted = "rows to evaluate" if require_labels else "tickets to read"
        raise ConfigError(f"{path}: no {wanted}: the file has no JSON line")
    if require_labels and not any(name in row.labels for row in rows for name in FIELDS):
        raise ConfigError(
            f"{path}: no row has labels to score against: give each line a 'labels' object, "
            'e.g. "labels": {"category": "billing", "urgency": "high", "sentiment": "negative"}'
        )
    return rows


# Where a reply's row may give its text, and the spellings a reply kind label may take.
_REPLY_TEXT = ("text", "body", "reply", "message")
_REPLY_KIND_SPELLINGS = {
    "auto": "auto_reply",
    "autoreply": "auto_reply",
    "auto-reply": "auto_reply",
    "automatic": "auto_reply",
    "out_of_office": "auto_reply",
    "thank_you": "thanks",
    "thank-you": "thanks",
    "thankyou": "thanks",
    "resolved": "thanks",
}


def _labels(raw: dict[Any, Any]) -> dict[str, str]:
    """The labels as text; a subcategory as a taxonomy name (``Refund_not_showing_up`` and
    ``reverted_card_payment?`` in the source data are ``refund_not_showing_up`` and
    ``reverted_card_payment`` in a taxonomy)."""
    labels = {str(k): str(v) for k, v in raw.items() if v is not None}
    if "subcategory" in labels:
        labels["subcategory"] = sanitise_tag(labels["subcategory"]).strip("_-")
    if "reply_kind" in labels:
        kind = labels["reply_kind"].strip().lower().replace(" ", "_")
        labels["reply_kind"] = _REPLY_KIND_SPELLINGS.get(kind, kind)
    return labels


def allowed_values(taxonomy: Taxonomy) -> dict[str, tuple[str, ...]]:
    """The label values each field is scored on; anything else is out of taxonomy."""
    return {
        "category": taxonomy.names,
        "urgency": tuple(level.value for level in Urgency),
        "sentiment": tuple(value.value for value in Sentiment),
        "subcategory": taxonomy.subcategory_names,
        "reply_kind": REPLY_KINDS,
    }
