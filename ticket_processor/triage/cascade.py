"""The cascade (``TICKETBOT_CASCADE=true``): the learned model decides first, the LLM only where
it must.

With both an LLM and a learned model, each ticket goes to the learned model first; when every
needed field (``TICKETBOT_CASCADE_FIELDS``, by default the category, urgency and sentiment a
run writes) would be applied from its answer — its
calibrated confidence at or above the field's apply threshold (``triage.confidence``; for a
model without calibration, its confidence at or above ``TICKETBOT_CONFIDENCE_THRESHOLD``) —
that answer is the triage and no LLM call is made. Otherwise the LLM is asked, as without the
cascade; if it fails, the chain goes on to the learned model and the rules as always. The same
results are written for the tickets the LLM answers; the others are the model's confident ones.

The link presents itself as the LLM (``name`` "llm", the run's LLM statistics), so a learned
answer it returns is not a fallback (``Triage.cascaded``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..models import Triage
from .chain import LLMEngine, TriageEngine
from .confidence import field_decisions
from .prepare import PreparedTicket

NEEDED = ("category", "urgency", "sentiment")


def learned_suffices(
    triage: Triage,
    *,
    threshold: float,
    apply_at: Mapping[str, float] | None = None,
    suggest_at: Mapping[str, float] | None = None,
    needed: tuple[str, ...] = NEEDED,
) -> bool:
    """Whether every needed field of the learned model's ``triage`` would be applied."""
    if not triage.field_confidence:
        return triage.analysis.confidence >= threshold
    decided = field_decisions(
        triage.field_confidence, triage.apply_at, apply_at=apply_at, suggest_at=suggest_at
    )
    return all(decided.get(name) == "apply" for name in needed)


class CascadeEngine(LLMEngine):
    """The LLM link, asked only when the learned model (asked first) is not sure enough."""

    def __init__(
        self,
        llm: LLMEngine,
        learned: TriageEngine,
        *,
        threshold: float,
        apply_at: Mapping[str, float] | None = None,
        suggest_at: Mapping[str, float] | None = None,
        needed: tuple[str, ...] = NEEDED,
    ) -> None:
        super().__init__(llm, llm.calibration)
        self._needed = needed
        self._llm = llm
        self._learned = learned
        self._threshold = threshold
        self._apply_at = dict(apply_at or {})
        self._suggest_at = dict(suggest_at or {})

    def analyse(self, ticket: PreparedTicket) -> Triage:
        try:
            first = self._learned.analyse(ticket)
        except Exception:  # noqa: BLE001 - no model: the LLM decides, as without the cascade
            return self._llm.analyse(ticket)
        if learned_suffices(
            first,
            threshold=self._threshold,
            apply_at=self._apply_at,
            suggest_at=self._suggest_at,
            needed=self._needed,
        ):
            return first.model_copy(update={"cascaded": True})
        return self._llm.analyse(ticket)

    def concurrency(self) -> dict[str, object]:
        return self._llm.concurrency()
