"""The help centre's benchmark: syncing thousands of articles into the index and looking tickets up
in it."""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from scripts import command_parser, data_toml
from ticket_processor.kb.index import INDEX_FILE, ArticleIndex
from ticket_processor.kb.search import DEFAULT_THRESHOLD, lookup, rank
from ticket_processor.kb.sync import sync
from ticket_processor.models import Article, ArticleListing
from ticket_processor.triage.prepare import prepare_ticket

# kb_bench ----------------------------------------------------------------------------------------

SYLLABLES: list[str] = data_toml("load_words.toml")["kb_bench"]["syllables"]


class MemoryHelpdesk:
    """Just enough of a ``Helpdesk`` for ``kb.sync.sync``: a fixed help centre."""

    base_url = "memory://bench"

    def __init__(self, articles: list[Article]) -> None:
        self._articles = articles

    def articles(self, since: int | None) -> ArticleListing:
        return ArticleListing(iter(self._articles), complete=True)


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def draw(vocab: list[str], n: int, rng: random.Random) -> list[str]:
    # Zipf-like: low ranks far more often, so common words are common.
    return [vocab[min(int(rng.paretovariate(1.1)) - 1, len(vocab) - 1)] for _ in range(n)]


def generate(n: int, rng: random.Random) -> tuple[list[Article], list[str]]:
    vocab = vocabulary(20_000, rng)
    rng.shuffle(vocab)
    articles = []
    for i in range(n):
        topic = rng.sample(vocab, 6)  # each article's own topic words
        title = " ".join(rng.sample(topic, 3) + draw(vocab, rng.randint(1, 5), rng))
        words = draw(vocab, rng.randint(80, 400), rng) + topic * rng.randint(2, 5)
        rng.shuffle(words)
        body = "<p>" + " ".join(words) + "</p>"
        articles.append(
            Article(i + 1, title, body, f"https://hc.example/{i + 1}", "en-us", f"t{i}", "everyone")
        )
    return articles, vocab


def tickets(articles: list[Article], vocab: list[str], n: int, rng: random.Random) -> Iterator[str]:
    for i in range(n):
        words = draw(vocab, rng.randint(30, 120), rng)
        if i % 2 == 0:  # about an article: some of its words
            source = rng.choice(articles).body[3:-4].split()
            words += rng.sample(source, min(15, len(source)))
        rng.shuffle(words)
        yield " ".join(words)


def bench(n_articles: int, n_lookups: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    articles, vocab = generate(n_articles, rng)
    with tempfile.TemporaryDirectory() as tmp:
        index = ArticleIndex(Path(tmp) / INDEX_FILE)
        started = time.perf_counter()
        report = sync(MemoryHelpdesk(articles), index)  # type: ignore[arg-type]
        index_seconds = time.perf_counter() - started
        size = (Path(tmp) / INDEX_FILE).stat().st_size
        started = time.perf_counter()
        index.doc_freqs()  # what the first lookup after a sync pays once
        vocab_seconds = time.perf_counter() - started
        times, cpu, suggested = [], [], 0
        for text in tickets(articles, vocab, n_lookups, rng):
            started, started_cpu = time.perf_counter(), time.thread_time()
            suggested += bool(lookup(index, text, "en", 3))
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        index.close()
    times.sort()
    cpu.sort()
    return {
        "articles": report.total,
        "index_seconds": round(index_seconds, 2),
        "index_mb": round(size / 1e6, 1),
        "lookups": len(times),
        "machine_load_1min": round(os.getloadavg()[0], 1),
        "lookup_ms_mean": round(statistics.fmean(times), 2),
        "lookup_ms_p50": round(times[len(times) // 2], 2),
        "lookup_ms_p95": round(times[int(len(times) * 0.95)], 2),
        "lookup_ms_max": round(times[-1], 2),
        "lookup_cpu_ms_p50": round(cpu[len(cpu) // 2], 2),
        "lookup_cpu_ms_p95": round(cpu[int(len(cpu) * 0.95)], 2),
        "vocabulary_load_seconds": round(vocab_seconds, 2),
        "with_suggestions": suggested,
    }


def calibrate() -> None:
    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    arts = [json.loads(line) for line in (data / "kb_articles.jsonl").read_text().splitlines()]
    with tempfile.TemporaryDirectory() as tmp:
        index = ArticleIndex(Path(tmp) / INDEX_FILE)
        listing = [
            Article(i + 1, a["title"], a["body"], a["key"], a["locale"], "t", a["visibility"])
            for i, a in enumerate(arts)
        ]
        sync(MemoryHelpdesk(listing), index)  # type: ignore[arg-type]
        ids = {a["key"]: i + 1 for i, a in enumerate(arts)}
        print(f"threshold {DEFAULT_THRESHOLD}")
        for line in (data / "kb_tickets.jsonl").read_text().splitlines():
            case = json.loads(line)
            prepared = prepare_ticket(case["subject"], case["description"])
            text = f"{prepared.subject}\n{prepared.body}"
            ranked = rank(index, text)
            want = ids.get(case["labels"]["article"])
            best = ranked[0].share if ranked else 0.0
            top3 = want in [s.hit.article_id for s in ranked[:3]]
            label = "answerable  " if want else "unanswerable"
            print(f"{label} best share {best:.3f} answer in top 3: {top3!s:5} {case['subject']}")
        index.close()


def kb_bench(argv: list[str] | None = None) -> None:
    parser = command_parser("kb_bench")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--calibrate", action="store_true")
    args = parser.parse_args(argv)
    if args.calibrate:
        calibrate()
        return
    figures = bench(args.articles, args.lookups, args.seed)
    if args.json:
        print(json.dumps(figures))
    else:
        for name, value in figures.items():
            print(f"{name:>18}: {value}")
