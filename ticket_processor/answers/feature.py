"""The answers as the run sees them (``steps.feature``): the settings they read and their step
on the run's answers (``setup.build_answers``: none when ``TICKETBOT_ANSWER_MODE`` and the
answers file leave them off), for the cron run, ``backfill`` and ``serve`` alike; the features
after them check a reply against what it may quote through their grounding
(``Offers.grounded``). A run that writes reads once which answers agents rated "not helped" on
the dashboard (the audit store's ratings): its ladder counts them as the feedback tag.

For the commands: what ``revert`` takes back of the replies a run sent (``revert``), ``eval``
on rows that name the answering article (``command``), and the dashboard's sender of reviewed
drafts (``review``); ``ticketbot answers`` is ``command``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from ..audit.said import account_of, dashboard_not_helped
from ..audit.writer import AuditStoreError
from ..models import Helpdesk
from ..state.claims import open_claims
from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from ..steps.revert import RevertAsk, RunRevert
from .setup import build_answers
from .vocab import AnswerMode

if TYPE_CHECKING:
    from ..alerts.alerter import Alerter


@dataclass(frozen=True)
class AnswersValues:
    answer_mode: AnswerMode
    answers_file: Path | None
    state_dir: Path
    log_dir: Path
    agent_language: str
    database_url: SecretStr | None
    helpdesk: str
    desks: Mapping[str, Any]


def answers_steps(values: AnswersValues, run: FeatureRun) -> Sequence[TicketStep]:
    """The answers' step: one answers' book in the state directory and every reply sent under
    the tickets' write claims, so a reply the run, ``backfill`` or ``serve`` planned is sent
    once whichever sends it. Its notes join the run's warnings, which the recorder says."""
    options = run.options
    dry_run, llm = options.dry_run, run.preferred == "llm"
    alerter: Alerter = run.alerter
    database = values.database_url.get_secret_value() if values.database_url else None
    answers, notes = build_answers(
        values,
        run.taxonomy,
        run.helpdesk,
        run.index,
        log=run.log,
        dry_run=dry_run,
        shadow=options.shadow,
        prefix=options.prefix,
        alert=None if dry_run else alerter.answers_demoted,
        writer=run.answer_writer() if llm else None,
        translate=run.translator() if llm else None,
        # The LLM's second opinion on each answer that would be sent.
        second_opinion=run.judge() if llm else None,
        served=run.served,
        # Opened only when answers are on (with a database, its claims are the database's).
        claims=None
        if dry_run
        else lambda: open_claims(values.state_dir, database, sleep=run.sleep),
        live=run.offers.source_live,
    )
    run.warnings.extend(notes)
    if answers is None:
        return []
    if not (run.quiet or run.served):  # the run's ladder passes read what agents said
        account = account_of(values.helpdesk, values.desks)
        answers.on_dashboard = _said_on_dashboard(database, values.state_dir, account, run)
    from .step import AnswersStep  # its modules load only with answers on

    run.offers.grounded = answers.grounded
    return [AnswersStep(answers)]


def _said_on_dashboard(
    database: str | None, state_dir: Path, account: str, run: FeatureRun
) -> frozenset[int]:
    """The tickets whose answer an agent rated "not helped" on the dashboard (one query of the
    audit store); none, and a warning, when the store cannot be read: the tags still count."""
    try:
        said = dashboard_not_helped(database, state_dir, account, "answer")
    except AuditStoreError as exc:
        run.warnings.append(f"{exc}; the answers count their feedback tags alone")
        return frozenset()
    return frozenset().union(*said.values())


def answers_revert(values: AnswersValues, ask: RevertAsk) -> RunRevert | None:
    from .revert import answers_revert

    return answers_revert(ask)


def answers_scores(file: Path) -> Callable[[Any], None] | None:
    """``eval FILE``'s answers' figures when FILE's rows name the answering article."""
    from .command import names_answers, print_answers_eval

    return (lambda settings: print_answers_eval(settings, file)) if names_answers(file) else None


def answer_sender(connect: Callable[[], Helpdesk], common: Mapping[str, Any]) -> Any:
    """The dashboard's sender of reviewed drafts (``review.AnswerSender``)."""
    from .review import AnswerSender

    return AnswerSender(connect, **common)


FEATURE = Feature(
    "answers",
    AnswersValues,
    steps=answers_steps,
    revert=answers_revert,
    scores_file=answers_scores,
    reviewer=answer_sender,
)
