"""``discover``'s reading and writing: tickets from a file or the helpdesk, judged by the engine,
and the assignments file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import orjson

from ..common.atomic import atomic_write_bytes
from ..common.ticket_stream import TicketStream
from ..common.timespec import parse_moment
from ..errors import TicketBotError
from ..evaluation.labelled import predict
from ..learned.labelled_file import LabelledTicket, load_labelled
from ..resilience.breaker import CircuitBreaker
from ..run.connect import connect
from ..run.engines import ChainChoice, build_analyser
from ..settings import Settings
from ..topics.cluster import Vectors
from ..topics.coverage import Judged
from ..topics.discover import FoundTopics, Namer
from ..topics.naming import NAMING_PROMPT, clean_name, naming_request
from ..triage.prepare import prepare_ticket
from ..triage.redact_names import redact_names
from ..triage.taxonomy import Taxonomy


@dataclass(frozen=True)
class TicketText:
    id: str
    subject: str
    description: str


def read_file(path: Path, *, limit: int | None) -> list[TicketText]:
    rows = load_labelled(path, limit=limit, require_labels=False)
    return [TicketText(r.id, r.subject, r.description) for r in rows]


def read_helpdesk(settings: Settings, *, since: str, now: datetime, limit: int) -> list[TicketText]:
    """The helpdesk's tickets updated since ``since``, with the names and e-mails of the people
    the helpdesk names on each (requester, CCs, agent) replaced as a run's triage replaces them:
    whatever reads them next (the engine, the LLM naming topics, the examples shown) never sees
    them."""
    moment = parse_moment(since, now=now)
    helpdesk = connect(settings)
    tickets: list[TicketText] = []
    try:
        stream = TicketStream(helpdesk, since=int(moment.timestamp()))
        for page in stream.pages(None):
            for t in page.tickets:
                if stream.first_sighting(t.id):
                    subject, _ = redact_names(t.subject, t.people)
                    description, _ = redact_names(t.description, t.people)
                    tickets.append(TicketText(str(t.id), subject, description))
                if len(tickets) >= limit:
                    return tickets
    finally:
        helpdesk.close()
    return tickets


def judge(
    tickets: Sequence[TicketText],
    chain: ChainChoice,
    *,
    workers: int,
    max_input_tokens: int,
    confidence_threshold: float,
    apply_at: Mapping[str, float] | None = None,
    suggest_at: Mapping[str, float] | None = None,
) -> tuple[list[Judged], list[str], Vectors]:
    """What the engine made of each ticket, each ticket's redacted text (what the topics'
    names and cues are made of: never a customer's address or number), and its encoder vector.

    Each ticket is encoded once: a chunk's texts are encoded together (in batches, the
    encoder's fast way), then judged, and the learned engine finds each text's vector in the
    encoder's memo instead of encoding it again; the clustering gets the same vectors."""
    from ..learned.embed import DIMENSIONS, MEMO_SIZE, Encoder

    rows = [LabelledTicket(t.id, "discover", t.subject, t.description, {}) for t in tickets]
    # What the learned engine encodes: the prepared subject and body, as a run prepares them.
    encoded = []
    for t in tickets:
        prepared = prepare_ticket(t.subject, t.description, max_tokens=max_input_tokens)
        encoded.append(f"{prepared.subject}\n{prepared.body}")
    encoder = Encoder()
    vectors = np.zeros((len(rows), DIMENSIONS), np.float32)
    judged: list[Judged] = []
    chunk = MEMO_SIZE // 2  # a chunk's vectors are still in the memo when its rows are judged
    for start in range(0, len(rows), chunk):
        end = start + chunk
        vectors[start:end] = encoder.encode(encoded[start:end])
        predictions = predict(
            rows[start:end],
            chain.chain,
            preferred=chain.preferred,
            workers=workers,
            max_input_tokens=max_input_tokens,
            confidence_threshold=confidence_threshold,
            apply_at=apply_at,
            suggest_at=suggest_at,
        )
        judged += [
            Judged(p.category, p.subcategory, p.decisions.get("category") == "apply")
            for p in predictions
        ]
    return judged, [text.strip() for text in encoded], vectors


def write_assignments(path: Path, ids: Sequence[str], found: FoundTopics) -> None:
    lines = [
        orjson.dumps({"id": i, "topic": topic})
        for i, topic in zip(ids, found.assignments, strict=True)
    ]
    atomic_write_bytes(path, b"\n".join(lines) + b"\n")


def llm_namer(settings: Settings, taxonomy: Taxonomy) -> Namer:
    """Names from the configured LLM, which sees a topic's words and redacted texts only; a
    failed or unusable answer leaves the topic its words (the breaker stops asking after a few)."""
    analyser = build_analyser(settings, workers=1, breaker=CircuitBreaker("llm"), taxonomy=taxonomy)

    def name(cues: Sequence[str], examples: Sequence[str]) -> str | None:
        try:
            return clean_name(analyser.complete_text(NAMING_PROMPT, naming_request(cues, examples)))
        except TicketBotError:
            return None

    return name
