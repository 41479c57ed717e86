"""Answers measured before they speak: on a labelled file whose rows name the answering article
(``"answer_article": id``, a list of ids for an article and its translations, or null for
"needs a person"), what a send-mode run would do.

Each row goes the way a run's ticket goes (prepare, the help-centre lookup, the engine's
analysis, ``plan.decide`` at the configured thresholds), without a helpdesk. Figures: sent and
right / sent (precision), answerable rows sent the right article (coverage), rows needing a
person that were sent anything (false sends).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..kb.dense import Embed, Retrieved, retrieve
from ..kb.index import ArticleIndex
from ..kb.retrieve import ticket_text
from ..kb.search import lookup
from ..kb.text import words
from ..models import Analysis, Ticket, Triage
from ..triage.confidence import Calibration
from ..triage.language import detect_language
from ..triage.prepare import prepare_ticket
from .gate import Gate
from .plan import Circumstances, cues, decide
from .policy import AnswersPolicy
from .second_opinion import Opinion

# The engine's view of a ticket: an analysis, or (a calibrated engine, the learned model) a
# triage carrying its calibrated confidence per field and apply thresholds.
Analyse = Callable[[str, str], Analysis | Triage]
# The refusals that come after every guard: the article's choice and its threshold.
_CHOSEN = frozenset(
    {
        "below_threshold",
        "no_article",
        "ambiguous",
        "empty_article",
        "reports_action",
        "unquotable",
        "known_issue",
    }
)


@dataclass
class AnswersReport:
    rows: int = 0
    answerable: int = 0
    sent: int = 0
    sent_right: int = 0
    sent_wrong: int = 0
    false_sends: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    # The reasons rows were refused, split: [answerable rows, rows no article answers].
    refused_by_kind: dict[str, list[int]] = field(default_factory=dict)
    scores: list[tuple[float, bool]] = field(default_factory=list)  # top score, right article
    # The gate's features of each row and whether their article was the right one.
    gate_rows: list[tuple[tuple[float, ...], bool]] = field(default_factory=list)
    # Beside each of ``gate_rows``: whether the row passed every guard (the article's
    # threshold and choice aside), so a threshold can be picked on the rows that reach it.
    passed: list[bool] = field(default_factory=list)
    # With the gate: each row that passed the guards, the gate's probability, whether its
    # article was the right one, whether the row is answerable (a precision-coverage curve).
    reached: list[tuple[float, bool, bool]] = field(default_factory=list)
    # Per ranking (keyword, dense, fused): answerable rows whose article came first, in top 3.
    retrievers: dict[str, list[int]] = field(default_factory=dict)
    # With an LLM: rows the gate would send that the LLM was asked about, those it agreed on,
    # and how its verdict sat with the label (agreed on a right article, refused a wrong one).
    second: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        def share(n: int, of: int) -> float | None:
            return round(n / of, 4) if of else None

        return (
            {
                "rows": self.rows,
                "answerable": self.answerable,
                "sent": self.sent,
                "sent_right": self.sent_right,
                "sent_wrong": self.sent_wrong,
                "precision": share(self.sent_right, self.sent),
                "coverage": share(self.sent_right, self.answerable),
                "false_sends": self.false_sends,
                "needs_person": self.rows - self.answerable,
                "refused": dict(sorted(self.refused.items())),
            }
            | self._agreement()
            | {
                f"{name} hit@{k}": share(hits[i], self.answerable)
                for name, hits in self.retrievers.items()
                for i, k in ((0, 1), (1, 3))
            }
        )

    def _agreement(self) -> dict[str, Any]:
        """The gate and the LLM on the rows the gate would send (with an LLM only)."""
        asked = self.second.get("asked", 0)
        if not asked:
            return {}
        agreed = self.second.get("agreed", 0)
        return {
            "llm_asked": asked,
            "llm_agreed": agreed,
            "llm_agreement": round(agreed / asked, 4),
            "llm_agreed_right": self.second.get("agreed_right", 0),
            "llm_refused_wrong": self.second.get("refused_wrong", 0),
        }


def _right(label: object, article_ids: Mapping[str, frozenset[int]]) -> frozenset[int]:
    """The ids a row's label accepts: an id, a list of ids (an article and its
    translations), or a key of ``article_ids``."""
    if label is None:
        return frozenset()
    if isinstance(label, list):
        return frozenset(int(x) for x in label if isinstance(x, int) and not isinstance(x, bool))
    if isinstance(label, int) and not isinstance(label, bool):
        return frozenset({label})
    return article_ids.get(str(label), frozenset())


def _count_hits(report: AnswersReport, ranked: Retrieved, right: frozenset[int]) -> None:
    for name in ("keyword", "dense", "fused"):
        order = [c.hit.article_id for c in ranked.order(name)]
        hits = report.retrievers.setdefault(name, [0, 0])
        hits[0] += bool(order[:1] and order[0] in right)
        hits[1] += bool(right & set(order[:3]))


def _count_opinion(report: AnswersReport, agreed: bool, right: bool) -> None:
    counts = report.second
    counts["asked"] = counts.get("asked", 0) + 1
    counts["agreed"] = counts.get("agreed", 0) + agreed
    counts["agreed_right"] = counts.get("agreed_right", 0) + (agreed and right)
    counts["refused_wrong"] = counts.get("refused_wrong", 0) + (not agreed and not right)


def _ranked(index: ArticleIndex, text: str, embed: Embed | None, _raw: str) -> Retrieved:
    """The fused ranking of the prepared text (the raw text ``cues`` hands is not used)."""
    return retrieve(index, text, embed)


def evaluate(
    rows: Iterable[Mapping[str, Any]],
    index: ArticleIndex,
    analyse: Analyse,
    policy: AnswersPolicy,
    *,
    calibration: Calibration | None,
    article_ids: Mapping[str, frozenset[int]] | None = None,
    prefix: str = "ai_",
    gate: Gate | None = None,
    confirm: Gate | None = None,
    embed: Embed | None = None,
    second: Callable[[str, str], Opinion] | None = None,
    own_case: bool = True,
) -> AnswersReport:
    """``article_ids`` maps a row's ``answer_article`` key to the index's ids (translations
    included); without it the label is the id itself. ``own_case=False`` leaves that guard
    out (to measure what it changes). ``confirm``: the gate that confirms the calibration's
    article, as a run's (``plan.confirmed``; it needs ``embed``)."""
    report = AnswersReport()
    for n, row in enumerate(rows):
        subject, body = str(row.get("subject", "")), str(row.get("description", ""))
        label = row.get("answer_article")
        right = _right(label, article_ids or {})
        report.rows += 1
        report.answerable += label is not None
        prepared = prepare_ticket(subject, body, max_tokens=2000)
        text = ticket_text(prepared)
        found = lookup(index, text, detect_language(words(text), text), 3)
        judged = analyse(prepared.subject, prepared.body)
        if isinstance(judged, Triage):
            triage = judged.model_copy(update={"suggestions": tuple(found)})
        else:
            triage = Triage(analysis=judged, engine="rules", suggestions=tuple(found))
        analysis = triage.analysis
        if found:
            best = max(found, key=lambda s: s.score)
            report.scores.append((best.score, best.article_id in right))
        ticket = Ticket(id=n + 1, subject=subject, description=body, status="new")
        where = Circumstances(
            mode="send",
            threshold=policy.threshold_for(analysis.category),
            escalated=False,
            requester_is_agent=False,
            requester_answered_at=None,
            answered_here=False,
            now=0.0,
            prefix=prefix,
            calibration=calibration,
            gate=gate,
            confirm=confirm,
        )
        ranked = None
        if gate is not None or embed is not None:
            ranked = functools.partial(_ranked, index, text, embed)
        if embed is not None and right:
            _count_hits(report, retrieve(index, text, embed), right)
        found_cues = cues(subject, body, ranked)
        if not own_case:
            found_cues = dataclasses.replace(found_cues, own_case=())
        if found_cues.gate is not None:
            weighed = found_cues.gate.candidate
            report.gate_rows.append(
                (found_cues.gate.features, weighed is not None and weighed.hit.article_id in right)
            )
        asked = None if second is None else functools.partial(second, text)
        plan, reason = decide(ticket, triage, found_cues, where, index.body, second=asked)
        weighed_by = found_cues.gate
        passed = plan is not None or reason == "below_threshold"  # every guard let it through
        if found_cues.gate is not None:
            report.passed.append(plan is not None or reason in _CHOSEN)
        if gate is not None and passed and weighed_by and weighed_by.candidate is not None:
            report.reached.append(
                (
                    gate.probability(weighed_by.features),
                    weighed_by.candidate.hit.article_id in right,
                    label is not None,
                )
            )
        if plan is not None and plan.second_opinion is not None:
            _count_opinion(report, plan.second_opinion == "agrees", plan.article_id in right)
            if plan.delivery == "draft":
                plan, reason = None, "second_opinion"
        if plan is None:
            key = reason or "none"
            report.refused[key] = report.refused.get(key, 0) + 1
            report.refused_by_kind.setdefault(key, [0, 0])[label is None] += 1
            continue
        report.sent += 1
        if label is None:
            report.false_sends += 1
        elif plan.article_id in right:
            report.sent_right += 1
        else:
            report.sent_wrong += 1
    return report
