"""The team's solved tickets as labelled rows for the gate.

A solved ticket whose agent's public reply linked a help-centre article the index holds is that
article's positive; one the agents answered publicly without linking any article is "needs a
person" (the agents did not think an article answered it); one with no agent's public reply,
or whose replies link only articles the index does not hold (another help centre, an article
since deleted or restricted), teaches nothing and is counted aside. Only the first linking reply
counts: later ones are follow-ups. The rows are built in memory and never written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..kb.dense import Embed, retrieve
from ..kb.index import ArticleIndex
from ..kb.retrieve import ticket_text
from ..models import HistoryTicket
from ..triage.prepare import prepare_ticket
from .plan import cues
from .team_gate import HistoryRow


@dataclass
class HistoryCounts:
    read: int = 0
    linked: int = 0  # positives: the agent linked an article the index holds
    unlinked: int = 0  # answered without a link: needs a person
    no_reply: int = 0  # no agent's public reply: left out
    unknown_article: int = 0  # linked only articles the index does not hold: left out
    articles: dict[int, int] = field(default_factory=dict)  # positives per article

    def describe(self) -> str:
        return (
            f"{self.read} solved tickets read: {self.linked} linked an article of the index "
            f"({len(self.articles)} articles), {self.unlinked} answered without one (needs a "
            f"person); left out: {self.no_reply} with no agent's public reply, "
            f"{self.unknown_article} linking only articles the index does not hold"
        )


def labelled(
    history: Iterable[HistoryTicket], known: Callable[[int], bool]
) -> tuple[list[dict[str, Any]], HistoryCounts]:
    """Rows as ``answers eval`` reads them (``subject``, ``description``, ``answer_article``)."""
    rows: list[dict[str, Any]] = []
    counts = HistoryCounts()
    for solved in history:
        counts.read += 1
        if not solved.replies:
            counts.no_reply += 1
            continue
        linking = [r for r in solved.replies if r.articles]
        label: int | None = None
        if linking:
            label = next((a for r in linking for a in r.articles if known(a)), None)
            if label is None:
                counts.unknown_article += 1
                continue
            counts.linked += 1
            counts.articles[label] = counts.articles.get(label, 0) + 1
        else:
            counts.unlinked += 1
        ticket = solved.ticket
        rows.append(
            {
                "subject": ticket.subject,
                "description": ticket.description,
                "answer_article": label,
            }
        )
    return rows, counts


def gate_rows(
    rows: Sequence[dict[str, Any]], index: ArticleIndex, embed: Embed | None
) -> list[HistoryRow]:
    """The gate's features of each row's best article, read as a run reads them (the prepared
    text ranked by both retrievers), and whether it is the article the agent linked."""
    found: list[HistoryRow] = []
    for row in rows:
        subject, body = str(row.get("subject", "")), str(row.get("description", ""))
        label = row.get("answer_article")
        text = ticket_text(prepare_ticket(subject, body, max_tokens=2000))
        ranked = retrieve(index, text, embed)
        weighed = cues(subject, body, lambda _raw, found=ranked: found).gate  # type: ignore[misc]
        if weighed is None:
            continue
        best = weighed.candidate
        right = label is not None and best is not None and best.hit.article_id == label
        found.append(HistoryRow(weighed.features, right, label is not None))
    return found
