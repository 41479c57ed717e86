"""``ticketbot macros``: suggested macros by hand (the feature's own commands, which ``cli.py``
lists by this module's path) — ``macros sync`` and ``macros eval``.

``macros sync`` reads the helpdesk's shared, active macros (Zendesk) or canned responses
(Freshdesk) and its solved tickets of the last half year with their agents' public replies into
the state directory; every ``run`` after it suggests macros, and syncs again when the book is
older than ``TICKETBOT_KB_MAX_AGE``. The macros that may answer a customer (public, their
placeholders renderable, asking for no secret) go into the help-centre index for the answers.
``macros eval`` gives hit@1, hit@3 and how often a ticket answered without a macro got none,
on the latest quarter of the synced history, learning only from what was solved before it
(``macros.evaluate``).
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..run.connect import connect
from ..settings import Settings

# The matching (numpy) and the encoder are imported by the command that uses them:
# ``ticketbot --help`` lists this group without loading either.

macros_app = typer.Typer(help="Suggested macros: sync them and their history, measure them.")


def _sync(settings: Settings) -> str:
    from ..learned.embed import embed_texts
    from .answers import summary
    from .sync import sync_macros

    helpdesk = connect(settings)
    try:
        report = sync_macros(helpdesk, settings.state_dir, embed_texts)
    finally:
        helpdesk.close()
    return (
        f"macros synced: {report.macros} shared active macros; {report.solved} solved tickets "
        f"with an agent's public reply, {report.matched} of them answered with a macro"
        + (f"\n{summary(report.entries)}" if report.entries is not None else "")
    )


@macros_app.command("sync")
def macros_sync() -> None:
    """Read the shared, active macros and the solved history they are learned from."""
    from ..commands.common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        settings.require_helpdesk()
        typer.echo(_sync(settings))


@macros_app.command("eval")
def macros_eval(
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """hit@1 and hit@3 on the latest solved tickets, learning from the earlier ones."""
    from ..commands.common import exit_codes, load
    from .book import exists
    from .book import load as load_book
    from .evaluate import evaluate

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if not exists(settings.state_dir):
            settings.require_helpdesk()
            typer.echo(_sync(settings), err=True)
        figures = evaluate(load_book(settings.state_dir)).as_dict()
        if as_json:
            typer.echo(json.dumps(figures))
            return
        typer.echo(
            f"held out by time: {figures['held_out_with_macro']} tickets answered with a macro, "
            f"hit@1 {_shown(figures['hit_at_1'])}, hit@3 {_shown(figures['hit_at_3'])}; "
            f"{figures['held_out_without_macro']} answered without one, "
            f"{_shown(figures['no_macro_none'])} of them given no suggestion"
        )


def _shown(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"
