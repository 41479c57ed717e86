"""How ``ticketbot eval`` shows its figures: rich tables on a terminal, or one JSON object.

Per field: a summary table (accuracy and macro-F1 per source and pooled), then per source and
pooled a table of per-class precision / recall / F1 / support with the confusion matrix beside
it (rows are the labels, columns the predictions). The JSON object carries the same figures.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from ..learned.scoring import POOLED, FieldReport, FieldScore
from .labelled import EvalResult

URGENCY_NOTE = (
    "urgency: a predicted 'critical' is scored as 'high' (no urgency label in this file is "
    "'critical')"
)
MACRO_F1_NOTE = "macro-F1: mean F1 over the classes present in the labels"


# Wider than this a confusion table no longer fits a terminal (subcategories: dozens).
CONFUSION_MAX_CLASSES = 16


def _round(value: float) -> float:
    return round(value, 4)


def score_json(score: FieldScore) -> dict[str, Any]:
    return {
        "rows": score.rows,
        "accuracy": _round(score.accuracy),
        "macro_f1": _round(score.macro_f1),
        "per_class": {
            label: {
                "precision": _round(entry.precision),
                "recall": _round(entry.recall),
                "f1": _round(entry.f1),
                "support": entry.support,
            }
            for label, entry in score.per_class.items()
        },
        "confusion": score.confusion,
    }


def field_json(report: FieldReport) -> dict[str, Any]:
    return {
        "out_of_taxonomy": dict(report.out_of_taxonomy),
        "out_of_taxonomy_rows": sum(report.out_of_taxonomy.values()),
        "scores": {scope: score_json(score) for scope, score in report.scores.items()},
    }


def notes(result: EvalResult) -> list[str]:
    """How to read the figures; the urgency note only when critical was folded into high."""
    urgency = result.fields.get("urgency")
    return ([URGENCY_NOTE] if urgency is not None and urgency.scored_as else []) + [MACRO_F1_NOTE]


def result_json(result: EvalResult) -> dict[str, Any]:
    """Everything the tables show, as one JSON-ready object."""
    return {
        "file": result.file,
        "engine": result.engine,
        "rows": result.rows,
        "seconds": round(result.seconds, 3),
        "fallbacks": result.fallbacks,
        "fallback_reasons": dict(result.fallback_reasons),
        "note_language": result.note_language,
        "note_language_share": None
        if result.note_language_share is None
        else _round(result.note_language_share),
        "notes": notes(result),
        "fields": {name: field_json(report) for name, report in result.fields.items()},
        "reliability": {name: r.as_json() for name, r in result.reliability.items()},
        "out_of_scope": None if result.out_of_scope is None else result.out_of_scope.as_json(),
    }


def _scopes(report: FieldReport) -> list[str]:
    """Sources, then pooled, which is left out when it only repeats a single source (none when
    no label of the field was in the taxonomy: nothing was scored)."""
    sources = [scope for scope in report.scores if scope != POOLED]
    return sources if len(sources) <= 1 else [*sources, POOLED]


def summary_table(report: FieldReport) -> Table:
    table = Table(title=f"{report.name}: accuracy and macro-F1", title_justify="left")
    table.add_column("source")
    table.add_column("rows", justify="right")
    table.add_column("accuracy", justify="right")
    table.add_column("macro-F1", justify="right")
    for scope in [s for s in report.scores if s != POOLED] + [POOLED]:
        score = report.scores.get(scope)
        if score is None:
            continue
        style = "bold" if scope == POOLED else None
        table.add_row(
            scope, str(score.rows), f"{score.accuracy:.3f}", f"{score.macro_f1:.3f}", style=style
        )
    return table


def class_table(name: str, scope: str, score: FieldScore) -> Table:
    """Per-class precision, recall, F1 and support (classes with labels or predictions)."""
    table = Table(title=f"{name} · {scope}: per class", title_justify="left")
    table.add_column("class", no_wrap=True)
    for heading in ("precision", "recall", "F1", "support"):
        table.add_column(heading, justify="right", no_wrap=True)
    for label in score.labels:
        entry = score.per_class[label]
        table.add_row(
            label,
            f"{entry.precision:.3f}",
            f"{entry.recall:.3f}",
            f"{entry.f1:.3f}",
            str(entry.support),
        )
    return table


def confusion_table(name: str, scope: str, score: FieldScore) -> Table:
    """Rows are the labels, columns the predictions (headed by the first letters)."""
    table = Table(
        title=f"{name} · {scope}: confusion (row = label, column = predicted)",
        title_justify="left",
    )
    table.add_column("label \\ predicted", no_wrap=True)
    for label in score.labels:
        table.add_column(label[:4], justify="right", no_wrap=True)
    for label in score.labels:
        if score.per_class[label].support == 0:
            continue  # predicted but never labelled: its column says it all
        cells = [str(score.confusion[label][predicted]) for predicted in score.labels]
        table.add_row(label, *cells)
    return table


def reliability_table(result: EvalResult) -> Table:
    """Per field: how well confidence matches accuracy, and what a run would apply."""
    table = Table(
        title="confidence: calibration error, share applied, accuracy applied / suggested",
        title_justify="left",
    )
    for heading in (
        "field",
        "calibrated",
        "ECE",
        "applied",
        "acc. applied",
        "suggested",
        "acc. suggested",
    ):
        table.add_column(heading, justify="left" if heading in ("field", "calibrated") else "right")

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    for name, r in result.reliability.items():
        table.add_row(
            name,
            "yes" if r.calibrated else "no",
            f"{r.ece:.3f}",
            pct(r.applied_share),
            pct(r.applied_accuracy),
            pct(r.suggested_share),
            pct(r.suggested_accuracy),
        )
    return table


def print_result(result: EvalResult, console: Console) -> None:
    """The rich rendering of ``result``."""
    console.print(
        f"[bold]ticketbot eval[/] {result.file}: {result.rows} rows, engine {result.engine}, "
        f"{result.seconds:.2f} s"
    )
    if result.engine == "llm":
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(result.fallback_reasons.items()))
        console.print(
            f"LLM failures that fell back to a local engine: {result.fallbacks}"
            + (f" ({reasons})" if reasons else "")
        )
    for name, report in result.fields.items():
        console.print()
        console.print(summary_table(report))
        if report.out_of_taxonomy:
            values = ", ".join(f"{k!r} x{v}" for k, v in sorted(report.out_of_taxonomy.items()))
            console.print(
                f"[yellow]{sum(report.out_of_taxonomy.values())} {name} label(s) outside the "
                f"taxonomy, not scored:[/] {values}"
            )
        for scope in _scopes(report):
            score = report.scores[scope]
            console.print(class_table(name, scope, score))
            if len(score.labels) <= CONFUSION_MAX_CLASSES:
                console.print(confusion_table(name, scope, score))
            else:
                console.print(
                    f"[dim]{name} · {scope}: {len(score.labels)} classes, too many for a confusion "
                    "table; --json has it.[/]"
                )
    outside = result.out_of_scope
    if outside is not None:
        console.print()
        console.print(
            f"[bold]out of scope[/] ({outside.rows} rows labelled {outside.fallback!r}): recall "
            f"{outside.recall:.1%} ({outside.both} put in {outside.fallback!r}), precision "
            + (
                f"{outside.precision:.1%}"
                if outside.precision is not None
                else "– (none put there)"
            )
            + f" ({outside.predicted} rows put there)"
        )
    if result.reliability:
        console.print()
        console.print(reliability_table(result))
    console.print()
    share = result.note_language_share
    console.print(
        f"notes in the agent's language ({result.note_language}): "
        + (f"{share:.1%}" if share is not None else "not measured (no stopword list for it)")
    )
    kinds = result.fields.get("reply_kind")
    if kinds is not None and POOLED in kinds.scores:
        local = "rules" if result.engine == "rules" else "learned"
        console.print()
        console.print(
            f"[bold]reply kind macro-F1 {kinds.scores[POOLED].macro_f1:.3f}[/] ({local}; a "
            "reply's kind is judged locally whatever the engine)"
        )
    console.print()
    console.print(f"[dim]{'; '.join(notes(result))}.[/]")
