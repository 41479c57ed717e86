"""The risk a run puts on each triage: first messages (the run's ticket flow) and customers'
replies (the replies' re-triage, with the thread's trend and the customer's contacts).

A ticket the spam gate judged no customer's gets no risk (and so no risk tag, route or
escalation)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..models import RiskVerdict, Ticket, Triage, is_spam
from .inputs import inputs_of, waiting_hours
from .rules import level_of, rules_risk

if TYPE_CHECKING:
    from .head import RiskHead

Encode = Callable[[list[str]], Any]
HEAD_SUFFIX = ".risk.json"


def head_path(model: Path) -> Path:
    """Where the risk head of the learned model at ``model`` lives: beside it."""
    return model.with_name(model.name.removesuffix(".zip") + HEAD_SUFFIX)


def risk_scorer_for(model: Path) -> RiskScorer:
    """The scorer with the head beside ``model`` when there is one, else the rules: numpy (the
    head's) is imported only when a head is there, so an LLM run with no head loads none."""
    path = head_path(model)
    if not path.is_file():
        return RiskScorer()
    from .head import load_risk_head

    return RiskScorer(load_risk_head(path))


class RiskScorer:
    """``head``: the head learned from the helpdesk's outcomes (None: the rules); ``encode``:
    the encoder it was fitted on (None: the run's ``learned.embed.Encoder``, loaded at the
    first ticket a head scores)."""

    def __init__(
        self,
        head: RiskHead | None = None,
        encode: Encode | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.head = head
        self._encode = encode
        self._now = now or (lambda: datetime.now(UTC))
        self._lock = threading.Lock()
        self._tally: dict[str, int] = {}

    def tally(self) -> dict[str, int]:
        with self._lock:
            return dict(self._tally)

    def _encoder(self) -> Encode:
        with self._lock:
            if self._encode is None:
                from ..learned.embed import Encoder

                self._encode = Encoder().encode
            return self._encode

    def judge(
        self,
        ticket: Ticket,
        text: str,
        triage: Triage,
        *,
        trend: Sequence[str] = (),
        contacts: int = 1,
    ) -> Triage:
        """``triage`` with its risk; ``text``: the prepared (redacted) text the engines read."""
        if is_spam(triage):
            return triage
        inputs = inputs_of(
            triage,
            trend=trend,
            contacts=contacts,
            waited=waiting_hours(ticket.created_at, self._now()),
        )
        head = self.head
        if head is None:
            p, reasons = rules_risk(inputs)
            level = level_of(p)
            source = "rules"
        else:
            import numpy as np

            vector = np.asarray(self._encoder()([text]), np.float64)[0]
            p, reasons = head.score(vector, inputs)
            level = level_of(p, head.medium_at, head.high_at)
            source = "learned"
        with self._lock:
            self._tally[level] = self._tally.get(level, 0) + 1
        verdict = RiskVerdict(level=level, probability=round(p, 4), source=source, reasons=reasons)
        return triage.model_copy(update={"risk": verdict})
