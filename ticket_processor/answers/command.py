"""``ticketbot answers``: the answers policy and the ladder by hand.

- ``answers check [FILE]``: validate ``answers.toml`` (``TICKETBOT_ANSWERS``) against the
  taxonomy and show each category's mode and threshold; exit 2 when it is not valid.
- ``answers status``: per category, the rung of the ``auto`` ladder, drafts judged and their
  acceptance, answers sent, resolved, re-opened and the answer resolution rate.
- ``answers promote CATEGORY``: move an ``auto`` category to send by hand; refused (exit 1,
  saying why) while its acceptance over N drafts is not above the target.
- ``answers eval FILE``: what a send-mode run would send on a labelled file (rows with
  ``answer_article``: an article id, or null for "needs a person"), on the synced index.
- ``answers calibrate FILE``: the index score → probability calibration fitted on such a file.
- ``answers calibrate --from-helpdesk [--since 90d] [--force]``: the gate fitted on the team's
  solved tickets (``calibrate_team``), kept when not worse than the one ``answers status`` names.
- ``answers explain TICKET``: the articles both rankings considered for one ticket, the gate's
  probability, and the guard or threshold that stopped its answer (``answers.explain``).
"""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.console import Console
from rich.markup import escape

from ..settings import Settings

answers_app = typer.Typer(help="Answering the customer: the policy, the ladder, the figures.")


def _labelled(path: Path) -> list[dict[str, Any]]:
    from ..errors import ConfigError

    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the labelled file: {exc}") from None
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{number}: not a JSON object: {exc.msg}") from None
        if not isinstance(row, dict) or "answer_article" not in row:
            raise ConfigError(
                f'{path}:{number}: each row needs "answer_article" (an article id, or null)'
            )
        rows.append(row)
    return rows


@answers_app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="The answers file. Default: TICKETBOT_ANSWERS.")
    ] = None,
) -> None:
    """Validate the answers file against the taxonomy and show what each category does."""
    from ..commands.common import exit_codes, load
    from ..errors import ConfigError
    from ..triage.taxonomy import load_taxonomy
    from .setup import read_policy

    console = Console(highlight=False, soft_wrap=True)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        path = file or settings.answers_file
        if path is None:
            raise ConfigError("no answers file: give one or set TICKETBOT_ANSWERS=answers.toml")
        taxonomy = load_taxonomy(settings.taxonomy_file)
        policy = read_policy(settings, taxonomy, path)
        console.print(
            f"default: mode {policy.mode} (TICKETBOT_ANSWER_MODE), threshold {policy.threshold}, "
            f"thank-you {'solves' if policy.solve_on_thanks else 'leaves the ticket to agents'}"
        )
        ladder = policy.ladder
        console.print(
            f"ladder (auto): {ladder.drafts} drafts, promote above {ladder.target:.0%} "
            f"acceptance, demote above {ladder.reopen_limit:.0%} re-opened"
        )
        for name in taxonomy.names:
            subs = [n for n in policy.rules if n.startswith(f"{name}/")]
            for key in (name, *subs):
                category, _, sub = key.partition("/")
                console.print(
                    escape(
                        f"{key}: {policy.mode_for(category, sub or None)}, threshold "
                        f"{policy.threshold_for(category, sub or None)}"
                    )
                )
        console.print(f"{escape(str(path))} is valid ({len(policy.rules)} category rule(s)).")


def _standings(settings: Settings) -> list[Any]:
    from ..triage.taxonomy import load_taxonomy
    from .book import AnswerBook
    from .explain_mode import mode_source
    from .ladder import standing
    from .setup import read_policy

    policy = read_policy(settings, load_taxonomy(settings.taxonomy_file))
    mode_set = "answer_mode" in settings.model_fields_set
    book = AnswerBook(settings.state_dir, read_only=True)
    drafts, sent, outcomes = book.drafts(), book.sent_rows(), book.outcomes()
    names = sorted(
        {str(d["category"]) for d in drafts.values()}
        | {str(s["category"]) for s in sent.values()}
        | {n.partition("/")[0] for n in policy.rules}
    )
    return [
        (
            name,
            policy.mode_for(name),
            standing(name, book.rung(name), drafts, sent, outcomes, policy.ladder),
            mode_source(policy, name, mode_set=mode_set),
        )
        for name in names
    ]


@answers_app.command("status")
def status(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Per category: mode, the ladder's rung, acceptance of drafts, answers and their fate."""
    from ..commands.common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        rows = []
        for name, mode, found, source in _standings(settings):
            rows.append(
                {
                    "category": name,
                    "mode": mode,
                    "mode_source": source,
                    "rung": found.rung if mode == "auto" else mode,
                    "drafts_judged": found.drafts_judged,
                    "acceptance": found.acceptance,
                    "sent": found.sent,
                    "resolved": found.resolved,
                    "reopened": found.reopened,
                    "resolution_rate": (found.resolved / found.sent) if found.sent else None,
                }
            )
        from .team_gate import gate_in_use

        in_use = gate_in_use(settings.state_dir)
        # A shell without the run's TICKETBOT_ANSWER_MODE reads "off" where the run sends.
        answering = _answering_run(settings) if any(r["mode"] == "off" for r in rows) else None
        if as_json:
            last = answering.as_json() if answering else None
            body = {"categories": rows, "gate": in_use.as_json(), "last_answering_run": last}
            typer.echo(json.dumps(body))
            return
        typer.echo(f"gate in use: {in_use.describe()}")
        if not rows:
            typer.echo("no category answers or drafts yet")
        for row in rows:

            def pct(value: float | None) -> str:
                return "-" if value is None else f"{value:.0%}"

            typer.echo(
                f"{row['category']}: mode {row['mode']} ({row['mode_source']}; now {row['rung']}), "
                f"{row['drafts_judged']} drafts judged, acceptance {pct(row['acceptance'])}, "
                f"sent {row['sent']}, resolved {row['resolved']}, re-opened {row['reopened']}, "
                f"resolution rate {pct(row['resolution_rate'])}"
            )
        if answering is not None:
            typer.echo(answering.said())


def _answering_run(settings: Settings) -> Any:
    """The newest run that sent answers in the last day, from the logs (None: none)."""
    from datetime import UTC, datetime, timedelta

    from ..common.eventlog import read_events
    from .explain_mode import last_answering_run

    since = datetime.now(UTC) - timedelta(days=1)
    return last_answering_run(read_events(settings.log_dir, since=since), since)


@answers_app.command("promote")
def promote(category: Annotated[str, typer.Argument(help="The category to send in.")]) -> None:
    """Move an auto category to send; refused while its drafts are not proven."""
    from ..commands.common import err_console, exit_codes, load
    from ..errors import ConfigError
    from ..triage.taxonomy import load_taxonomy
    from .book import AnswerBook
    from .ladder import promotion_refusal
    from .setup import read_policy

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        taxonomy = load_taxonomy(settings.taxonomy_file)
        if category not in taxonomy.names:  # a typo is no mode to fix in the answers file
            raise ConfigError(
                f"no category {category!r} in the taxonomy; the categories are: "
                f"{', '.join(taxonomy.names)}"
            )
        policy = read_policy(settings, taxonomy)
        if policy.mode_for(category) != "auto":
            raise ConfigError(
                f"{category} answers in mode {policy.mode_for(category)}, not auto: set its "
                "mode in the answers file"
            )
        found = dict((name, s) for name, _, s, _ in _standings(settings)).get(category)
        refusal = None if found is None else promotion_refusal(found, policy.ladder)
        if found is None:
            refusal = f"{category}: no drafts yet"
        if refusal is not None:
            err_console.print(f"not promoted: {escape(refusal)}")
            raise typer.Exit(1)
        AnswerBook(settings.state_dir).set_rung(category, "send", time.time(), by="promote")
        typer.echo(f"{category} now sends its answers")


def _index(settings: Settings) -> Any:
    from ..errors import ConfigError
    from ..kb.index import ArticleIndex
    from ..kb.refresh import index_path

    index = ArticleIndex(index_path(settings.state_dir), read_only=True)
    if not index.available or index.count() == 0:
        raise ConfigError("the help-centre index is empty: run 'ticketbot kb sync' first")
    return index


def _report(settings: Settings, file: Path, calibration: Any) -> Any:
    from ..triage.rules import RulesEngine
    from ..triage.taxonomy import load_taxonomy
    from .evaluate import evaluate
    from .setup import read_policy

    taxonomy = load_taxonomy(settings.taxonomy_file)
    policy = read_policy(settings, taxonomy)
    engine = RulesEngine(taxonomy)
    index = _index(settings)
    try:
        from ..learned.embed import embed_texts
        from .team_gate import gate_in_use

        rows = _labelled(file)
        _check_labels(rows, {article for article, _ in index.stamps()}, file)
        return evaluate(
            rows,
            index,
            engine.analyse,
            policy,
            calibration=calibration,
            gate=gate_in_use(settings.state_dir).gate if policy.chooser == "gate" else None,
            confirm=gate_in_use(settings.state_dir).gate if policy.chooser != "gate" else None,
            embed=embed_texts,
            second=_judge(settings) if calibration is not None else None,
        )
    finally:
        index.close()


def _check_labels(rows: list[dict[str, Any]], known: set[int], file: Path) -> None:
    """Say on stderr how many of the file's article labels name no article of the index (an
    article's key rather than its id scores every send wrong: precision 0.0, silently);
    a ``ConfigError`` (exit 2) when none does."""
    from ..commands.common import err_console
    from ..errors import ConfigError

    labels = [row["answer_article"] for row in rows if row["answer_article"] is not None]
    unknown = [label for label in labels if not _names_known(label, known)]
    if not unknown:
        return
    shown = ", ".join(sorted({json.dumps(label) for label in unknown})[:3])
    told = (
        f"{file}: {len(unknown)} of {len(labels)} article labels (answer_article) match no "
        f"article in the help-centre index ({shown}): a label must be the help centre's "
        "article id (a number; or a list of an article's ids, its translations), as "
        "`ticketbot kb sync` indexed them. The repository's tests/data files label by the key "
        "of answers_articles.jsonl instead; python -m scripts.figures answers_figures maps each "
        "key to the ids it indexes that article under"
    )
    if len(unknown) == len(labels):
        raise ConfigError(f"{told}; nothing to score")
    err_console.print(f"warning: {told}; those rows count as wrong", markup=False)


def _names_known(label: object, known: set[int]) -> bool:
    ids = label if isinstance(label, list) else [label]
    return any(isinstance(i, int) and not isinstance(i, bool) and i in known for i in ids)


def names_answers(file: Path) -> bool:
    """Whether the labelled file's first row names an answering article."""
    try:
        with file.open("rb") as handle:
            first = next((line for line in handle if line.strip()), b"")
        row = json.loads(first) if first else None
    except (OSError, ValueError):
        return False
    return isinstance(row, dict) and "answer_article" in row


def print_answers_eval(settings: Settings, file: Path) -> None:
    """The answers' figures on ``file`` at the configured thresholds, as one JSON object."""
    from .calibration import load_calibration

    report = _report(settings, file, load_calibration(settings.state_dir))
    typer.echo(json.dumps(report.as_dict(), indent=2))


@answers_app.command("eval")
def answers_eval(file: Annotated[Path, typer.Argument(help="Labelled JSONL file.")]) -> None:
    """Precision, coverage and false sends of a send-mode run on a labelled file."""
    from ..commands.common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        print_answers_eval(settings := load(), file)


@answers_app.command("calibrate")
def calibrate(
    file: Annotated[
        Path | None, typer.Argument(help="Labelled JSONL file (not with --from-helpdesk).")
    ] = None,
    from_helpdesk: Annotated[
        bool,
        typer.Option(
            "--from-helpdesk",
            help="Fit the gate on the team's solved tickets: an agent's linked article is "
            "that article's positive, an answer without a link needs a person.",
        ),
    ] = False,
    since: Annotated[
        str, typer.Option("--since", help="With --from-helpdesk: the window (90d, or a date).")
    ] = "90d",
    force: Annotated[
        bool,
        typer.Option("--force", help="With --from-helpdesk: keep the gate even when worse."),
    ] = False,
) -> None:
    """Fit the answers' calibration on a labelled file, or the gate on your own history."""
    from ..commands.common import err_console, exit_codes, load
    from ..errors import ConfigError
    from ..run.connect import connect
    from .calibration import fit, save_calibration

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if from_helpdesk:
            if file is not None:
                raise ConfigError("give a labelled file or --from-helpdesk, not both")
            from .calibrate_team import calibrate_from_helpdesk

            settings.require_helpdesk()
            calibrate_from_helpdesk(settings, since, force, _index, connect, err_console)
            return
        if file is None:
            raise ConfigError("give a labelled file, or --from-helpdesk")
        report = _report(settings, file, None)
        if len(report.scores) < 20:
            raise ConfigError(f"{file}: {len(report.scores)} rows found an article; need 20")
        scores = [s for s, _ in report.scores]
        right = [r for _, r in report.scores]
        path = save_calibration(settings.state_dir, fit(scores, right))
        typer.echo(f"answers calibration from {len(scores)} rows written to {path}")


def _judge(settings: Settings) -> Any:
    """The LLM's second opinion (ticket text, passage -> opinion), as a run asks it; None
    without an LLM."""
    if not settings.llm_configured:
        return None
    from ..run.engines import build_analyser
    from .second_opinion import ask

    analyser = build_analyser(settings, workers=1, breaker=None, retry=None)
    return lambda shown, passage: ask(analyser.judge_text, shown, passage)


def _second(settings: Settings, prepared: Any) -> Any:
    """The LLM's second opinion for ``answers explain``; None without an LLM."""
    judge = _judge(settings)
    if judge is None:
        return None
    shown = f"{prepared.subject}\n{prepared.body}"
    return lambda passage: judge(shown, passage)


@answers_app.command("explain")
def explain_ticket(
    ticket_id: Annotated[int, typer.Argument(help="The ticket's id in the helpdesk.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """The articles considered for a ticket, the gate's probability, what stopped its answer."""
    import time as clock

    from ..commands.common import exit_codes, load
    from ..errors import NotFoundError
    from ..kb.dense import retrieve
    from ..kb.search import lookup
    from ..kb.text import words
    from ..learned.embed import embed_texts
    from ..models import Triage
    from ..run.audit import ticket_decisions
    from ..run.connect import connect
    from ..triage.language import detect_language
    from ..triage.prepare import prepare_ticket
    from ..triage.rules import RulesEngine
    from ..triage.taxonomy import load_taxonomy
    from .book import AnswerBook
    from .calibration import load_calibration
    from .deliver import AnswerDesk, replied_before
    from .explain import explain
    from .explain_mode import mode_source, run_decision
    from .plan import Circumstances, cues
    from .setup import read_policy
    from .team_gate import gate_in_use

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        settings.require_helpdesk()
        taxonomy = load_taxonomy(settings.taxonomy_file)
        policy = read_policy(settings, taxonomy)
        index = _index(settings)
        helpdesk = connect(settings)
        try:
            found = helpdesk.tickets([ticket_id])
            if not found:
                # Not a configuration error: the helpdesk's 404, as a write to a deleted ticket
                # says it ("error: …", exit 1).
                raise NotFoundError(f"no ticket {ticket_id} in the helpdesk", status_code=404)
            ticket = found[0]
            agents = {agent.id for agent in helpdesk.agents()}
            prepared = prepare_ticket(
                ticket.subject, ticket.description, max_tokens=2000, people=ticket.people
            )
            text = f"{prepared.subject}\n{prepared.body}"
            analysis = RulesEngine(taxonomy).analyse(prepared.subject, prepared.body)
            suggestions = lookup(index, text, detect_language(words(text), text), 3)
            triage = Triage(analysis=analysis, engine="rules", suggestions=tuple(suggestions))
            ranked = retrieve(index, text, embed_texts)
            ticket_cues = cues(ticket.subject, ticket.description, lambda _raw: ranked)
            book = AnswerBook(settings.state_dir, read_only=True)
            mode = policy.mode_for(analysis.category, analysis.subcategory)
            gate = gate_in_use(settings.state_dir).gate
            where = Circumstances(
                mode=book.rung(analysis.category) if mode == "auto" else mode,  # type: ignore[arg-type]
                threshold=policy.threshold_for(analysis.category, analysis.subcategory),
                escalated=False,
                requester_is_agent=ticket.requester_id in agents,
                requester_answered_at=book.requester_answered_at(ticket.requester_id, ticket.id),
                answered_here=book.was_sent(ticket.id),
                now=clock.time(),
                prefix=settings.tag_prefix,
                calibration=load_calibration(settings.state_dir),
                gate=gate if policy.chooser == "gate" else None,
                confirm=None if policy.chooser == "gate" else gate,
            )
            second = _second(settings, prepared)
            replied = partial(replied_before, cast("AnswerDesk", helpdesk), ticket_id)
            shown = explain(ticket, triage, ticket_cues, where, index.body, gate, second, replied)
            # A run stores passage vectors only when its answers file chooses the gate: without
            # them the vector ranking is empty and the gate's probability is not a gate run's.
            shown["articles_without_vectors"] = len(index.rows_without_vectors())
            source = mode_source(
                policy,
                analysis.category,
                analysis.subcategory,
                mode_set="answer_mode" in settings.model_fields_set,
            )
            shown["mode_source"] = f"auto's rung; {source}" if mode == "auto" else source
            answering = _answering_run(settings) if where.mode == "off" else None
            shown["last_answering_run"] = answering.as_json() if answering else None
            shown["run_decision"] = run_decision(ticket_decisions(settings, ticket_id) or [])
        finally:
            helpdesk.close()
            index.close()
        if as_json:
            typer.echo(json.dumps(shown))
            return
        _print_explained(ticket_id, shown)


def _print_explained(ticket_id: int, shown: dict[str, Any]) -> None:
    from .explain import explained_lines

    for line in explained_lines(ticket_id, shown):
        typer.echo(line)
