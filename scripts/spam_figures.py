"""The spam gate's held-out figures: what it catches of a public spam corpus it was not fitted
on, and how many customers' tickets it takes for spam.

    python scripts/spam_figures.py /work/data/spam/SMSSpamCollection

PATH is the SMS Spam Collection (Almeida, Gómez Hidalgo, Yamakami, 2011; UCI Machine Learning
Repository, CC BY 4.0): 5,574 English SMS, ``ham`` or ``spam`` and the text, tab-separated,
one a line (a header line ``Label	SMS`` is skipped). It is not shipped: bring a copy (the UCI
archive, or a public mirror of the file) and give its path. Its ham is people's own chat, not
tickets: the false positives that matter are counted on customers' tickets, the sample
tickets ``seed`` creates and the rows of ``tests/data`` the head was not fitted on
(``answers_tickets.jsonl`` and the ticket text of ``bitext_translated.jsonl``, en/de/es;
the customers' replies of ``replies_second.jsonl``, whose out-of-office replies are the
held-out auto-senders).

Every ticket is judged as a run judges it, from the head and the sender cue (none here); the
LLM is not asked. "Applied" is a verdict the run acts on; "suggested" only tags.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1]))

from ticket_processor.spam.gate import SpamGate
from ticket_processor.spam.labelled import SpamRow, SpamScores, score_rows

DATA = Path(__file__).resolve().parents[1] / "tests/data"


def _jsonl(name: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in (DATA / name).read_text("utf-8").splitlines() if line]


def sms_rows(path: Path) -> list[SpamRow]:
    rows = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        label, _, text = line.partition("\t")
        if label not in ("ham", "spam"):
            continue  # the header, or a line that is not a row
        rows.append(SpamRow("", text, None, "none" if label == "ham" else "spam"))
    return rows


def customer_rows() -> dict[str, list[SpamRow]]:
    replies = _jsonl("replies_second.jsonl")
    samples = Path(__file__).resolve().parents[1] / "ticket_processor/samples/tickets.jsonl"
    return {
        "ticket_processor/samples/tickets.jsonl (long tickets, several languages)": [
            SpamRow(str(r.get("subject") or ""), str(r.get("description") or ""), None, "none")
            for r in (json.loads(line) for line in samples.read_text("utf-8").splitlines())
        ],
        "answers_tickets.jsonl (en/de/fr/es)": [
            SpamRow(str(r["subject"]), str(r["description"]), None, "none")
            for r in _jsonl("answers_tickets.jsonl")
        ],
        "bitext_translated.jsonl (en/de/es)": [
            SpamRow("", str(r["text"]), None, "none") for r in _jsonl("bitext_translated.jsonl")
        ],
        "replies_second.jsonl customers' replies": [
            SpamRow("", str(r["text"]), None, "none")
            for r in replies
            if r["labels"]["reply_kind"] != "auto_reply"  # type: ignore[index]
        ],
        "replies_second.jsonl out-of-office replies": [
            SpamRow("", str(r["text"]), None, "auto_sender")
            for r in replies
            if r["labels"]["reply_kind"] == "auto_reply"  # type: ignore[index]
        ],
    }


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole} ({part / whole:.1%})" if whole else "-"


def show(name: str, scores: SpamScores) -> None:
    customers = scores.truth.get("none", 0)
    flagged_customers = scores.applied.get("none", 0)
    spam = scores.spam_rows
    parts = []
    if spam:
        parts.append(f"caught {_share(scores.true_positives, spam)}")
    if customers:
        parts.append(f"customers flagged {_share(flagged_customers, customers)}")
        parts.append(f"suggested {_share(scores.suggested.get('none', 0), customers)}")
    if spam and customers:
        precision = scores.precision
        parts.append(f"precision {precision:.3f}" if precision is not None else "precision -")
    print(f"{name}: {', '.join(parts)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="the SMS Spam Collection file")
    args = parser.parse_args()
    gate = SpamGate()
    print(f"head: apply at {gate.head.apply_at:.4f}, suggest at {gate.head.suggest_at:.4f}")
    sms = sms_rows(args.path)
    sms_scores = score_rows(sms, gate)
    show("SMS Spam Collection (spam and ham)", sms_scores)
    customers, flagged = 0, 0
    for name, rows in customer_rows().items():
        scores = score_rows(rows, gate)
        show(name, scores)
        customers += scores.truth.get("none", 0)
        flagged += scores.applied.get("none", 0)
    # Where the spam meets customers' tickets rather than people's chat: the SMS spam caught
    # against every held-out customer's ticket flagged.
    caught = sms_scores.true_positives
    print(
        f"SMS spam among the held-out customers' tickets: precision "
        f"{caught / max(caught + flagged, 1):.3f} ({caught} spam caught, {flagged} of "
        f"{customers} customers' tickets flagged)"
    )


if __name__ == "__main__":
    main()
