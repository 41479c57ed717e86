"""The answers of a run, from the settings' values (``AnswersSettings``): ``build_answers``
(None when answers are off), for the cron run, ``backfill`` and ``serve`` alike (the feature's
step, ``feature.py``), and the policy the ``answers`` commands read (``read_policy``).

The policy is read once per run (``TICKETBOT_ANSWER_MODE`` and ``TICKETBOT_ANSWERS``, checked
against the taxonomy: a bad file stops the run before any ticket, as routes do), the answers'
book is opened in the state directory (the runs' and ``serve``'s alike), the agents are read
once (a ticket whose requester is an agent is never answered; ``serve`` reads them again every
``answers.agents.AGENTS_MAX_AGE`` seconds), and the calibration is the state directory's
(``ticketbot answers calibrate``) or the shipped one. With the LLM as the run's engine, its
``write_answer`` may word the answer from the article (checked sentence by sentence before it
is used).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

from ..common.atomic import SET_ASIDE_EVENT, read_config_bytes
from ..errors import ConfigError, TicketBotError, credentials_refused
from ..helpdesks.registry import supports_answers
from ..models import Helpdesk
from ..triage.taxonomy import Taxonomy
from ..writeback.triage_change import marker_tag
from .policy import AnswersPolicy, parse_policy
from .vocab import AnswerMode

if TYPE_CHECKING:
    from ..kb.dense import Retrieved
    from ..kb.index import ArticleIndex
    from ..writeback.batch_writer import WriteClaims
    from .agents import Agents
    from .answering import RunAnswers
    from .book import AnswerBook
    from .deliver import AnswerDesk
    from .gate import Gate
    from .plan import Writer


class AnswersSettings(Protocol):
    """The settings the answers read: the settings themselves (a command's) or the feature's
    values (``feature.AnswersValues``, filled by the run)."""

    @property
    def answer_mode(self) -> AnswerMode: ...
    @property
    def answers_file(self) -> Path | None: ...
    @property
    def state_dir(self) -> Path: ...
    @property
    def log_dir(self) -> Path: ...
    @property
    def agent_language(self) -> str: ...


def read_policy(
    settings: AnswersSettings, taxonomy: Taxonomy, path: Path | None = None
) -> AnswersPolicy:
    """The answers policy: the file's rules over the global mode."""
    path = path or settings.answers_file
    text = ""
    if path is not None:
        try:
            text = read_config_bytes(path).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"TICKETBOT_ANSWERS: cannot read {path}: {exc}; fix the path or unset it"
            ) from None
    try:
        return parse_policy(
            text,
            mode=settings.answer_mode,
            categories=taxonomy.names,
            subcategories=taxonomy.subcategory_names,
        )
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}" if path else str(exc)) from None


def build_answers(
    settings: AnswersSettings,
    taxonomy: Taxonomy,
    helpdesk: Helpdesk,
    index: ArticleIndex | None,
    *,
    log: Any,
    dry_run: bool,
    shadow: bool,
    prefix: str,
    alert: Callable[[str, str], Any] | None,
    writer: Writer | None = None,
    translate: Callable[[str, str], str | None] | None = None,
    second_opinion: Callable[[str, str], tuple[str, str, int, int]] | None = None,
    served: bool = False,
    claims: Callable[[], WriteClaims] | None = None,
    live: Callable[[int], bool] | None = None,
) -> tuple[RunAnswers | None, list[str]]:
    """The run's answers and what the run should warn about. ``served``: ``serve``'s, which
    reads the agents again as they age and sends the replies it planned after each write
    batch; ``claims``: opens the write claims each reply is sent under (``answers.sending``);
    ``live``: whether an index entry's source is still in the helpdesk (a source deleted there
    since the sync has nothing to quote)."""
    policy = read_policy(settings, taxonomy)
    if not policy.enabled:
        return None, []
    if not supports_answers(helpdesk.kind):
        return None, [f"{helpdesk.kind} cannot post answers: no ticket is answered"]
    # The answering code only for a run that answers (most do not: answers are off by default).
    from ..kb.dense import retrieve
    from ..learned.embed import embed_texts
    from ..triage.prepare import prepare_ticket
    from .answering import RunAnswers
    from .book import AnswerBook
    from .calibration import load_calibration

    if index is None or not index.available:
        return None, [
            "answers are on but the help-centre index is off (TICKETBOT_KB_SUGGESTIONS=0) "
            "or unusable: no ticket is answered"
        ]
    desk = cast("AnswerDesk", helpdesk)
    agents, notes = _agents(helpdesk, log, served=served)
    if agents is None:
        return None, notes

    def body(article_id: int, locale: str) -> str:
        return index.body(article_id, locale) if live is None or live(article_id) else ""

    def ranked(text: str) -> Retrieved:  # what a run with the gate hands ``RunAnswers``
        # The prepared text (quoted history and signatures off), as the suggestions read it.
        lines = text.split("\n", 1)
        prepared = prepare_ticket(lines[0], lines[1] if len(lines) > 1 else "", max_tokens=2000)
        return retrieve(index, f"{prepared.subject}\n{prepared.body}", embed_texts)

    book = AnswerBook(settings.state_dir, read_only=dry_run or shadow)
    gate = _gate(index, notes, settings.state_dir)
    # The calibration chooses by default; the gate then confirms its article (``plan.confirmed``).
    confirm = None
    if policy.chooser != "gate":
        gate, confirm = None, gate
    notes += _set_aside(book, log, desk, settings, prefix)
    answers = RunAnswers(
        policy=policy,
        book=book,
        desk=desk,
        article_body=body,
        agents=agents,
        prefix=prefix,
        marker=marker_tag(prefix),
        log=log,
        dry_run=dry_run,
        shadow=shadow,
        calibration=load_calibration(settings.state_dir),
        alert=alert,
        writer=writer,
        # The gate (``answers.gate``) reads both rankings, to choose or to confirm.
        retrieve=ranked if gate is not None or confirm is not None else None,
        gate=gate,
        confirm=confirm,
        translate=translate,
        note_language=settings.agent_language,
        second_opinion=second_opinion,
        served=served,
        claims=claims() if claims is not None else None,
    )
    return answers, notes


def _agents(helpdesk: Helpdesk, log: Any, *, served: bool) -> tuple[Agents | None, list[str]]:
    """Who the agents are (a ticket an agent asked is never answered), and what to warn of:
    a run reads them once, and answers nothing when it cannot (None); ``serve`` reads them
    again as they age, and answers no ticket while they cannot be read."""
    from .agents import RETRY_SECONDS, FixedAgents, ReadAgents

    if served:
        agents = ReadAgents(
            lambda: agent_ids(helpdesk),
            on_error=lambda exc: log.emit(
                "answer_agents_unread", level="warning", error=str(exc)[:300]
            ),
        )
        if agents.ids() is not None:  # read at the start too, as a run reads them
            return agents, []
        return agents, [
            "the helpdesk's agents could not be read: no ticket is answered until they are "
            f"(read again every {RETRY_SECONDS:.0f} s)"
        ]
    try:
        return FixedAgents(agent_ids(helpdesk)), []
    except TicketBotError as exc:
        if credentials_refused(exc):  # the run's abort says it, once
            return None, []
        return None, [
            f"answers are off this run: the helpdesk's agents could not be read ({exc}), "
            "so a ticket from an agent could not be told apart"
        ]


def agent_ids(helpdesk: Helpdesk) -> set[int]:
    """The helpdesk's agents, and the user ticketbot signs in as."""
    agents = {agent.id for agent in helpdesk.agents()}
    own = getattr(helpdesk, "own_id", None)
    found = own() if callable(own) else None
    if isinstance(found, int):
        agents.add(found)
    return agents


def _set_aside(
    book: AnswerBook, log: Any, desk: AnswerDesk, settings: AnswersSettings, prefix: str
) -> list[str]:
    """What the run says of an answers' book it found damaged and set aside (nothing if not),
    after handing the replies the book still owed back to the agents (``answers.owed``)."""
    from datetime import UTC, datetime

    from .owed import hand_back, owed_replies, said

    aside = book.set_aside
    if aside is None and not book.missing:
        return []
    if aside is not None:
        log.emit(SET_ASIDE_EVENT, **aside.logged())
    handed = hand_back(
        owed_replies(settings.log_dir, datetime.now(UTC)),
        desk,
        book,
        prefix=prefix,
        marker=marker_tag(prefix),
        log=log,
        note_language=settings.agent_language,
        now=time.time,
    )
    book.keep()
    owed = said(handed)
    if aside is None:  # set aside by the run's sweep (which says so) or removed
        return (
            [f"the answers' book was missing: of the replies it still owed, {owed}"] if owed else []
        )
    return [
        f"the answers' book was damaged ({aside.reason}) and set aside as {aside.moved_to}: "
        "the loop guard and the ladder start afresh"
        + (f"; of the replies it still owed, {owed}" if owed else "")
    ]


def _gate(index: ArticleIndex, notes: list[str], state_dir: Path) -> Gate | None:
    """The answers gate (the chooser the answers file names, or the calibration's
    confirmation), with the vectors of the articles the sync (re)indexed since: only those are
    encoded, and the encoder loads only for a run that answers."""
    from ..kb.dense import encode_missing
    from ..learned.embed import embed_texts
    from .team_gate import gate_in_use

    # The team's own gate (``answers calibrate --from-helpdesk``) when there is one.
    gate = gate_in_use(state_dir).gate
    if gate is None:
        notes.append(
            "the answers gate's file is missing or damaged: the calibration chooses, unconfirmed"
        )
        return None
    if not index.read_only:
        try:
            with index.transaction():
                encode_missing(index, embed_texts)
        except sqlite3.Error as exc:  # the vectors are kept from earlier, or missing: keywords
            notes.append(f"the help centre's passage vectors could not be stored ({exc})")
    return gate
