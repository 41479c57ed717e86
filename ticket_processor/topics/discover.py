"""``discover``'s core: tickets in, topics out (named, sized, judged against the taxonomy).

The caller reads the tickets, has the triage engine judge them (``coverage.Judged``) and the
encoder embed them, and hands all three here; nothing here does I/O. With ``focus="uncovered"``
only the tickets the taxonomy fits badly (the fallback category, or a category merely suggested
or abstained) are clustered: the others keep no topic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from .cluster import Vectors, cluster
from .coverage import Coverage, Judged, fits, topic_coverage
from .fragment import UncoveredTopic
from .naming import distinctive_words, topic_name

Focus = Literal["all", "uncovered"]
# Asks for a topic's name from its distinctive words and redacted example texts; None: no name.
Namer = Callable[[Sequence[str], Sequence[str]], "str | None"]
NAMER_EXAMPLES = 5
EXAMPLES = 3


@dataclass(frozen=True)
class TopicInput:
    ids: Sequence[str]
    texts: Sequence[str]  # subject and description, redacted: names and cues come from these
    subjects: Sequence[str]  # for the examples (the subject, else the text's start)
    judged: Sequence[Judged]
    vectors: Vectors


@dataclass(frozen=True)
class Topic:
    number: int
    name: str
    cues: tuple[str, ...]
    size: int
    examples: tuple[str, ...]
    coverage: Coverage
    named_by: Literal["words", "llm"] = "words"

    def as_uncovered(self) -> UncoveredTopic:
        return UncoveredTopic(
            cues=self.cues,
            size=self.size,
            example=self.examples[0] if self.examples else "",
            category=self.coverage.category,
            category_share=self.coverage.category_share,
            label=self.name if self.named_by == "llm" else None,
        )


@dataclass(frozen=True)
class FoundTopics:
    topics: tuple[Topic, ...]
    assignments: tuple[int | None, ...]  # per ticket, in input order
    clustered: int  # tickets the clustering saw (all, or the uncovered ones)

    @property
    def assigned(self) -> int:
        return sum(a is not None for a in self.assignments)


def discover(
    data: TopicInput,
    *,
    fallback: str,
    focus: Focus = "all",
    seed: int = 0,
    namer: Namer | None = None,
) -> FoundTopics:
    """The topics of ``data``; ``namer`` (an LLM) names them from their words and redacted
    texts, the words name the ones it does not."""
    n = len(data.ids)
    chosen = np.arange(n)
    if focus == "uncovered":
        chosen = np.array([i for i in range(n) if not fits(data.judged[i], fallback)], np.int64)
    found = cluster(data.vectors[chosen], seed=seed)
    labels = np.full(n, -1, np.int64)
    labels[chosen] = found.labels
    cues = distinctive_words(
        [data.texts[i] for i in chosen.tolist()], [int(x) for x in found.labels], found.topics
    )
    topics = []
    for number in range(found.topics):
        members = np.flatnonzero(labels == number).tolist()
        examples = tuple(_example(data.subjects[i], data.texts[i]) for i in members[:EXAMPLES])
        asked = (
            namer(cues[number], [data.texts[i] for i in members[:NAMER_EXAMPLES]])
            if namer
            else None
        )
        topics.append(
            Topic(
                number=number,
                name=asked or topic_name(cues[number]),
                named_by="llm" if asked else "words",
                cues=tuple(cues[number]),
                size=len(members),
                examples=examples,
                coverage=topic_coverage([data.judged[i] for i in members], fallback),
            )
        )
    assignments = tuple(int(x) if x >= 0 else None for x in labels)
    return FoundTopics(tuple(topics), assignments, len(chosen))


def _example(subject: str, text: str) -> str:
    line = subject.strip() or text.strip()
    return line if len(line) <= 90 else line[:89] + "…"
