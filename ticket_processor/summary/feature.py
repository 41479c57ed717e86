"""The running summary as the run sees it: its settings and its step (``steps.feature``), and
the helpdesk field it writes (``fields check`` resolves it, the dashboard shows it) and its
scores in ``eval --summaries`` (``summary.command``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..models import SPAM_KINDS, HelpdeskField
from ..steps.feature import EvalAsk, Feature, FeatureRun, OwnField
from ..steps.protocol import TicketStep


@dataclass(frozen=True)
class SummaryValues:
    summary_field: str | None
    agent_language: str
    tag_prefix: str


def summary_steps(values: SummaryValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The summary's step when ``TICKETBOT_SUMMARY_FIELD`` names a field; off, nothing of it is
    imported."""
    if not values.summary_field:
        return []
    from .step import SummaryStep

    return [
        SummaryStep(
            values.summary_field,
            complete=run.text_writer(),
            language=values.agent_language,
            held_tags=[f"{values.tag_prefix}{kind}" for kind in SPAM_KINDS],
        )
    ]


def summary_field(values: SummaryValues) -> OwnField | None:
    """The field ``TICKETBOT_SUMMARY_FIELD`` names, when it names one."""
    name = values.summary_field
    if name is None:
        return None

    def resolve(fields: Sequence[HelpdeskField]) -> HelpdeskField:
        from .field import resolve_summary_field

        return resolve_summary_field(name, fields)

    def describe(field: HelpdeskField) -> str:
        return (
            f'TICKETBOT_SUMMARY_FIELD "{name}" -> text field "{field.title}" '
            f"({field.key}): the running summary"
            + (
                "; the helpdesk shows this field to the customer: only what the "
                "customer can see (their messages and agents' public replies) is "
                "summarised there, never an agent's internal note"
                if field.shown_to_customers
                else ""
            )
            + (f" ({field.audience_hint})" if field.audience_hint else "")
        )

    return OwnField(name, resolve, describe)


def eval_summaries(ask: EvalAsk) -> None:
    from .command import eval_summaries

    eval_summaries(ask)


FEATURE = Feature(
    "summary",
    SummaryValues,
    steps=summary_steps,
    own_field=summary_field,
    evals={"summaries": eval_summaries},
)
