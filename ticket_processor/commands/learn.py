"""``ticketbot learn``: train the learned engine on a labelled file and write its model file.

It reuses the commands' settings loading and error-to-exit-code mapping (``common``). Prints
per field the cross-validated macro-F1 (per source and pooled) and the class counts, and warns
about classes with too few examples. A model whose calibration would never apply a field, from
too few rows to tell (``triage.confidence.ENOUGH_ROWS``), is not written unless ``--force``: the
model in use stays, and each such field is named with about how many rows it would take. Nor is
a model that cannot name a field or category the model it replaces can (``promotion.losses``);
with ``--force`` it is, and stderr says what runs can no longer name. The replaced model is kept
for ``--rollback``, which also goes back to the bundled model. A
spinner with the current step on a terminal; nothing but the result under cron.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from ..learned.train import TrainingResult


CLASSES_LISTED = 8


def _calibration(result: TrainingResult, name: str) -> str:
    """ECE of the cross-validated probabilities before and after calibration, and the
    calibrated confidence the field is applied at (95 % of those right in cross-validation)."""
    model = result.model.fields.get(name)
    if model is None or model.calibration is None or not model.ece:
        return "—"
    from ..triage.confidence import NEVER, threshold_text

    at = threshold_text(NEVER if model.apply_at is None else model.apply_at)
    return f"ECE {model.ece['raw']:.3f} before calibration; apply at {at}"


def shortfalls(result: TrainingResult) -> list[str]:
    """One line per field whose calibrated apply threshold came out "never" from too few rows
    to tell whether any confidence is right 95 % of the time (``triage.confidence``)."""
    from ..triage.confidence import rows_needed, shortfall, too_few_rows

    found = []
    for name, model in result.model.fields.items():
        training = result.fields.get(name)
        if model.calibration is None or training is None:
            continue
        if too_few_rows(model.apply_at, len(training.cv_probability)):
            calibrated = [model.calibration(p) for p in training.cv_probability]
            needed = rows_needed(calibrated, training.cv_correct)
            found.append(shortfall(name, len(calibrated), needed))
    return found


def result_table(result: TrainingResult) -> Table:
    table = Table(title="cross-validated macro-F1 and class counts", title_justify="left")
    for heading in ("field", "rows", "pooled", "per source", "calibration", "classes"):
        table.add_column(heading, overflow="fold")
    for name, field in result.fields.items():
        if not field.counts:
            continue
        scores = field.report.scores if field.report else {}
        sources = ", ".join(f"{s} {v.macro_f1:.3f}" for s, v in scores.items() if s != "pooled")
        pooled = "—" if field.cv_macro_f1 is None else f"{field.cv_macro_f1:.3f}"
        counts = ", ".join(f"{k} {v}" for k, v in field.counts.items())
        if len(field.counts) > CLASSES_LISTED:  # subcategories: the largest few, and how many
            largest = sorted(field.counts.items(), key=lambda kv: (-kv[1], kv[0]))
            shown = ", ".join(f"{k} {v}" for k, v in largest[:CLASSES_LISTED])
            counts = f"{len(field.counts)} classes; largest: {shown}, …"
        table.add_row(
            name,
            str(sum(field.counts.values())),
            pooled,
            sources,
            _calibration(result, name),
            counts,
        )
    return table


def _replaced(
    configured: Path | None, state_dir: Path, target: Path, out: Path | None
) -> tuple[str, dict[str, float]] | None:
    """The model the new one replaces, named, with its recorded scores; None when the model
    in use stays (``--out`` elsewhere) and no file is overwritten. Read before writing."""
    from ..learned.choice import model_in_use, recorded_scores

    in_use = model_in_use(configured, state_dir)
    if target.exists():
        name = in_use.describe() if target == in_use.path else f"the model at {target}"
        return name, recorded_scores(target)
    if out is None:  # the state directory's file: every later run uses it, not the bundled one
        return in_use.describe(), recorded_scores(in_use.path)
    return None


def _comparison(
    replaced: tuple[str, dict[str, float]] | None, new: dict[str, float], target: Path
) -> list[tuple[str, bool]]:
    """(line, is a warning): which model the new one replaces and both scores, over the
    fields both record."""
    from ..learned.choice import mean_score, scores_text

    if replaced is None:
        return [
            (
                f"the model in use is unchanged: point TICKETBOT_LEARNED_MODEL at {target} "
                "to use this one",
                False,
            )
        ]
    name, old = replaced
    lines = [
        (f"replaces {name}: {scores_text(old)}", False),
        (f"the new model: {scores_text(new)}", False),
    ]
    common = sorted(set(old) & set(new))
    old_mean = mean_score({k: old[k] for k in common})
    new_mean = mean_score({k: new[k] for k in common})
    if old_mean is not None and new_mean is not None and new_mean < old_mean:
        lines.append(
            (
                f"the new model scores lower than the one it replaces ({new_mean:.3f} < "
                f"{old_mean:.3f} mean cross-validated macro-F1 over {', '.join(common)}), and "
                f"runs use it from now on: delete {target} (or restore the previous file) "
                "to go back",
                True,
            )
        )
    return lines


def _refuse_losses(
    settings: Any,
    taxonomy: Any,
    new: dict[str, tuple[str, ...]],
    target: Path,
    force: bool,
    source: str,
) -> None:
    """A model that cannot name a field or class the model it replaces can is not written
    (ConfigError) unless ``force``, and then the loss is said plainly on stderr. ``new``: what
    the model will name (``train.nameable``), known from the file before it is trained."""
    from ..errors import ConfigError
    from ..learned import load_model
    from ..learned.choice import model_in_use
    from ..learned.promotion import lost_names
    from .common import err_console

    in_use = model_in_use(settings.learned_model, settings.state_dir)
    path = target if target.exists() else in_use.path
    current, _ = load_model(path, taxonomy.names)
    lost = lost_names(new, current) if current is not None else []
    if not lost:
        return
    told = "; ".join(lost)
    if force:
        err_console.print(
            f"[yellow]warning:[/] written with --force: runs now use a model that cannot name "
            f"{escape(told)} (they are never set); 'ticketbot learn --rollback' goes back"
        )
        return
    raise ConfigError(
        f"{source}: not written: the new model cannot name {told}, which the model in use "
        "can; the model runs use is unchanged. Add rows for them, or write it anyway with "
        "--force"
    )


def _promote(
    settings: Any,
    taxonomy: Any,
    rows: list[Any],
    holdout: Path | None,
    target: Path,
    how: tuple[int, bool, bool],
    console: Console,
) -> None:
    """``learn --promote``: the candidate against the model in use, on the same held-out rows;
    ``how``: the folds, whether to use embeddings, and ``--force``."""
    from ..errors import ConfigError
    from ..learned import load_model, save_model
    from ..learned.choice import model_in_use
    from ..learned.labelled_file import load_labelled
    from ..learned.promotion import gate, held_out_scores, install, lost_names, split_held_out
    from ..learned.train import TrainOptions, nameable, train

    folds, embeddings, force = how

    if holdout is not None:
        fitted, held = rows, load_labelled(holdout)
    else:
        fitted, held = split_held_out(rows)
    if not held:
        raise ConfigError("--promote needs held-out labelled tickets: give more rows or --holdout")
    fitted = with_examples(taxonomy, fitted)  # the examples are fitted on, never held out
    options = TrainOptions(
        folds=folds,
        embedding_weight=1.0 if embeddings else 0.0,
        max_input_tokens=settings.max_input_tokens,
    )
    in_use = model_in_use(settings.learned_model, settings.state_dir)
    current, why = load_model(in_use.path, taxonomy.names)
    if current is None and taxonomy.has_examples:
        # No model learned for this taxonomy: runs use the one fitted on its examples, and
        # the candidate must beat that one to take over.
        from ..learned.examples.cache import examples_model

        current, why = examples_model(taxonomy, settings.state_dir)[0], None
    # A candidate short of a field or category the model in use names is refused from the
    # labels, before minutes of training.
    lost = lost_names(nameable(fitted, taxonomy), current) if current is not None else []
    if lost and not force:
        # A refusal the docs give exit 2 for, as a plain learn's (a weekly job must see it).
        raise ConfigError(
            f"not promoted: the candidate cannot name {'; '.join(lost)}, which "
            f"{in_use.describe()} can; it stays in use (--force promotes it all the same)"
        )
    try:
        candidate = train(fitted, taxonomy, options=options).model
    except ValueError as exc:
        raise ConfigError(f"--promote: {exc}") from None
    verdict = gate(
        held_out_scores(candidate, taxonomy, held),
        held_out_scores(current, taxonomy, held) if current is not None else None,
    )
    table = Table(title=f"on {len(held)} held-out labelled tickets", title_justify="left")
    for heading in ("field", "candidate", "in use"):
        table.add_column(heading)
    for name, score in verdict.candidate.items():
        old = verdict.current.get(name)
        table.add_row(name, f"{score:.3f}", "—" if old is None else f"{old:.3f}")
    console.print(table)
    if current is None and why:
        console.print(f"the model in use could not be read ({escape(why)})")
    if not verdict.promote:
        console.print(
            f"not promoted: the candidate is {escape(verdict.reason)}; {in_use.describe()} "
            "stays in use"
        )
        return
    try:
        install(target, lambda path: save_model(candidate, path), verdict, len(held))
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the model: {exc.strerror}") from None
    console.print(
        f"promoted: {escape(verdict.reason)}; written to {escape(str(target))} "
        "('ticketbot learn --rollback' puts the previous one back)"
    )


def with_examples(taxonomy: Any, rows: list[Any]) -> list[Any]:
    """The labelled rows and, when the taxonomy lists examples, its descriptions and examples
    as rows too: what the examples engine learned from stays learned once agents' corrections
    and reviewed tickets join it."""
    if not taxonomy.has_examples:
        return rows
    from ..learned.examples.fit import example_rows

    return [*example_rows(taxonomy), *rows]


def learn(
    data: Annotated[
        Path | None,
        typer.Argument(dir_okay=False, help="Labelled JSON lines (subject, description, labels)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Model file to write [TICKETBOT_LEARNED_MODEL, default <state dir>/"
            "learned-model.zip].",
        ),
    ] = None,
    folds: Annotated[
        int, typer.Option(min=0, max=20, help="Cross-validation folds (0: skip the scores).")
    ] = 5,
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings/--no-embeddings", help="Add sentence embeddings to the n-grams."
        ),
    ] = True,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    from_helpdesk: Annotated[
        bool,
        typer.Option(
            "--from-helpdesk",
            help="Learn from the configured helpdesk's solved and closed tickets instead of DATA.",
        ),
    ] = False,
    since: Annotated[
        str,
        typer.Option(help="With --from-helpdesk: tickets changed since (180d, 2w, or a date)."),
    ] = "180d",
    label: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FIELD=WHERE",
            help="With --from-helpdesk: where a field's label is, FIELD=tag:PREFIX or "
            "FIELD=field:CUSTOM_FIELD (repeatable) [default <prefix>category_ ... tags].",
        ),
    ] = None,
    include_unreviewed: Annotated[
        bool,
        typer.Option(
            "--include-unreviewed",
            help="With --from-helpdesk: keep tickets whose labels ticketbot wrote and nobody "
            "changed.",
        ),
    ] = False,
    promote: Annotated[
        bool,
        typer.Option(
            "--promote",
            help="Train a candidate, score it and the model in use on the same held-out "
            "labelled tickets, and replace the model only if it is worse on no field and "
            "better on one (the replaced one is kept for --rollback).",
        ),
    ] = False,
    holdout: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="With --promote: the held-out labelled tickets (default: a fifth of the data).",
        ),
    ] = None,
    rollback: Annotated[
        bool, typer.Option("--rollback", help="Put the model --promote replaced back.")
    ] = False,
    risk: Annotated[
        bool,
        typer.Option(
            "--risk",
            help="Learn only the risk head, from how solved tickets ended (with "
            "--from-helpdesk: ratings, reopens, escalations; else DATA's rows with an outcome); "
            "written only if it beats the rules' AUC on held-out tickets.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Write even a model that would never apply a field (too few rows) or that "
            "cannot name a field or category the model in use can.",
        ),
    ] = False,
) -> None:
    """Train the learned engine on a labelled JSONL file, or on solved tickets (--from-helpdesk).

    It learns category, urgency and sentiment.
    """
    # One function: a Typer command declares its options in its signature (what --help
    # shows), most of its length; what it does below is short.
    from ..errors import ConfigError
    from ..learned import MODEL_FILE_NAME
    from ..triage.taxonomy import load_taxonomy
    from .common import exit_codes, load

    console = Console(highlight=False)
    with exit_codes():
        settings = load({"taxonomy_file": taxonomy})
        chosen = load_taxonomy(settings.taxonomy_file)
        target = out or settings.learned_model or settings.state_dir / MODEL_FILE_NAME
        if rollback:
            from ..learned.promotion import rollback as roll_back

            try:
                console.print(escape(roll_back(target)))
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            return
        if holdout is not None and not promote:
            raise ConfigError("--holdout goes with --promote")
        if from_helpdesk == (data is not None):
            raise ConfigError("give either a DATA file or --from-helpdesk (one of them)")
        if risk:
            from ..features.registry import learner_of

            learner = learner_of("risk")
            assert learner is not None  # the registry lists the risk
            learner.learn(settings, target, data, since, force=force, console=console)
            return
        how = (folds, embeddings, force)
        if data is None:
            from .learn_helpdesk import learn_from_helpdesk

            learn_from_helpdesk(
                settings,
                chosen,
                target,
                (since, label or [], include_unreviewed),
                lambda examples: learn_labels(
                    settings, chosen, target, None, (promote, holdout, out), how, console, examples
                ),
                force=force,
                console=console,
            )
        elif label or include_unreviewed:
            raise ConfigError("--label and --include-unreviewed go with --from-helpdesk")
        else:
            learn_labels(settings, chosen, target, data, (promote, holdout, out), how, console)


def learn_labels(
    settings: Any,
    chosen: Any,
    target: Path,
    data: Path | None,
    promoting: tuple[bool, Path | None, Path | None],
    how: tuple[int, bool, bool],
    console: Console,
    harvested: Path | None = None,
) -> None:
    """The label model from DATA or from the harvest's training file (``harvested``): promoted
    against the model in use (``--promote``) or trained and written."""
    from ..errors import ConfigError
    from ..learned import save_model
    from ..learned.labelled_file import load_labelled
    from ..learned.promotion import keep_previous
    from ..learned.train import TrainOptions, nameable, train
    from .common import err_console

    promote, holdout, out = promoting
    folds, embeddings, force = how
    source = "--from-helpdesk" if harvested is not None else str(data)
    path = harvested if harvested is not None else data
    assert path is not None
    rows = load_labelled(path)
    if promote:
        _promote(settings, chosen, rows, holdout, target, how, console)
        return
    options = TrainOptions(
        folds=folds,
        embedding_weight=1.0 if embeddings else 0.0,
        max_input_tokens=settings.max_input_tokens,
    )
    rows = with_examples(chosen, rows)
    # What the file can teach is known from its labels: a file short of a field or a category
    # the model in use names is refused now, not after minutes of training.
    expected = nameable(rows, chosen)
    if not expected:
        raise ConfigError(f"{source}: no field has labels of at least two classes to learn from")
    replaced = _replaced(settings.learned_model, settings.state_dir, target, out)
    if replaced is not None:
        _refuse_losses(settings, chosen, expected, target, force, source)
    started = time.perf_counter()
    try:
        if console.is_terminal:
            with console.status("training") as status:
                result = train(rows, chosen, options=options, on_step=status.update)
        else:
            result = train(rows, chosen, options=options)
    except ValueError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    seconds = time.perf_counter() - started
    short = shortfalls(result)
    if short and not force:
        # The model in use stays: one whose calibration says "never" for a field would
        # stop runs applying it (no category: no routing, no escalation), unannounced.
        console.print(result_table(result))
        for line in short:
            err_console.print(f"[yellow]too few rows:[/] {escape(line)}")
        raise ConfigError(
            f"{source}: not written: the model runs use is unchanged; label more rows, or "
            "write it anyway with --force (those fields would then never be applied)"
        )
    try:
        keep_previous(target)
        save_model(result.model, target)
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write the model: {exc.strerror}") from None
    # Lines naming a file are not wrapped: a path cut at the terminal's width cannot be copied.
    head = f"[bold]ticketbot learn[/] {escape(source)}: {len(rows)} rows, {seconds:.1f} s"
    console.print(head, soft_wrap=True)
    console.print(result_table(result))
    for field in result.fields.values():
        for warning in field.warnings:
            err_console.print(f"[yellow]warning:[/] {escape(warning)}")
    console.print(f"model written to {escape(str(target))}", soft_wrap=True)
    new_scores = {
        name: field.cv_macro_f1
        for name, field in result.fields.items()
        if field.cv_macro_f1 is not None
    }
    for line, warn in _comparison(replaced, new_scores, target):
        if warn:
            err_console.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)
        else:
            console.print(escape(line), soft_wrap=True)
