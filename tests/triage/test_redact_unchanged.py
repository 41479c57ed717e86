"""Redaction made cheaper must not redact differently: every text of the redaction corpus
(``evaluation.redaction_corpus``, ``tests/data/redaction_cases.jsonl``), of the shipped sample
tickets and of the labelled ticket files below is redacted as ``tests/data/redaction_golden.jsonl``
recorded it, byte for byte, with the same counts per kind.

The file records ``redact``'s output when it was written: a text left as it was is ``null``,
the hostile megabyte texts are kept as a SHA-256 of their output. Write it again only when a
change to what is redacted is meant (a new pattern, a fixed leak), from the commit that makes
it, and say so in that commit:

    python tests/triage/test_redact_unchanged.py --write
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from ticket_processor.evaluation import redaction_corpus as corpus
from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.triage.redact import redact

DATA = Path(__file__).resolve().parents[1] / "data"
GOLDEN = DATA / "redaction_golden.jsonl"
# Labelled tickets of other kinds (questions, replies, spam): the prose redaction must leave
# alone as much as the personal data it must find.
FILES = ("redaction_cases.jsonl", "replies.jsonl", "spam_examples.jsonl", "bitext.jsonl")


def texts() -> Iterator[tuple[str, str]]:
    """(key, text) for every text the golden file covers, in its order."""
    for name in ("PII", "FORMS", "FAMILIES", "LIBRARY_FORMS", "HELD_OUT"):
        for n, (_note, text, _values) in enumerate(getattr(corpus, name)):
            yield f"{name}/{n}", text
    for n, text in enumerate(corpus.HELD_OUT_LOOKALIKES):
        yield f"HELD_OUT_LOOKALIKES/{n}", text
    for name in ("LOOKALIKES", "HARMLESS"):
        for n, (_note, text) in enumerate(getattr(corpus, name)):
            yield f"{name}/{n}", text
    for n, sample in enumerate(load_samples()):
        yield f"samples/{n}/subject", sample.subject
        yield f"samples/{n}/description", sample.description
    for name in FILES:
        for n, line in enumerate((DATA / name).read_text("utf-8").splitlines()):
            row = json.loads(line)
            for field in ("subject", "text", "description"):
                if isinstance(row.get(field), str):
                    yield f"{name}/{n}/{field}", row[field]


def hostile() -> Iterator[tuple[str, str]]:
    for n, text in enumerate(corpus.HOSTILE_MEGABYTE):
        yield f"HOSTILE_MEGABYTE/{n}", text


def record(key: str, text: str, *, digest: bool = False) -> dict[str, object]:
    redacted, counts = redact(text)
    if digest:
        kept: object = hashlib.sha256(redacted.encode()).hexdigest()
    else:
        kept = None if redacted == text else redacted
    return {"key": key, "redacted": kept, "counts": dict(sorted(counts.items()))}


def records() -> list[dict[str, object]]:
    found = [record(key, text) for key, text in texts()]
    return found + [record(key, text, digest=True) for key, text in hostile()]


def test_every_corpus_text_is_redacted_as_recorded() -> None:
    kept = [json.loads(line) for line in GOLDEN.read_text("utf-8").splitlines()]
    now = records()
    assert [row["key"] for row in now] == [row["key"] for row in kept]
    changed = [(old, new) for old, new in zip(kept, now, strict=True) if old != new]
    assert not changed, changed[:5]
    # (so the comparison compares something)
    assert sum(row["redacted"] is not None for row in kept) > 300


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit(__doc__)
    GOLDEN.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in records()), "utf-8"
    )
