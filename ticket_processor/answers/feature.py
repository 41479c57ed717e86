"""The answers as the run sees them (``steps.feature``): their step, on the run's answers
(``FeatureRun.open_answers``: None when ``TICKETBOT_ANSWER_MODE`` leaves them off); the features
after them check a reply against what it may quote through their grounding
(``Offers.grounded``)."""

from __future__ import annotations

from collections.abc import Sequence

from ..steps.feature import Feature, FeatureRun, NoValues
from ..steps.protocol import TicketStep


def answers_steps(values: NoValues, run: FeatureRun) -> Sequence[TicketStep]:
    answers = run.open_answers(run.offers.source_live)
    if answers is None:
        return []
    from .step import AnswersStep  # its modules load only with answers on

    run.offers.grounded = answers.grounded
    return [AnswersStep(answers)]


FEATURE = Feature("answers", NoValues, steps=answers_steps)
