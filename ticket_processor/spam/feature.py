"""The spam gate as the run sees it: its settings and its step (``steps.feature``), and its
scores in ``eval --spam`` (``spam.command``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..steps.feature import EvalAsk, Feature, FeatureRun
from ..steps.protocol import TicketStep
from .gate import SpamGate
from .step import SpamStep


@dataclass(frozen=True)
class SpamValues:
    spam_gate: bool
    spam_known_senders: tuple[str, ...]


def spam_steps(values: SpamValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The spam step, on every run: off, it still holds a ticket the LLM called spam. The gate's
    head and the encoder load at the first ticket it scores (with the LLM, only for what the
    LLM or a sender cue suspects); it asks the helpdesk whether a requester it would gate had
    a ticket solved before (one request, only then)."""
    gate = (
        SpamGate(
            known_senders=values.spam_known_senders, requester_known=run.helpdesk.requester_known
        )
        if values.spam_gate
        else None
    )
    return [
        SpamStep(
            gate,
            prefix=run.options.prefix,
            max_tokens=run.options.max_input_tokens,
            read_late=run.chain[0].name == "llm",  # the cascade's name too
        )
    ]


def eval_spam(ask: EvalAsk) -> None:
    from .command import eval_spam

    eval_spam(ask)


FEATURE = Feature("spam", SpamValues, steps=spam_steps, evals={"spam": eval_spam})
