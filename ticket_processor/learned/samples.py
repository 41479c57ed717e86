"""The shipped sample tickets as labelled rows (their ``expected`` fields are the labels).

The project's own writing, so the default model may train on them; the default model's
cross-validated figures on them (``source`` ``samples``) are what the demo can quote.

``samples/questions.jsonl`` (``source`` ``questions``, also the project's own writing, in the
same shape) holds short and long customer questions about using a product, across many kinds of
business and seven languages, with look-alike rows of the other categories (a question about
changing the card a subscription is charged to is ``billing``, as the taxonomy defines it): the
rows a help centre's plain "how do I ... in the app" questions need, which the public sets
hardly hold. Training rows only; nothing else reads them.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from .labelled_file import LabelledTicket

SAMPLES_SOURCE = "samples"
QUESTIONS_SOURCE = "questions"
LABELLED_FIELDS = ("category", "urgency", "sentiment")


def samples_path() -> Path:
    return Path(str(resources.files("ticket_processor").joinpath("samples/tickets.jsonl")))


def questions_path() -> Path:
    return Path(str(resources.files("ticket_processor").joinpath("samples/questions.jsonl")))


def question_rows() -> list[LabelledTicket]:
    """The written questions (``samples/questions.jsonl``) as labelled rows of their own source."""
    return sample_rows(questions_path(), source=QUESTIONS_SOURCE)


def sample_rows(path: Path | None = None, *, source: str = SAMPLES_SOURCE) -> list[LabelledTicket]:
    rows = []
    text = (path or samples_path()).read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        data = json.loads(line)
        expected = data.get("expected") or {}
        labels = {k: str(expected[k]) for k in LABELLED_FIELDS if expected.get(k) is not None}
        rows.append(
            LabelledTicket(
                f"sample-{number}" if source == SAMPLES_SOURCE else f"{source}-{number}",
                source,
                str(data.get("subject") or ""),
                str(data.get("description") or ""),
                labels,
            )
        )
    return rows
