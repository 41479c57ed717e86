"""``ticketbot macros``: suggested macros by hand (the feature's own commands, which ``cli.py``
lists by this module's path) — ``macros sync`` and ``macros eval``.

``macros sync`` reads the helpdesk's shared, active macros (Zendesk) or canned responses
(Freshdesk) and its solved tickets of the last half year with their agents' public replies into
the state directory; every ``run`` after it suggests macros, and syncs again when the book is
older than ``TICKETBOT_KB_MAX_AGE``. The macros that may answer a customer (public, their
placeholders renderable, asking for no secret) go into the help-centre index for the answers.
``macros eval`` gives hit@1, hit@3 and how often a ticket answered without a macro got none,
on the latest quarter of the synced history, learning only from what was solved before it
(``macros.evaluate``); it says when that quarter is too small to mean much. Before any sync it
reads the helpdesk's history into memory and writes nothing: a check must not be what turns
the suggestions on.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from ..run.connect import connect
from ..settings import Settings

if TYPE_CHECKING:
    from .book import MacroBook

# The matching (numpy) and the encoder are imported by the command that uses them:
# ``ticketbot --help`` lists this group without loading either.

macros_app = typer.Typer(help="Suggested macros: sync them and their history, measure them.")


def _sync(settings: Settings) -> str:
    from ..learned.embed import embed_texts
    from .answers import summary
    from .sync import sync_macros

    helpdesk = connect(settings)
    try:
        report = sync_macros(helpdesk, settings.state_dir, embed_texts, prefix=settings.tag_prefix)
    finally:
        helpdesk.close()
    return (
        f"macros synced: {report.macros_said()}; {report.solved} solved tickets "
        f"with an agent's public reply, {report.matched} of them answered with a {report.word}"
        + (f"\n{summary(report.entries)}" if report.entries is not None else "")
    )


def _unsynced_book(settings: Settings) -> MacroBook:
    """What a first sync would read, kept in memory: ``macros eval`` measures a helpdesk never
    synced without writing the book that turns the suggestions on."""
    from ..learned.embed import embed_texts
    from .sync import read_book

    settings.require_helpdesk()
    helpdesk = connect(settings)
    try:
        return read_book(helpdesk, embed_texts)
    finally:
        helpdesk.close()


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
    """hit@1 and hit@3 on the latest solved tickets, learning from the earlier ones.

    On the synced book; without one, on the helpdesk's history read now, writing nothing.
    """
    from ..commands.common import exit_codes, load
    from .book import exists
    from .book import load as load_book
    from .evaluate import evaluate, figures_line

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if exists(settings.state_dir):
            book = load_book(settings.state_dir)
        else:
            book = _unsynced_book(settings)
            typer.echo(
                f"measured on the helpdesk's history read now ({book.matched} of "
                f"{len(book.history)} solved tickets answered with a macro); nothing written: "
                "`ticketbot macros sync` turns the suggestions on",
                err=True,
            )
        figures = evaluate(book).as_dict()
        typer.echo(json.dumps(figures) if as_json else figures_line(figures))
