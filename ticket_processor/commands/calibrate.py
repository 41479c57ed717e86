"""``ticketbot calibrate FILE``: calibrate the configured LLM's confidence per field on a
labelled JSON-lines file (``triage.llm_calibration``), and keep it in the state directory.

Every labelled row goes through the LLM as ``eval --engine llm`` sends it (uncalibrated); for
each field, the rows the LLM answered give (its self-reported confidence, right or wrong). The
fit, the apply threshold (95 % right) and the calibration error before and after are printed and
saved for this model and taxonomy; runs with them use it from then on.

A file too small to show that a field is right 95 % of the time (under 500 rows) would give that
field the threshold "never", and runs would stop applying it (no category: no routing, no
escalation). Such a calibration is refused, saying per field about how many rows it would take,
and the one runs use stays as it was; ``--force`` saves it all the same. ``--reset`` removes the
saved calibration: runs go back to the engine's default (``TICKETBOT_CONFIDENCE_THRESHOLD``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ..settings import Settings
from .common import err_console, exit_codes, load

FIELDS = ("category", "urgency", "sentiment")


def calibrate(
    file: Annotated[
        Path | None,
        typer.Argument(dir_okay=False, help="Labelled JSON lines (id, subject, labels)."),
    ] = None,
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N rows.")] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Save even a calibration that would never apply a field (too few rows).",
        ),
    ] = False,
    reset: Annotated[
        bool,
        typer.Option(
            "--reset", help="Remove the saved calibration: runs go back to the engine's default."
        ),
    ] = False,
) -> None:
    """Calibrate the LLM's confidence per field on labelled tickets (kept in the state dir)."""
    # One function: a Typer command declares its options in its signature (what --help
    # shows), most of its length; what it does below is short.
    from ..errors import ConfigError
    from ..evaluation.labelled import predict
    from ..learned.labelled_file import load_labelled
    from ..resilience.breaker import CircuitBreaker
    from ..run.engines import build_chain, eval_workers
    from ..triage.confidence import threshold_text
    from ..triage.llm_calibration import fit, save
    from ..triage.llm_calibration import reset as remove_calibration
    from ..triage.taxonomy import load_taxonomy

    console = Console(highlight=False)
    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"taxonomy_file": taxonomy})
        if reset:
            if file is not None:
                raise ConfigError("--reset takes no FILE: it removes the saved calibration")
            removed = remove_calibration(settings.state_dir)
            console.print(
                f"removed {escape(str(removed))}"
                if removed is not None
                else "no calibration was saved"
            )
            console.print(
                "runs apply the LLM's fields by its own confidence again "
                f"(TICKETBOT_CONFIDENCE_THRESHOLD, {settings.confidence_threshold})"
            )
            return
        if file is None:
            raise ConfigError("give a labelled FILE to calibrate on (or --reset)")
        if not settings.llm_configured:
            raise ConfigError("no LLM configured: set OPENAI_API_KEY or OPENAI_BASE_URL")
        chosen = load_taxonomy(settings.taxonomy_file)
        workers, auto = eval_workers(settings, "llm")
        chain = build_chain(
            settings,
            chosen,
            "llm",
            workers=workers,
            auto_workers=auto,
            llm_breaker=CircuitBreaker("llm"),
            llm_calibration=False,
        )
        rows = load_labelled(file, limit=limit)
        predictions = predict(rows, chain.chain, preferred="llm", workers=workers)
        raw: dict[str, list[float]] = {name: [] for name in FIELDS}
        correct: dict[str, list[bool]] = {name: [] for name in FIELDS}
        for row, p in zip(rows, predictions, strict=True):
            if p.engine != "llm":
                continue  # a fallback says nothing of the LLM's confidence
            values = {"category": p.category, "urgency": p.urgency, "sentiment": p.sentiment}
            for name in FIELDS:
                if name in row.labels:
                    raw[name].append(p.confidence[name])
                    correct[name].append(values[name] == row.labels[name])
        result = fit(settings.models[0], chosen.names, raw, correct)
        if not result.fields:
            raise ConfigError(
                f"{file}: too few rows the LLM answered to calibrate any field: "
                + "; ".join(result.notes)
            )
        table = Table(title=f"calibration of {escape(result.model)}", title_justify="left")
        for heading in ("field", "rows", "ECE raw", "ECE calibrated", "apply at"):
            table.add_column(heading)
        for name, entry in result.fields.items():
            at = threshold_text(entry.apply_at)
            table.add_row(
                name, str(entry.rows), f"{entry.ece_raw:.3f}", f"{entry.ece_calibrated:.3f}", at
            )
        console.print(table)
        for note in result.notes:
            console.print(f"[yellow]not calibrated:[/] {escape(note)}")
        for line in result.short:
            err_console.print(f"[yellow]too few rows:[/] {escape(line)}")
        if result.short and not force:
            raise ConfigError(
                f"{file}: not saved: the calibration runs use is unchanged; label more rows, "
                "or save it anyway with --force (those fields would then never be applied)"
            )
        path = save(settings.state_dir, result)
        console.print(f"saved to {escape(str(path))}; runs with this model use it from now on")
