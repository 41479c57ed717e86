"""The risk and redaction figures: the risk head held out, and what redaction finds and misses."""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts import child_env, command_parser, run_dirs
from ticket_processor.evaluation.redaction import leaks, read_cases, score
from ticket_processor.evaluation.redaction_corpus import (
    FORMS,
    HARMLESS,
    HELD_OUT,
    HELD_OUT_LOOKALIKES,
    HOSTILE_MEGABYTE,
    LOOKALIKES,
    PII,
    PROSE,
)
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.risk.fit import auc
from ticket_processor.sandbox.desks import Desk, SolvedTicket, serve_desk
from ticket_processor.triage.redact import redact

# risk_figures ------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
LANGUAGES = (("en", 0.55), ("de", 0.15), ("es", 0.15), ("fr", 0.15))
TONES = {"angry": 0.9, "frustrated": 0.5, "neutral": 0.0, "polite": -0.3}

# The templates (the project's own writing): per topic its effect on the outcome, the category
# an agent tags and (subject, body) per language ({n} a number, {amount} a sum); per tone an
# (opening, closing) per language; a sentence mentioning an earlier contact; sentences of a
# case's history.
TEMPLATES = json.loads((ROOT / "tests/data/risk_templates.json").read_text("utf-8"))
TOPICS: dict[str, dict[str, Any]] = TEMPLATES["topics"]
TOPIC_SHARE: dict[str, float] = TEMPLATES["topic_share"]
TONE_WORDS: dict[str, dict[str, list[list[str]]]] = TEMPLATES["tones"]
EARLIER: dict[str, str] = TEMPLATES["earlier_contact"]
HISTORY: dict[str, list[str]] = TEMPLATES["history"]


@dataclass(frozen=True)
class Generated:
    subject: str
    body: str
    category: str
    bad: bool
    chance: float  # the model's probability of ending badly (the best any scorer can know)


def _pick(rng: random.Random, weights: dict[str, float] | tuple[tuple[str, float], ...]) -> str:
    items = list(weights.items()) if isinstance(weights, dict) else list(weights)
    return rng.choices([k for k, _ in items], [w for _, w in items])[0]


def generate(count: int, seed: int) -> list[Generated]:
    """``count`` tickets in date order (the model above; seeded)."""
    rng = random.Random(seed)
    tickets = []
    for i in range(count):
        topic = _pick(rng, {k: float(v) for k, v in TOPIC_SHARE.items()})
        effect, category, texts = (TOPICS[topic][k] for k in ("effect", "category", "texts"))
        language = _pick(rng, LANGUAGES)
        tone = _pick(rng, {"angry": 0.15, "frustrated": 0.25, "neutral": 0.4, "polite": 0.2})
        if topic == "praise":
            tone = "polite" if rng.random() < 0.7 else "neutral"
        subject, body = rng.choice(texts[language])
        values = {
            "n": str(10000 + i * 7 + rng.randrange(7)),
            "amount": f"{rng.randrange(9, 400)}.{rng.randrange(100):02d}",
        }
        opening, closing = rng.choice(TONE_WORDS[tone][language])
        earlier = topic != "praise" and rng.random() < 0.2
        long = rng.random() < 0.3
        parts = [opening, body.format(**values)]
        if earlier:
            parts.append(EARLIER[language])
        if long:
            parts.extend(rng.sample(HISTORY[language], 2))
        if rng.random() >= 0.25:  # a quarter are one line, without the closing
            parts.append(closing)
        z = -1.5 + effect + TONES[tone] + 0.8 * earlier + 0.3 * long + rng.gauss(0.0, 0.8)
        chance = 1 / (1 + math.exp(-z))
        bad = rng.random() < chance
        tickets.append(Generated(subject.format(**values), " ".join(parts), category, bad, chance))
    return tickets


def solved(ticket: Generated, escalates: bool, rng: random.Random) -> SolvedTicket:
    """How ``ticket`` ended, as the helpdesk records it (``escalates``: Freshdesk's flag
    instead of Zendesk's reopen count)."""
    if ticket.bad:
        if rng.random() < 0.55:
            return SolvedTicket(ticket.subject, ticket.body, "bad")
        if escalates:
            return SolvedTicket(
                ticket.subject, ticket.body, rng.choice(("offered", "unoffered")), 0, True
            )
        return SolvedTicket(ticket.subject, ticket.body, rng.choice(("offered", "unoffered")), 1)
    rating = _pick(rng, {"good": 0.45, "offered": 0.25, "unoffered": 0.3})
    return SolvedTicket(ticket.subject, ticket.body, rating)


def _import(desk: Desk, rows: list[SolvedTicket], tickets: list[Generated]) -> None:
    ids = desk.import_solved(rows)
    for ticket_id, ticket in zip(ids, tickets, strict=True):
        desk.agent_edit(ticket_id, f"ai_category_{ticket.category}", "normal")


def measure(kind: str, tickets: list[Generated], held_out: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed + 1)
    escalates = kind == "freshdesk"  # it counts no reopens: its escalation flag instead
    rows = [solved(t, escalates, rng) for t in tickets]
    cut = len(tickets) - held_out
    with (
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
        tempfile.TemporaryDirectory() as tmp,
    ):
        env = child_env(desk.env(), run_dirs(tmp))
        _import(desk, rows[:cut], tickets[:cut])
        learn = [
            sys.executable,
            "-m",
            "ticket_processor",
            "learn",
            "--from-helpdesk",
            "--since",
            "30d",
        ]
        learned = subprocess.run(learn, env=env, cwd=tmp, capture_output=True, text=True)
        print(f"--- {kind}: {' '.join(learn[2:])} (exit {learned.returncode})")
        print(learned.stdout.rstrip())
        if learned.stderr.strip():
            print(learned.stderr.rstrip())
        _import(desk, rows[cut:], tickets[cut:])  # the newest, after the learning
        held = Path(tmp) / "held-out.jsonl"
        with held.open("w", encoding="utf-8") as out:
            for row in rows[cut:]:
                outcome = {
                    "satisfaction": row.satisfaction,
                    "reopens": row.reopens,
                    "escalated": row.escalated,
                }
                out.write(
                    json.dumps(
                        {"subject": row.subject, "description": row.body, "outcome": outcome}
                    )
                    + "\n"
                )
        scored = subprocess.run(
            [sys.executable, "-m", "ticket_processor", "eval", "--risk", str(held), "--json"],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            check=True,
        )
        figures: dict[str, object] = json.loads(scored.stdout)
    figures["helpdesk"] = kind
    figures["trained_on"] = cut
    figures["trained_ended_badly"] = sum(t.bad for t in tickets[:cut])
    # The generator's own probabilities on the same 500 (its noise term, which no text shows,
    # included): a ceiling no scorer reaches.
    figures["best_possible_auc"] = auc(
        [t.chance for t in tickets[cut:]], [t.bad for t in tickets[cut:]]
    )
    return figures


def risk_figures(argv: list[str] | None = None) -> None:
    parser = command_parser("risk_figures")
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--held-out", type=int, default=500)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    tickets = generate(args.tickets, args.seed)
    for kind in sorted(KINDS):
        figures = measure(kind, tickets, args.held_out, args.seed)
        print(json.dumps(figures))
        head, rules = figures["head"], figures["rules"]
        assert isinstance(head, dict)
        assert isinstance(rules, dict)
        print(
            f"{kind}: {figures['rows']} held-out tickets, {figures['ended_badly']} ended badly: "
            f"head AUC {head['auc']:.3f} ECE {head['ece']:.3f}; rules AUC {rules['auc']:.3f} "
            f"ECE {rules['ece']:.3f}; best possible AUC {figures['best_possible_auc']:.3f}"
        )


# redaction_figures -------------------------------------------------------------------------------

CASES = ROOT / "tests" / "data" / "redaction_cases.jsonl"  # a data file, read as data


def _rate(text: str) -> float:
    best = min(_time(text) for _ in range(3))
    return len(text) / 1_000_000 / best


def _time(text: str) -> float:
    started = time.perf_counter()
    redact(text)
    return time.perf_counter() - started


def _per_ticket(tickets: list[str]) -> float:
    """Microseconds per ticket, best of three passes over ``tickets``."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for ticket in tickets:
            redact(ticket)
        best = min(best, time.perf_counter() - started)
    return best / len(tickets) * 1_000_000


def redaction_figures(argv: list[str] | None = None) -> int:
    command_parser("redaction_figures").parse_args(argv)
    tp, fp, fn, _ = score(read_cases(CASES))
    print(
        f"case file: tp={tp} fp={fp} fn={fn} "
        f"precision={tp / (tp + fp):.3f} recall={tp / (tp + fn):.3f}"
    )
    values = sum(len(v) for _, _, v in PII)
    leaked = sum(len(leaks(text, v)) for _, text, v in PII)
    changed = sum(1 for _, text in HARMLESS if redact(text)[0] != text)
    found = values - leaked
    print(
        f"hostile corpus: {len(PII)} PII texts, {values} values, {leaked} leaked; "
        f"{len(HARMLESS)} harmless texts, {changed} changed; "
        f"precision={found / (found + changed):.3f} recall={found / values:.3f}"
    )
    form_values = sum(len(v) for _, _, v in FORMS)
    form_leaks = [(note, value) for note, text, v in FORMS for value in leaks(text, v)]
    kept = sum(1 for _, text in LOOKALIKES if redact(text)[0] == text)
    print(
        f"other forms: {len(FORMS)} texts, {form_values} values, {len(form_leaks)} leaked, "
        f"recall={(form_values - len(form_leaks)) / form_values:.3f}; "
        f"look-alikes kept {kept} of {len(LOOKALIKES)}; "
        f"all harmless kept {len(HARMLESS) - changed} of {len(HARMLESS)}"
    )
    for note, value in form_leaks:
        print(f"  leaked ({note}): {value!r}")
    reached = [note for note, text, v in HELD_OUT if leaks(text, v)]
    kept_out = sum(1 for text in HELD_OUT_LOOKALIKES if redact(text)[0] == text)
    print(
        f"held-out set: {len(HELD_OUT) - len(reached)} of {len(HELD_OUT)} forms never reach "
        f"the LLM; look-alikes kept {kept_out} of {len(HELD_OUT_LOOKALIKES)}"
    )
    for note in reached:
        print(f"  reaches the LLM: {note}")
    texts = [str(c["text"]) for c in read_cases(CASES)] + [t for _, t, _ in PII]
    texts += [t for _, t in HARMLESS]
    tickets = ["\n\n".join(texts[i : i + 12]) for i in range(0, len(texts), 12)]
    print(
        f"per ticket: {_per_ticket(tickets):.0f} µs mean over {len(tickets)} tickets of 12 corpus "
        f"texts each; {_per_ticket([PROSE * 6]):.0f} µs for a ticket of {len(PROSE) * 6} "
        "characters of prose (best of three)"
    )
    prose = (PROSE * (1_000_000 // len(PROSE) + 1))[:1_000_000]
    base = _rate(prose)
    print(f"throughput: prose {base:.2f} MB/s")
    for hostile in HOSTILE_MEGABYTE:
        rate = _rate(hostile[:1_000_000])
        print(f"  {hostile[:18]!r:24} {rate:6.2f} MB/s  ({base / rate:.1f}x prose's time)")
    return 0 if leaked == 0 and changed == 0 and fp == 0 and fn == 0 else 1
