"""The spam gate on a fresh helpdesk: a stranger's mail gated only on proof.

    python -m scripts.figures spam_first_day_figures

Every row is judged as a run on a fresh helpdesk judges a requester it has never seen (no
organisation, no ticket solved before, no LLM), from its text and its sender's address. For
each set: gated (the run acts on the verdict), suggested (``ai_suggested_spam`` only), and
both together; for the genuine sets, the gated ones are named.

- ``tests/data/spam_genuine_firstday.jsonl``: 20 customers' complaints and questions in an
  offer's or a phisher's words (price gouging, a phone number asked for, "did you send this?")
  and 20 genuine mails from automated-looking addresses (a booking system's and a utility's
  no-reply mailbox, contact forms, a security team forwarding phishing sent in the company's
  name, a mail administrator pasting a bounce under a question); written for this figure by the
  engineer who wrote the proof rule, the project's licence. One of its misses (the mail
  administrator's pasted bounce, gated) was read, and the bounce proof changed after it: that
  row is in-sample;
- ``tests/data/spam_genuine_senders_held_out.jsonl``: 20 genuine automated-looking senders by
  another author (held out from the gate's rules);
- the genuine customers' tickets of ``spam_customers_figures`` (four files, other authors), the
  outage hours' new tickets and the held-out help centres' tickets;
- spam and phishing: ``tests/data/spam_proved.jsonl`` (12 mails that prove themselves, written
  with the rule), ``tests/data/spam_disguised.jsonl`` (30, another author) and
  ``tests/data/spam_tickets.jsonl``'s ten (held out, another author).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from scripts.figures_spam_risk import _disguised_rows, _fates, customer_rows, other_customers
from ticket_processor.spam.gate import SpamGate
from ticket_processor.spam.labelled import SpamRow, score_rows

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def _rows(name: str, kind: str | None = None) -> list[SpamRow]:
    rows = []
    for line in (DATA / name).read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        if kind is not None and raw.get("kind") != kind:
            continue
        truth = str(raw["labels"]["spam"])
        rows.append(SpamRow(raw["subject"], raw["description"], raw.get("sender"), truth))
    return rows


def _gated(rows: list[SpamRow], gate: SpamGate) -> list[str]:
    """The subjects of the rows the gate applies a verdict to (one row at a time)."""
    return [row.subject for row in rows if score_rows([row], gate).applied]


def spam_first_day_figures(argv: list[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.split("\n")[0]).parse_args(argv)
    gate = SpamGate()
    genuine = {
        "spam_genuine_firstday.jsonl, customers": _rows("spam_genuine_firstday.jsonl", "customer"),
        "spam_genuine_firstday.jsonl, automated-looking senders": _rows(
            "spam_genuine_firstday.jsonl", "automated"
        ),
        "spam_genuine_senders_held_out.jsonl (held out), automated-looking senders": _rows(
            "spam_genuine_senders_held_out.jsonl"
        ),
        "genuine customers' tickets (four files)": [
            row for rows in customer_rows().values() for row in rows if row.truth == "none"
        ],
        **other_customers(),
    }
    for name, rows in genuine.items():
        gated = _gated(rows, gate) if len(rows) <= 100 else []
        named = f"; gated: {gated}" if gated else ""
        print(f"{name}: {_fates(score_rows(rows, gate))}{named}", flush=True)
    spam = {
        "spam_proved.jsonl": _rows("spam_proved.jsonl"),
        "spam_disguised.jsonl": [row for _, row in _disguised_rows()],
        "spam_tickets.jsonl (held out)": _rows("spam_tickets.jsonl"),
    }
    for name, rows in spam.items():
        print(f"{name}: {_fates(score_rows(rows, gate))}", flush=True)


if __name__ == "__main__":
    spam_first_day_figures()
