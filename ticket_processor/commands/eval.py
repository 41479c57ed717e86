"""``ticketbot eval``: score an engine on a labelled JSON-lines file
(``evaluation.labelled``); a file whose rows name the answering article (``answer_article``)
scores the answers a send-mode run would give (``commands.answers``).

The scores are printed by ``evaluation.display``. Registered in ``cli`` under the name ``eval``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..models import Engine
from ..settings import Settings
from .common import ENGINE_METAVAR, engine_choice, exit_codes, load

SUMMARIES_HELP = (
    "Score the running summary on FILE's labelled threads (their format: the docs' "
    '"running summary" guide): extractive, or the LLM\'s with --engine llm.'
)


def eval_(
    file: Annotated[
        Path, typer.Argument(dir_okay=False, help="Labelled JSON lines (id, source, subject, ...).")
    ],
    engine: Annotated[
        Engine | None,
        typer.Option(
            parser=engine_choice,
            metavar=ENGINE_METAVAR,
            help="rules, learned (the model, rules on failure) or llm (the endpoint); "
            "default: learned for a taxonomy that lists examples, else rules.",
        ),
    ] = None,
    model: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False, help="--engine learned: model file [TICKETBOT_LEARNED_MODEL]."
        ),
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score only the first N rows.")] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    predictions: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="Write one JSON line per ticket with the prediction."),
    ] = None,
    grouping: Annotated[
        bool,
        typer.Option(
            "--grouping",
            help="Score the incident and repeat grouping on FILE (its format: the docs' "
            '"incidents" guide) instead of an engine.',
        ),
    ] = False,
    summaries: Annotated[bool, typer.Option("--summaries", help=SUMMARIES_HELP)] = False,
    spam: Annotated[
        bool,
        typer.Option(
            "--spam",
            help="Score the spam gate on FILE (labels.spam; none without it) instead of an engine.",
        ),
    ] = False,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk",
            help="Score the risk (the rules', and the learned head's when there is one) on "
            "FILE's rows with an outcome: AUC and ECE.",
        ),
    ] = False,
    workers: Annotated[
        str | None,
        typer.Option(
            metavar="N|auto",
            show_default="auto",
            help="Concurrent tickets: a number, or auto (as many LLM calls as the endpoint's "
            "latency and rate limits sustain) [TICKETBOT_WORKERS].",
        ),
    ] = None,
) -> None:
    """Accuracy and macro-F1 per field of an engine on a labelled JSONL file."""
    # One function: a Typer command whose options are most of it; what each kind of score does
    # is in its own function below.
    import orjson

    if grouping or spam:  # the incident grouping's or the spam gate's scores, no engine
        (_eval_grouping if grouping else _eval_spam)(file, as_json=as_json)
        return
    if summaries:
        _eval_summaries(file, llm=engine == "llm", limit=limit, as_json=as_json)
        return
    if risk:
        from .learn_risk import eval_risk

        with exit_codes():
            eval_risk(load({"learned_model": model}), file, as_json=as_json)
        return

    from ..evaluation.display import print_result, result_json
    from ..evaluation.labelled import run_eval, write_predictions
    from ..run.engines import build_eval_chain, eval_workers
    from ..settings.values import parse_thresholds
    from ..triage.taxonomy import load_taxonomy
    from .render import progress_bar

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"workers": workers, "taxonomy_file": taxonomy, "learned_model": model})
        from .answers import names_answers, print_answers_eval

        if names_answers(file):  # rows name the answering article: answers are scored
            print_answers_eval(settings, file)
            return
        chosen = load_taxonomy(settings.taxonomy_file)
        # A taxonomy with examples is scored by the engine fitted on them, as a run without
        # an LLM would triage with it.
        engine = engine or ("learned" if chosen.has_examples else "rules")
        chain = build_eval_chain(settings, chosen, engine)
        show = console.is_terminal and not as_json and engine != "rules"
        with progress_bar(console, enabled=show, label="analysing") as tick:
            result = run_eval(
                file,
                chosen,
                chain=chain,
                limit=limit,
                workers=eval_workers(settings, engine)[0],
                max_input_tokens=settings.max_input_tokens,
                on_progress=lambda: tick("row"),
                confidence_threshold=settings.confidence_threshold,
                apply_at=parse_thresholds(settings.apply_at, setting="TICKETBOT_APPLY_AT"),
                suggest_at=parse_thresholds(settings.suggest_at, setting="TICKETBOT_SUGGEST_AT"),
                agent_language=settings.agent_language,
            )
        if predictions is not None:
            write_predictions(predictions, result.predictions)
        if as_json:
            typer.echo(orjson.dumps(result_json(result), option=orjson.OPT_INDENT_2).decode())
        else:
            print_result(result, console)


def _eval_spam(file: Path, *, as_json: bool) -> None:
    """The spam gate's precision and recall, and the customers' tickets it took for spam."""
    import orjson

    from ..spam.labelled import evaluate_spam

    with exit_codes(lambda: ()):
        result = evaluate_spam(file)
        if as_json:
            typer.echo(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode())
            return

        def share(value: float | None) -> str:
            return "-" if value is None else f"{value:.3f}"

        customers = result.truth.get("none", 0)
        Console(highlight=False).print(
            f"{result.rows} tickets: {result.spam_rows} no customer wrote, {customers} customers'\n"
            f"spam precision {share(result.precision)}  recall {share(result.recall)}  "
            f"customers flagged {result.applied.get('none', 0)} of {customers} "
            f"(false-positive rate {share(result.false_positive_rate)}), "
            f"suggested {sum(result.suggested.values())}",
            markup=False,
        )


def _eval_grouping(file: Path, *, as_json: bool) -> None:
    """Pairs' precision and recall and the share of each true group kept together."""
    import orjson

    from ..incidents.fault import load_fault_head
    from ..incidents.labelled import evaluate_grouping
    from ..learned.embed import Encoder

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({})
        from ..run.build import incident_policy

        result = evaluate_grouping(
            file, Encoder().encode, incident_policy(settings), load_fault_head()
        )
        if as_json:
            typer.echo(orjson.dumps(result.to_dict(), option=orjson.OPT_INDENT_2).decode())
            return
        console = Console(highlight=False)
        console.print(
            f"{result.tickets} tickets, {result.true_groups} true groups, "
            f"{result.predicted_groups} predicted\n"
            f"pairs precision {result.pair_precision:.3f}  recall {result.pair_recall:.3f}  "
            f"kept together {result.kept_together:.3f}"
            + (
                f"\nrequest bursts that became incidents {result.request_bursts_as_incidents}"
                f" of {result.request_bursts}; their tickets in incidents"
                f" {result.requests_in_incidents} of {result.request_tickets}"
                if result.request_bursts
                else ""
            ),
            markup=False,
        )
        console.print(
            f"tickets in an incident not of its group: {result.others_in_incidents}", markup=False
        )
        for form, (kept, count) in sorted(result.forms.items()):
            shown = f"  {form} reports kept with their group: {kept} of {count}"
            console.print(shown, markup=False)
        for name, share in sorted(result.per_group.items()):
            console.print(f"  {name}: {share:.2f} kept together", markup=False)


def _eval_summaries(file: Path, *, llm: bool, limit: int | None, as_json: bool) -> None:
    """How often the summaries state each thread's problem and its current state."""
    import orjson

    from ..errors import ConfigError
    from ..learned.embed import embed_texts
    from ..summary.score import parse_threads, score
    from ..summary.summarise import summarise

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({})
        try:
            lines = file.read_text("utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read: {exc}") from None
        labelled = parse_threads(lines, str(file))[:limit]
        analyser = None
        if llm:
            from ..run.engines import build_analyser

            analyser = build_analyser(settings, workers=1, breaker=None)
        try:
            complete = analyser.complete_text if analyser is not None else None
            written = [summarise(t.thread, embed_texts, complete=complete) for t in labelled]
        finally:
            if analyser is not None:
                analyser.close()
        result = score(
            labelled, [w.text for w in written], sum(w.fallback is not None for w in written)
        ).as_fields()
        result["writer"] = "llm" if llm else "extractive"
        if as_json:
            typer.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
            return
        Console(highlight=False).print(
            f"{result['threads']} threads, summaries by the {result['writer']}: problem stated "
            f"{result['problem_stated']:.3f}, current state stated {result['state_stated']:.3f}, "
            f"both {result['both_stated']:.3f}; within 100 words {result['within_word_limit']:.3f}"
            f" (longest {result['longest_words']}); LLM answers refused or missing "
            f"{result['llm_fallbacks']}",
            markup=False,
        )
