"""``ticketbot eval``: score an engine on a labelled JSON-lines file
(``evaluation.labelled``); a file whose rows name the answering article (``answer_article``)
scores the answers a send-mode run would give (the feature's ``scores_file``).

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

    if grouping:  # the incident grouping's scores, no engine
        _eval_grouping(file, as_json=as_json)
        return
    # A feature's own scores (``--spam``, ``--summaries``, ``--risk``), each the feature's.
    option = "spam" if spam else "summaries" if summaries else "risk" if risk else None
    if option is not None:
        from ..features.registry import evaluation
        from ..steps.feature import EvalAsk

        scores = evaluation(option)
        assert scores is not None  # the registry lists the feature of each option
        scores(EvalAsk(file, as_json=as_json, llm=engine == "llm", limit=limit, model=model))
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
        from ..features.registry import file_scores

        feature_scores = file_scores(file)
        if feature_scores is not None:  # a feature's rows (the answers': the answering article)
            feature_scores(settings)
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
