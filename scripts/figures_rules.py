"""The rules' figures: rules tuned from labelled rows, learning from a helpdesk's history, and
tickets outside the examples' scope."""

from __future__ import annotations

import csv
import dataclasses
import html
import json
import math
import os
import random
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from typer.testing import CliRunner

from scripts import command_parser
from scripts.figures_examples import EXAMPLES, _name, pick, taxonomy_text
from scripts.figures_learned import ROOT
from ticket_processor.cli import app
from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned import read_model
from ticket_processor.learned.embed import Encoder
from ticket_processor.learned.engine import LearnedEngine
from ticket_processor.learned.examples.fit import drop_marks
from ticket_processor.learned.labelled_file import LabelledTicket, load_labelled
from ticket_processor.learned.scoring import (
    POOLED,
    evaluate,
)
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.tags import NOTE_HEADER
from ticket_processor.triage.cues import is_word, tokenise
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy

# tune_rules --------------------------------------------------------------------------------------


def tune_rules(argv: list[str] | None = None) -> None:
    parser = command_parser("tune_rules")
    parser.add_argument("file", type=Path)
    parser.add_argument("--taxonomy", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("random", "even", "odd"), default="random")
    parser.add_argument("--errors")
    parser.add_argument("--source")
    parser.add_argument("--field", default="category")
    parser.add_argument("--words", action="store_true")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.file.read_text("utf-8").splitlines() if line]
    tune, check = tune_split(rows, args.split, args.seed)
    taxonomy = load_taxonomy(args.taxonomy)
    engine = RulesEngine(taxonomy)
    allowed = {
        "category": taxonomy.names,
        "urgency": ("critical", "high", "medium", "low"),
        "sentiment": ("positive", "neutral", "negative"),
    }
    for name, part in (("tune", tune), ("check", check), ("all", rows)):
        predictions = []
        for row in part:
            analysis = engine.analyse(row["subject"], row["description"])
            predictions.append(
                {
                    "category": analysis.category,
                    "urgency": analysis.urgency.value,
                    "sentiment": analysis.sentiment.value,
                }
            )
            row["_pred"] = predictions[-1]
        reports = evaluate(part, predictions, allowed)
        figures = []
        for field_name, report in reports.items():
            for source, score in report.scores.items():
                if field_name == "category" or source != POOLED:
                    figures.append(f"{field_name[:3]}/{source}={score.macro_f1:.3f}")
        print(f"{name:5}", " ".join(figures))
        if name == "tune" and args.field in reports:
            pooled = reports[args.field].scores.get(args.source or POOLED)
            if pooled:
                print("   labels", pooled.labels)
                for gold in pooled.labels:
                    print(f"   {gold:16}", [pooled.confusion[gold][p] for p in pooled.labels])
    if args.errors:
        for row in tune:
            gold = row["labels"].get(args.field)
            if args.source and row["source"] != args.source:
                continue
            if gold == args.errors and row["_pred"][args.field] != gold:
                text = (row["subject"] + " | " + row["description"])[:200].replace("\n", " ")
                print(f"-> {row['_pred'][args.field]:14} {row['source']:9} {text}")
    if args.words:
        print_words(tune, args.field, args.source)


def tune_split(rows: list[Any], how: str, seed: int) -> tuple[list[Any], list[Any]]:
    """The tune and check halves: a seeded shuffle, or alternate rows within each source."""
    if how == "random":
        shuffled = rows[:]
        random.Random(seed).shuffle(shuffled)
        return shuffled[: len(rows) // 2], shuffled[len(rows) // 2 :]
    halves: tuple[list[Any], list[Any]] = ([], [])
    position: Counter[object] = Counter()
    for row in rows:
        parity = position[row["source"]] % 2
        position[row["source"]] += 1
        halves[parity].append(row)
    return halves if how == "even" else (halves[1], halves[0])


def print_words(rows: list[dict[str, object]], field: str, source: str | None) -> None:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        labels = row["labels"]
        assert isinstance(labels, dict)
        gold = labels.get(field)
        if gold is None or (source and row["source"] != source):
            continue
        text = f"{row['subject']} {row['description']}"[:3000]
        counts[gold].update({t for t in tokenise(text) if is_word(t)})
    total: Counter[str] = Counter()
    for counter in counts.values():
        total.update(counter)
    docs = Counter(str(row["labels"].get(field)) for row in rows)  # type: ignore[attr-defined]
    for gold, counter in counts.items():
        scored = []
        for word, count in counter.items():
            if count < 4:
                continue
            rest = total[word] - count
            rest_docs = sum(docs.values()) - docs[gold]
            odds = math.log((count + 1) / (docs[gold] + 2)) - math.log((rest + 1) / (rest_docs + 2))
            scored.append((odds * math.sqrt(count), word))
        print(gold, " ".join(word for _, word in sorted(scored, reverse=True)[:60]))


# learn_helpdesk_figures --------------------------------------------------------------------------


def subject_of(row: LabelledTicket) -> str:
    return row.subject or " ".join(row.description.split()[:8]) or "(no subject)"


def create(
    kind: str, sb: Any, row: LabelledTicket, tags: list[str], solved: bool, note: str
) -> int:
    if kind == "zendesk":
        fields: dict[str, Any] = {
            "subject": subject_of(row),
            "comment": {"body": row.description or "-"},
            "status": "solved" if solved else "open",
            "tags": tags,
        }
        ticket_id = int(sb.store.create(fields)["id"])
        if note:
            sb.store.update(ticket_id, {"comment": {"body": note, "public": False}})
        return ticket_id
    fields = {
        "subject": subject_of(row),
        "description": f"<p>{html.escape(row.description or '-')}</p>",
        "email": "customer@example.com",
        "status": 4 if solved else 2,
        "priority": 1,
        "tags": tags,
    }
    ticket_id = int(sb.store.create(fields)["id"])
    if note:
        sb.store.add_note(ticket_id, note, private=True, user_id=1)
    return ticket_id


def tags_of(kind: str, sb: Any, ticket_id: int) -> list[str]:
    ticket = sb.store.get(ticket_id) if kind == "zendesk" else sb.store.find(ticket_id)
    return list(ticket["tags"])


def learn_helpdesk_figures(argv: list[str] | None = None) -> int:
    parser = command_parser("learn_helpdesk_figures")
    parser.add_argument("--helpdesk", choices=("zendesk", "freshdesk"), default="zendesk")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/tickets-dev.jsonl")
    parser.add_argument("--train", type=int, default=1500)
    parser.add_argument("--open", type=int, default=300)
    parser.add_argument("--embeddings", action="store_true")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy()
    rows = load_labelled(args.data)
    random.Random(0).shuffle(rows)
    train_rows, open_rows = rows[: args.train], rows[args.train : args.train + args.open]
    serve = serve_zendesk(SandboxConfig(seed=1)) if args.helpdesk == "zendesk" else None
    desk = serve or serve_freshdesk(FreshdeskConfig(seed=1))
    runner = CliRunner()
    with desk as sb, tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = sb.config
        if isinstance(config, SandboxConfig):
            env = {"ZENDESK_URL": sb.url, "ZENDESK_EMAIL": config.email}
            env["ZENDESK_API_TOKEN"] = config.token
        else:
            env = {"TICKETBOT_HELPDESK": "freshdesk", "FRESHDESK_URL": sb.url}
            env["FRESHDESK_API_KEY"] = config.api_key
        env |= {"TICKETBOT_STATE_DIR": str(root / "state"), "TICKETBOT_LOG_DIR": str(root / "l")}
        env |= {"OPENAI_API_KEY": "", "OPENAI_BASE_URL": ""}
        kept: list[LabelledTicket] = []
        kept_ids: list[int] = []
        for n, row in enumerate(train_rows):
            tags = [f"ai_{k}_{v}" for k, v in row.labels.items()]
            if n % 20 == 0:  # ticketbot's own labels, unchanged: must not be learned
                note = "\n".join(
                    [NOTE_HEADER, *(f"{k.capitalize()}: {v}" for k, v in row.labels.items())]
                )
                create(args.helpdesk, sb, row, ["ai_processed", *tags], True, note)
            else:
                kept_ids.append(create(args.helpdesk, sb, row, tags, True, ""))
                kept.append(row)
        open_ids = [create(args.helpdesk, sb, row, [], False, "") for row in open_rows]
        fast = ["--folds", "0"] + ([] if args.embeddings else ["--no-embeddings"])
        stats = sb.stats
        before = stats()["requests_total"]
        started = time.perf_counter()
        learned = runner.invoke(app, ["learn", "--from-helpdesk", "--since", "1d", *fast], env=env)
        seconds = time.perf_counter() - started
        requests = stats()["requests_total"] - before
        print(learned.output)
        if learned.exit_code != 0:
            return 1
        # The same tickets as the helpdesk holds them (Freshdesk keeps HTML: its text differs
        # from the source file's for some tickets), written to a file: "learn FILE" on it.
        helpdesk = connect(load_settings(env, env_file=None))
        held = {t.id: t for page in helpdesk.ticket_pages(None, since=0) for t in page.tickets}
        helpdesk.close()
        data = root / "same.jsonl"
        with data.open("w", encoding="utf-8") as out:
            for ticket_id, row in zip(kept_ids, kept, strict=True):
                t = held[ticket_id]
                line = {"id": row.id, "source": args.helpdesk, "subject": t.subject,
                        "description": t.description, "labels": row.labels}  # fmt: skip
                out.write(json.dumps(line) + "\n")
        other = root / "file.zip"
        runner.invoke(app, ["learn", str(data), "--out", str(other), *fast], env=env)
        ran = runner.invoke(app, ["run", "--engine", "learned"], env=env)
        if ran.exit_code != 0:
            print(ran.output)
            return 1
        engine = LearnedEngine(read_model(other, taxonomy.names), taxonomy)
        same = right_run = right_file = scored = 0
        for ticket_id, row in zip(open_ids, open_rows, strict=True):
            written = [
                t[12:]
                for t in tags_of(args.helpdesk, sb, ticket_id)
                if t.startswith("ai_category_")
            ]
            predicted = engine.analyse(
                held[ticket_id].subject, held[ticket_id].description
            ).category
            same += written == [predicted]
            if "category" in row.labels:
                scored += 1
                right_run += written == [row.labels["category"]]
                right_file += predicted == row.labels["category"]
    print(f"helpdesk: {args.helpdesk} sandbox; {len(train_rows)} solved ({len(kept)} reviewed), "
          f"{len(open_rows)} open; embeddings {'on' if args.embeddings else 'off'}")  # fmt: skip
    print(f"learn --from-helpdesk: {seconds:.1f} s, {requests} requests = "
          f"{requests / len(train_rows):.4f} a solved ticket")  # fmt: skip
    print(f"open tickets where run --engine learned wrote the file-trained model's category: "
          f"{same}/{len(open_rows)}")  # fmt: skip
    run_acc, file_acc = right_run / max(scored, 1), right_file / max(scored, 1)
    print(f"category accuracy on {scored} labelled open tickets: helpdesk-trained run "
          f"{run_acc:.3f}, file-trained model {file_acc:.3f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(f"(machine: {os.cpu_count()} cores, shared with other agents; load {load:.1f})")
    return 0


# examples_out_of_scope ---------------------------------------------------------------------------

# The in-scope macro-F1 a threshold may cost on the domains it is chosen on (the bar allows 0.03
# on the domain left out: a margin for the move from one domain to the next).
F1_BUDGET = 0.02
HINT3_DOMAINS = ("sofmattress", "curekart", "powerplay11")
HINT3_NONE = "NO_NODES_DETECTED"


@dataclasses.dataclass(frozen=True)
class ScopeRows:
    """One domain's test rows as the examples engine reads them."""

    truth: list[str]  # the category, or "other" for an out-of-scope row
    predicted: list[str]  # the model's category, the nearest check aside
    closeness: list[float]  # the nearest cosine to the taxonomy's examples and descriptions
    own: list[float]  # the taxonomy's texts' nearest cosines to each other (``own_closeness``)
    in_scope: list[str]  # the taxonomy's categories but the fallback


def _hint3(path: Path) -> list[tuple[str, str]]:
    """(text, intent) rows; an intent named from a digit (``100_NIGHT_TRIAL_OFFER``) gets a
    letter first, as a category's name needs."""
    with path.open(encoding="utf-8") as handle:
        return [
            (row["sentence"], row["label"] if row["label"][:1].isalpha() else f"n{row['label']}")
            for row in csv.DictReader(handle)
        ]


def scope_rows(work: Path, root: Path, domain: str, encoder: Encoder) -> ScopeRows:
    from ticket_processor.learned.examples.fit import fit_examples
    from ticket_processor.learned.nearest import nearest_of, own_closeness

    chosen, _rest = pick(_hint3(root / "train" / f"{domain}_train.csv"), EXAMPLES)
    path = work / f"{domain}.toml"
    path.write_text(taxonomy_text(chosen, rules=False), "utf-8")
    taxonomy = load_taxonomy(path)
    model = fit_examples(taxonomy, encoder=encoder).model
    nearest = nearest_of(taxonomy, encoder, drop_marks)
    assert nearest is not None
    engine = LearnedEngine(model, taxonomy, encoder=encoder, encoded_form=drop_marks)
    known = {_name(intent) for intent in chosen}
    rows = []
    for text, label in _hint3(root / "test" / f"{domain}_test.csv"):
        if label == HINT3_NONE:
            rows.append((text, "other"))
        elif _name(label) in known:
            rows.append((text, _name(label)))
    truth, predicted, closeness = [], [], []
    vectors = encoder.encode([drop_marks(f"\n{text}") for text, _ in rows])
    for (text, label), vector in zip(rows, vectors, strict=True):
        found = engine.predict("", text, vector)
        truth.append(label)
        predicted.append(found["category"].label)
        closeness.append(nearest.closeness(vector))
    own = own_closeness(nearest.vectors).tolist()
    return ScopeRows(truth, predicted, closeness, own, sorted(known))


def scope_at(rows: ScopeRows, quantile: float | None) -> dict[str, float]:
    """In-scope macro-F1, out-of-scope recall and precision with the check at ``quantile`` of
    the taxonomy's own nearest cosines (None: no check)."""
    from sklearn.metrics import f1_score

    far = -2.0 if quantile is None else float(np.quantile(rows.own, quantile))
    said = [
        "other" if near < far else label
        for label, near in zip(rows.predicted, rows.closeness, strict=True)
    ]
    outside = [t == "other" for t in rows.truth]
    fallback = [s == "other" for s in said]
    both = sum(o and f for o, f in zip(outside, fallback, strict=True))
    # On the in-scope texts alone, as an intent set's in-scope score is read: an out-of-scope
    # text the model names a category does not count against it here.
    inside = [n for n, o in enumerate(outside) if not o]
    return {
        "in-scope macro-F1": float(
            f1_score(
                [rows.truth[n] for n in inside],
                [said[n] for n in inside],
                labels=rows.in_scope,
                average="macro",
                zero_division=0,
            )
        ),
        "out-of-scope recall": both / max(sum(outside), 1),
        "out-of-scope precision": both / max(sum(fallback), 1),
    }


def examples_out_of_scope(argv: list[str] | None = None) -> None:
    parser = command_parser("examples_out_of_scope")
    parser.add_argument("hint3", type=Path, help="HINT3's dataset/v2 folder")
    args = parser.parse_args(argv)
    from ticket_processor.learned.nearest import FAR_QUANTILE

    encoder = Encoder()
    quantiles = [round(0.01 * n, 2) for n in range(51)]
    with tempfile.TemporaryDirectory() as tmp:
        found = {d: scope_rows(Path(tmp), args.hint3, d, encoder) for d in HINT3_DOMAINS}

    def picked(domains: list[ScopeRows]) -> float:
        """The quantile that sends the most out-of-scope texts to the fallback (mean recall)
        while no domain's in-scope macro-F1 falls by more than ``F1_BUDGET``."""
        before = [scope_at(rows, None)["in-scope macro-F1"] for rows in domains]
        best: tuple[float, float] = (-1.0, 0.0)
        for quantile in quantiles:
            read = [scope_at(rows, quantile) for rows in domains]
            kept = [
                b - r["in-scope macro-F1"] <= F1_BUDGET for r, b in zip(read, before, strict=True)
            ]
            recall = sum(r["out-of-scope recall"] for r in read) / len(read)
            if all(kept) and recall > best[0]:
                best = (recall, quantile)
        return best[1]

    table: dict[str, Any] = {"picked on every domain": picked(list(found.values()))}
    for left_out in HINT3_DOMAINS:
        threshold = picked([found[d] for d in HINT3_DOMAINS if d != left_out])
        rows = found[left_out]
        table[left_out] = {
            "rows (in scope, out of scope)": [
                sum(t != "other" for t in rows.truth),
                sum(t == "other" for t in rows.truth),
            ],
            "threshold picked on the others": threshold,
            "before": scope_at(rows, None),
            "after": scope_at(rows, threshold),
            f"at the shipped {FAR_QUANTILE}": scope_at(rows, FAR_QUANTILE),
            "its cosine there": round(float(np.quantile(rows.own, FAR_QUANTILE)), 3),
        }
    print(json.dumps(table, indent=2))
