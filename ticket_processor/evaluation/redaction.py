"""Scoring the redactor: how many personal values a labelled file's lines lose (true
positives), how many it misses or over-redacts, and which values of a text leak through.

The tests hold the redactor to these figures and ``python -m scripts.figures redaction_figures``
prints them; the labelled case file is ``tests/data/redaction_cases.jsonl``, the hostile corpus is
``redaction_corpus.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from ticket_processor.triage.redact import redact

PII_KINDS = ("email", "phone", "card", "iban", "ssn", "secret")


def read_cases(path: Path) -> list[dict[str, object]]:
    """The labelled cases of a JSON-lines file: ``{"text", "expected": [{"kind", "value"}]}``."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def score(cases: list[dict[str, object]]) -> tuple[int, int, int, list[str]]:
    """True positives, false positives, false negatives over the file, and what went wrong.

    A found item counts only if its value is gone from the output (a placeholder of the right
    kind next to a leaked value is a miss); any redaction in a negative line is a false positive.
    """
    tp = fp = fn = 0
    problems: list[str] = []
    for case in cases:
        text = str(case["text"])
        expected = case["expected"]
        assert isinstance(expected, list)
        out, counts = redact(text)
        for kind in PII_KINDS:
            wanted = [item for item in expected if item["kind"] == kind]
            leaked = sum(1 for item in wanted if item["value"] in out)
            hits = max(0, min(len(wanted), counts.get(kind, 0)) - leaked)
            tp += hits
            fp += counts.get(kind, 0) - hits
            fn += len(wanted) - hits
            if hits != len(wanted) or counts.get(kind, 0) != hits:
                problems.append(f"{kind}: {case.get('note')}: {out!r} {counts}")
    return tp, fp, fn, problems


def leaks(text: str, values: list[str]) -> list[str]:
    """The ``values`` still in ``text`` once redacted (case-insensitively)."""
    out, _ = redact(text)
    return [value for value in values if value in out or value.lower() in out.lower()]
