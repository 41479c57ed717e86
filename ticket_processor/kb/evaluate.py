"""``kb eval``: how well the index finds the article that answers a ticket.

A labelled file is JSON lines of tickets (``subject``, ``description``) with
``labels.article_id``: the id of the help-centre article that answers it (a list when several
do), or ``null`` when no article does. Lines without the label are counted and left out.
Each ticket is prepared as a run prepares it (trimmed, redacted) and looked up with the run's
threshold. The figures: hit@1 and hit@3 over the answerable tickets (the answer is the first
suggestion, or among the first three), and, over the unanswerable ones, the share left
without any suggestion. With an encoder (``embed``), the same hit@1 and hit@3 of each ranking
alone — keywords, passage vectors — and of the two fused (``kb.dense``), over the answerable
tickets, whatever the threshold: what each retriever finds first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..triage.language import detect_language
from ..triage.prepare import prepare_ticket
from .dense import Embed, encode_missing, retrieve
from .index import ArticleIndex
from .search import DEFAULT_THRESHOLD, lookup
from .text import words

LABEL = "article_id"


@dataclass(frozen=True)
class AnsweredTicket:
    subject: str
    description: str
    answers: frozenset[int]  # empty: no article answers it


@dataclass(frozen=True)
class KbEvalReport:
    answerable: int
    hit_at_1: int
    hit_at_3: int
    unanswerable: int
    quiet: int
    unlabelled: int
    # Per ranking ("keyword", "dense", "fused"): answerable tickets whose article came first,
    # and among the first three.
    retrievers: dict[str, tuple[int, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        def share(n: int, of: int) -> float | None:
            return round(n / of, 4) if of else None

        found: dict[str, object] = {
            "answerable": self.answerable,
            "hit@1": share(self.hit_at_1, self.answerable),
            "hit@3": share(self.hit_at_3, self.answerable),
            "unanswerable": self.unanswerable,
            "quiet": share(self.quiet, self.unanswerable),
            "unlabelled": self.unlabelled,
        }
        for name, (first, three) in self.retrievers.items():
            found[f"{name} hit@1"] = share(first, self.answerable)
            found[f"{name} hit@3"] = share(three, self.answerable)
        return found


def parse_labelled(lines: Iterable[str]) -> tuple[list[AnsweredTicket], int]:
    """The labelled tickets and how many lines had no ``labels.article_id``."""
    found: list[AnsweredTicket] = []
    unlabelled = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            labels = data.get("labels") or {}
            if LABEL not in labels:
                unlabelled += 1
                continue
            raw = labels[LABEL]
            ids = [] if raw is None else raw if isinstance(raw, list) else [raw]
            found.append(
                AnsweredTicket(
                    str(data.get("subject") or ""),
                    str(data.get("description") or ""),
                    frozenset(int(i) for i in ids),
                )
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ConfigError(
                f"line {number}: not a labelled ticket ({exc}); expected "
                '{"subject": ..., "description": ..., "labels": {"article_id": 123 or null}}'
            ) from None
    return found, unlabelled


def evaluate(
    index: ArticleIndex,
    tickets: Iterable[AnsweredTicket],
    *,
    unlabelled: int = 0,
    threshold: float = DEFAULT_THRESHOLD,
    max_tokens: int = 2000,
    embed: Embed | None = None,
) -> KbEvalReport:
    answerable = hit1 = hit3 = unanswerable = quiet = 0
    rankings = ("keyword", "dense", "fused") if embed is not None else ()
    if embed is not None and not index.read_only:
        with index.transaction():
            encode_missing(index, embed)
    per: dict[str, list[int]] = {name: [0, 0] for name in rankings}
    for ticket in tickets:
        prepared = prepare_ticket(ticket.subject, ticket.description, max_tokens=max_tokens)
        text = f"{prepared.subject}\n{prepared.body}"
        found = lookup(index, text, detect_language(words(text), text), 3, threshold=threshold)
        ids = [s.article_id for s in found]
        if ticket.answers:
            answerable += 1
            hit1 += bool(ids[:1] and ids[0] in ticket.answers)
            hit3 += bool(ticket.answers & set(ids))
            ranked = retrieve(index, text, embed) if embed is not None else None
            for name in rankings:
                assert ranked is not None
                order = [c.hit.article_id for c in ranked.order(name)]
                per[name][0] += bool(order[:1] and order[0] in ticket.answers)
                per[name][1] += bool(ticket.answers & set(order[:3]))
        else:
            unanswerable += 1
            quiet += not ids
    return KbEvalReport(
        answerable,
        hit1,
        hit3,
        unanswerable,
        quiet,
        unlabelled,
        {name: (first, three) for name, (first, three) in per.items()},
    )


def evaluate_file(index: ArticleIndex, path: Path, **kwargs: object) -> KbEvalReport:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    tickets, unlabelled = parse_labelled(lines)
    if not tickets:
        raise ConfigError(f"{path}: no ticket has labels.{LABEL}")
    return evaluate(index, tickets, unlabelled=unlabelled, **kwargs)  # type: ignore[arg-type]
