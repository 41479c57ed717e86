"""``ticketbot taxonomy check``: how well the taxonomy's examples will serve, before a run
writes anything (``learned.examples.check``).

Per field the examples teach: the examples each category has (too few: under 3), the examples
nearer another category's than their own, and the pairs the engine confuses when each example is
predicted by a model fitted without it, with that cross-validated macro-F1. Exit 0 when nothing
was found, 1 when something was (so a CI job can hold a taxonomy change back), 2 for a taxonomy
that cannot be read or lists no examples.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..settings import Settings
from .common import exit_codes, load

taxonomy_app = typer.Typer(help="The taxonomy: check its examples before a run uses them.")
# Listed at most, per finding: the worst first.
SHOWN = 15


@taxonomy_app.command("check")
def check(
    taxonomy: Annotated[
        Path | None, typer.Option(help="Taxonomy TOML [TICKETBOT_TAXONOMY].")
    ] = None,
) -> None:
    """Which categories have too few or too similar examples, and which pairs it confuses."""
    from ..errors import ConfigError
    from ..learned.examples.check import MIN_EXAMPLES, check_taxonomy
    from ..triage.taxonomy import load_taxonomy

    console = Console(highlight=False)
    settings: Settings | None = None
    found = False
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"taxonomy_file": taxonomy})
        chosen = load_taxonomy(settings.taxonomy_file)
        if not chosen.has_examples:
            raise ConfigError(
                "the taxonomy lists no examples: add `examples = [...]` (a few real ticket "
                "texts) to its categories"
            )
        for report in check_taxonomy(chosen):
            total = sum(report.counts.values())
            console.print(
                f"[bold]{report.name}[/]: {len(report.counts)} classes, {total} examples"
                + (
                    f", cross-validated macro-F1 {report.cv_macro_f1:.3f}"
                    if report.cv_macro_f1 is not None
                    else ""
                )
            )
            if report.few:
                listed = ", ".join(f"{c} ({report.counts[c]})" for c in report.few)
                console.print(f"  too few examples (under {MIN_EXAMPLES}): {escape(listed)}")
            for stray in report.strays[:SHOWN]:
                console.print(
                    f"  example of {escape(stray.label)} nearer {escape(stray.nearer)}'s: "
                    f"{escape(stray.text[:100])!r}"
                )
            if len(report.strays) > SHOWN:
                console.print(f"  ... and {len(report.strays) - SHOWN} more such examples")
            for gold, predicted, count in report.confused[:SHOWN]:
                console.print(
                    f"  confused on cross-validation: {escape(gold)} taken for "
                    f"{escape(predicted)} ({count})"
                )
            if len(report.confused) > SHOWN:
                console.print(f"  ... and {len(report.confused) - SHOWN} more confused pairs")
            if report.clean:
                console.print("  nothing to fix")
            found = found or not report.clean
    if found:
        raise typer.Exit(1)
