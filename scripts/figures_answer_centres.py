"""The help centres the answers' figures read (the sandbox's, the public sets'), a sandbox run of
them, and the own-case and fused-ranking figures."""

from __future__ import annotations

import csv
import glob
import json
import random
import sys
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import product
from pathlib import Path
from typing import Any

from scripts import child_env, command_parser, data_toml, run_dirs
from ticket_processor.answers.own_case import CUES, own_case
from ticket_processor.kb.dense import (
    HELD_WEIGHT,
    SHARE_WEIGHT,
    Candidate,
    blend,
    encode_missing,
    retrieve,
)
from ticket_processor.kb.index import ArticleIndex
from ticket_processor.kb.retrieve import ticket_text
from ticket_processor.kb.text import query_terms
from ticket_processor.learned.embed import embed_texts
from ticket_processor.models import Article
from ticket_processor.triage.prepare import prepare_ticket

# answers_centres ----------------------------------------------------------------------------------
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
HelpCentre = tuple[str, list[dict[str, Any]], list[dict[str, Any]]]


# The help centres a sandbox run can publish, (articles, tickets) in tests/data, and which
# were held out (scripts/data/help_centres.toml).
SANDBOX_CENTRES: dict[str, tuple[str, str]] = {
    name: (files["articles"], files["tickets"])
    for name, files in data_toml("help_centres.toml").items()
}
# The dev centres the answers' figures are measured on, one left out at a time.
DEV = ("answers", "heldout", "heldout2")


def sandbox_run(
    kind: str, chooser: str = "calibration", centre: str = "answers", engine: str = "rules"
) -> dict[str, object]:
    """One ``ticketbot run`` (``--engine``: rules unless told, ``TICKETBOT_ANSWER_MODE=send``,
    no LLM configured: ``llm`` is then the best engine available) over a help centre's
    tickets on a fresh sandbox of ``kind``: replies mailed per kind of ticket, right and wrong
    articles."""
    import re
    import resource
    import subprocess
    from collections import Counter

    from support.answers_desk import create_tickets, outbox, publish_help_centre

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    articles_file, tickets_file = SANDBOX_CENTRES[centre]
    cases = _jsonl(DATA / tickets_file)
    with (
        serve_desk(KINDS[kind], seed=None, unlimited=True) as desk,
        tempfile.TemporaryDirectory() as tmp,
    ):
        articles = publish_help_centre(desk, articles_file)
        ids = create_tickets(desk, cases)
        env = child_env(desk.env(), run_dirs(tmp), TICKETBOT_ANSWER_MODE="send")
        if chooser != "calibration":
            policy = Path(tmp) / "answers.toml"
            policy.write_text(f'chooser = "{chooser}"\n', "utf-8")
            env["TICKETBOT_ANSWERS"] = str(policy)
        command = [sys.executable, "-m", "ticket_processor", "run", "--engine", engine]
        subprocess.run(command, env=env, cwd=tmp, check=True, capture_output=True)
        # ru_maxrss of the (only) finished child: the run's peak RSS, in KiB on Linux.
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        mailed: Counter[str] = Counter()
        right = wrong = 0
        for mail in outbox(desk):
            case = cases[ids.index(mail["ticket_id"])]
            mailed[case["kind"]] += 1
            # A help centre's article link; ServiceNow's names the article's number (KB0010001).
            found = r"/articles?/(\d+)|sysparm_article=KB0*(\d+)"
            linked = {int(a or b) for a, b in re.findall(found, mail["body"])}
            key = case["answer_article"]
            if case["kind"] == "answerable":
                right += bool(key and linked & articles[key])
                wrong += not (key and linked & articles[key])
    return {
        "helpdesk": kind,
        "centre": centre,
        "chooser": chooser,
        "engine": engine,
        "answerable": sum(c["kind"] == "answerable" for c in cases),
        "answered_right": right,
        "answered_wrong": wrong,
        "replies_to_person_angry_assigned": sum(n for k, n in mailed.items() if k != "answerable"),
        "run_peak_rss_mb": round(peak_mb, 1),
    }


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text("utf-8").splitlines() if x.strip()]


def _from_intents(name: str, by_intent: dict[str, list[str]], seed: int = 7) -> HelpCentre:
    """Articles from two thirds of the intents (three of their questions each), tickets from
    the rest of their questions (answerable) and from the other third's (no article)."""
    rng = random.Random(seed)
    intents = sorted(i for i, qs in by_intent.items() if len(qs) >= 5)
    rng.shuffle(intents)
    kept = set(intents[: len(intents) * 2 // 3])
    articles, rows = [], []
    for intent in intents:
        questions = list(by_intent[intent])
        rng.shuffle(questions)
        if intent in kept:
            body = "".join(f"<p>{q.strip()}</p>" for q in questions[:3])
            title = intent.replace("_", " ").capitalize()
            articles.append({"key": intent, "title": title, "body": body, "locale": "en-us"})
            tickets = questions[3:9]
        else:
            tickets = questions[:3]
        for q in tickets:
            key = intent if intent in kept else None
            rows.append({"subject": "", "description": q, "answer_article": key})
    return name, articles, rows


def _from_responses(path: Path, seed: int = 11) -> HelpCentre:
    """Twelve intents' own answers as articles; 8 questions of each (answerable) and 48 of the
    other intents' (no article answers them), none of them a row whose answer was used."""
    rng = random.Random(seed)
    questions: dict[str, list[str]] = defaultdict(list)
    answers: dict[str, str] = {}
    with path.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            questions[row["intent"]].append(row["instruction"])
            answers.setdefault(row["intent"], row["response"])
    intents = sorted(questions)
    rng.shuffle(intents)
    kept, others = intents[:12], intents[12:]
    articles = [
        {
            "key": intent,
            "title": intent.replace("_", " ").capitalize(),
            "body": f"<p>{answers[intent]}</p>",
            "locale": "en-us",
        }
        for intent in kept
    ]
    rows: list[dict[str, Any]] = []
    for intent in kept:
        for q in rng.sample(questions[intent][1:], 8):
            rows.append({"subject": "", "description": q, "answer_article": intent})
    pool = [(i, q) for i in others for q in questions[i]]
    for _, q in rng.sample(pool, 48):
        rows.append({"subject": "", "description": q, "answer_article": None})
    return "bitext_answers", articles, rows


def help_centres(public: Path | None) -> list[HelpCentre]:
    centres: list[HelpCentre] = [
        (
            "answers",
            _jsonl(DATA / "answers_articles.jsonl"),
            _jsonl(DATA / "answers_tickets.jsonl"),
        ),
        (
            "kb",
            _jsonl(DATA / "kb_articles.jsonl"),
            [
                {**r, "answer_article": r["labels"]["article"]}
                for r in _jsonl(DATA / "kb_tickets.jsonl")
            ],
        ),
    ]
    bitext: dict[str, list[str]] = defaultdict(list)
    for row in _jsonl(DATA / "bitext.jsonl"):
        bitext[row["labels"]["subcategory"]].append(row["description"])
    centres.append(_from_intents("bitext", bitext))
    if public is None:
        return centres
    banking: dict[str, list[str]] = defaultdict(list)
    for split in ("train", "test"):
        with (public / "banking_data" / f"{split}.csv").open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                banking[row["category"]].append(row["text"])
    for intent in banking:
        banking[intent] = banking[intent][:12]
    centres.append(_from_intents("banking77", banking))
    hotels: dict[str, list[str]] = defaultdict(list)
    for path in sorted(glob.glob(str(public / "nlupp" / "hotels" / "fold*.json"))):
        for row in json.loads(Path(path).read_text("utf-8")):
            intents = row.get("intents") or []
            if intents:
                hotels["_".join(sorted(intents))].append(row["text"])
    centres.append(_from_intents("hotels", hotels))
    responses = public / "bitext_full" / "Bitext_Sample_Customer_Support_Training_Dataset.csv"
    if responses.exists():
        centres.append(_from_responses(responses))
    return centres


def index_centre(
    tmp: Path, name: str, articles: list[dict[str, Any]]
) -> tuple[ArticleIndex, dict[str, frozenset[int]]]:
    index = ArticleIndex(tmp / f"{name}.sqlite")
    ids: dict[str, set[int]] = {}
    with index.transaction():
        # A translation is its own article, as the sandboxes publish it.
        for n, a in enumerate(articles, start=1):
            index.upsert(
                Article(
                    n,
                    a["title"],
                    a["body"],
                    f"https://help.example.com/articles/{n}",
                    a["locale"],
                    "2026-01-01T00:00:00Z",
                    visibility=a.get("visibility", "everyone"),
                )
            )
            ids.setdefault(a["key"], set()).add(n)
        encode_missing(index, embed_texts)
    return index, {k: frozenset(v) for k, v in ids.items()}


# own_case_figures --------------------------------------------------------------------------------

LIMIT = 0.10


def _groups(public: Path | None) -> dict[str, tuple[list[str], list[str]]]:
    """Each centre's (answerable texts, needing-a-person texts)."""
    found: dict[str, tuple[list[str], list[str]]] = {}
    for name in DEV:
        rows = _jsonl(DATA / SANDBOX_CENTRES[name][1])
        text = [(f"{r['subject']}\n{r['description']}", r["kind"]) for r in rows]
        found[name] = (
            [t for t, kind in text if kind == "answerable"],
            [t for t, kind in text if kind == "person"],
        )
    for name, _, rows in help_centres(public):
        if name == "answers":
            continue
        text = [(f"{r.get('subject', '')}\n{r['description']}", r["answer_article"]) for r in rows]
        found[name] = (
            [t for t, label in text if label is not None],
            [t for t, label in text if label is None],
        )
    return found


def figures(public: Path | None, show: str | None = None) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, (answerable, person) in _groups(public).items():
        fired_a = [own_case(t) for t in answerable]
        fired_p = [own_case(t) for t in person]
        row: dict[str, Any] = {"answerable": len(answerable), "person": len(person)}
        for cue in (*CUES, "any"):
            a = sum((cue in f) if cue != "any" else bool(f) for f in fired_a)
            p = sum((cue in f) if cue != "any" else bool(f) for f in fired_p)
            row[cue] = {
                "answerable": round(a / max(len(answerable), 1), 3),
                "person": round(p / max(len(person), 1), 3),
                "too broad": a / max(len(answerable), 1) > LIMIT,
            }
        table[name] = row
        if show == name:
            table[f"{name} (fired)"] = {
                "answerable": [[t, f] for t, f in zip(answerable, fired_a, strict=True) if f],
                "person": [[t, f] for t, f in zip(person, fired_p, strict=True) if f],
                "person, none fired": [t for t, f in zip(person, fired_p, strict=True) if not f],
            }
    return table


def own_case_figures(argv: list[str]) -> int:
    parser = command_parser("own_case_figures")
    parser.add_argument("--public", type=Path, help="the public help centres' folder")
    parser.add_argument("--show", metavar="CENTRE", help="print the rows each cue fired on")
    options = parser.parse_args(argv)
    print(json.dumps(figures(options.public, options.show), indent=1, ensure_ascii=False))
    return 0


# kb_fusion_figures -------------------------------------------------------------------------------

GRID = tuple(product((0.0, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0), (0.0, 0.05, 0.1, 0.2, 0.3)))
# One answerable ticket: the ids its label accepts, and its candidates as ``retrieve`` found
# them (the candidates do not depend on the weights: only their order does).
FusionRow = tuple[frozenset[int], tuple[Candidate, ...]]
Score = Callable[[Candidate], float]


def _rrf(c: Candidate) -> float:
    return sum(1.0 / (60 + place) for place in (c.keyword_rank, c.dense_rank) if place)


def _hits(rows: list[FusionRow], score: Score) -> tuple[float, float]:
    first = top3 = 0
    for right, candidates in rows:
        order = sorted(candidates, key=lambda c: (-score(c), -c.share))
        first += bool(order and order[0].hit.article_id in right)
        top3 += bool(right & {c.hit.article_id for c in order[:3]})
    return round(first / max(len(rows), 1), 4), round(top3 / max(len(rows), 1), 4)


def _keyword(c: Candidate) -> float:
    return 1.0 / c.keyword_rank if c.keyword_rank else 0.0


def _scorer(weights: tuple[float, float]) -> Score:
    return lambda c: blend(c.cosine, c.share, c.held, weights)


def kb_fusion_figures(argv: list[str]) -> int:
    parser = command_parser("kb_fusion_figures")
    parser.add_argument("--public", type=Path, help="the public help centres' folder")
    public = parser.parse_args(argv).public
    rows: dict[str, list[FusionRow]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, articles, tickets in help_centres(public):
            index, ids = index_centre(Path(tmp), name, articles)
            rows[name] = []
            for ticket in tickets:
                if ticket["answer_article"] is None:
                    continue
                prepared = prepare_ticket(
                    str(ticket.get("subject", "")), ticket["description"], max_tokens=2000
                )
                found = retrieve(index, ticket_text(prepared), embed_texts)
                rows[name].append((ids[ticket["answer_article"]], found.candidates))
            index.close()
    shipped = (SHARE_WEIGHT, HELD_WEIGHT)
    table: dict[str, object] = {}
    grid = {w: {n: _hits(r, _scorer(w))[0] for n, r in rows.items()} for w in GRID}
    for name, centre in rows.items():
        others = [n for n in rows if n != name]
        picked = max(GRID, key=lambda w: sum(grid[w][n] for n in others))
        table[name] = {
            "answerable": len(centre),
            "keyword hit@1, @3": _hits(centre, _keyword),
            "dense hit@1, @3": _hits(centre, lambda c: c.cosine),
            "rrf hit@1, @3": _hits(centre, _rrf),
            f"blend {shipped} hit@1, @3": _hits(centre, _scorer(shipped)),
            "blend weights picked on the others": picked,
            "their hit@1 here": grid[picked][name],
        }
    table["blend weights picked on all"] = max(GRID, key=lambda w: sum(grid[w].values()))
    print(json.dumps(table, indent=2))
    return 0


def idf_held(index: ArticleIndex, text: str, rowid: int) -> float:
    """The share of the ticket's content words the index holds, each weighed by its inverse
    document frequency (BM25's, as the keyword ranking weighs them), that the article in
    ``rowid`` holds (0: no word weighs: all are in more than half the articles, or none is
    known)."""
    _total, freqs = index.doc_freqs()
    weights = index.idf([t for t in query_terms(text) if freqs.get(t)])
    whole = sum(weights.values())
    if whole <= 1e-3:
        return 0.0
    held = index.words(rowid)
    return sum(w for t, w in weights.items() if t in held) / whole
