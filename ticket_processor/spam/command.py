"""``ticketbot eval --spam``: the spam gate's scores on a labelled file (``spam.labelled``)."""

from __future__ import annotations

import typer
from rich.console import Console

from ..steps.feature import EvalAsk


def eval_spam(ask: EvalAsk) -> None:
    """The spam gate's precision and recall, and the customers' tickets it took for spam."""
    import orjson

    from ..commands.common import exit_codes
    from .labelled import evaluate_spam

    with exit_codes(lambda: ()):
        result = evaluate_spam(ask.file)
        if ask.as_json:
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
