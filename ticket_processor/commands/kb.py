"""``ticketbot kb``: the help-centre index by hand — ``kb sync`` and ``kb eval FILE``.

``kb sync`` also indexes the team's own documents (``TICKETBOT_KNOWLEDGE_DIR``) when set.

A run syncs the index on its own when it is older than ``TICKETBOT_KB_MAX_AGE``; ``kb sync``
does it now (``--full`` lists the whole help centre again into a new file, swapped in), ``kb
eval`` measures the suggestions on a labelled file (``kb.evaluate``), syncing first if the index
was never filled.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..common.atomic import SetAside
from ..kb.index import ArticleIndex
from ..kb.refresh import index_path
from ..run.connect import connect
from ..settings import Settings

if TYPE_CHECKING:
    from ..kb.sync import SyncReport

# The search's evaluation and the encoder (numpy, the model) are imported by the command that
# uses them: ``ticketbot --help`` lists this group without loading either.

kb_app = typer.Typer(help="The help-centre index: sync it, measure its suggestions.")


def _said(aside: SetAside | None) -> None:
    if aside is not None:
        typer.echo(f"set aside a damaged index ({aside.reason}) as {aside.moved_to}", err=True)


def _sync(settings: Settings, index: ArticleIndex) -> SyncReport:
    from ..kb.sync import sync
    from ..learned.embed import embed_texts

    _said(index.set_aside)
    helpdesk = connect(settings)
    try:
        return sync(helpdesk, index, embed=embed_texts)
    finally:
        helpdesk.close()


def _rebuild(settings: Settings) -> SyncReport:
    from ..kb.sync import rebuild
    from ..learned.embed import embed_texts

    helpdesk = connect(settings)
    try:
        report, aside = rebuild(helpdesk, index_path(settings.state_dir), embed=embed_texts)
    finally:
        helpdesk.close()
    _said(aside)
    return report


@kb_app.command("sync")
def kb_sync(
    full: Annotated[bool, typer.Option("--full", help="List the whole help centre again.")] = False,
    solved: Annotated[
        str | None,
        typer.Option(
            "--solved",
            help="Also read the tickets solved since then (`90d`, a date) for the similar "
            "solved tickets in notes; once read, every sync keeps them fresh.",
        ),
    ] = None,
) -> None:
    """Bring the local help-centre index up to date with the helpdesk."""
    from .common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        settings.require_helpdesk()
        # A bad value is refused before the first request, not after the help centre synced.
        first = _solved_since(solved)
        if full:  # a new file, swapped in: nothing of the old one survives
            report = _rebuild(settings)
        index = ArticleIndex(index_path(settings.state_dir))
        try:
            if not full:
                report = _sync(settings, index)
            typer.echo(sync_summary(report))
            if settings.knowledge_dir is not None:
                typer.echo(_sync_documents(index, settings.knowledge_dir))
            for line in _sync_sources(index, settings.state_dir):
                typer.echo(line)
            typer.echo(index_contents(index))
        finally:
            index.close()
        for said in _sync_features(settings, first):
            typer.echo(said)


def _solved_since(since_text: str | None) -> datetime | None:
    """``--solved``'s moment (``90d``, a date), or None when it is not given."""
    from ..common.timespec import parse_moment
    from ..errors import ConfigError

    if since_text is None:
        return None
    now = datetime.now(UTC)
    moment = parse_moment(since_text, now=now, flag="--solved")
    if moment > now:  # the helpdesk's export refused it, said as "saved export position (422)"
        raise ConfigError(
            f"--solved: {since_text!r} is in the future: give a moment back from now, such as "
            "90d or a past date"
        )
    return moment


def _sync_features(settings: Settings, since: datetime | None) -> list[str]:
    """What each feature syncs beside the index (``steps.feature.Feature.kb_sync``), in the
    registry's order: the first time from ``--solved`` (``since``), then from where the last
    sync stopped."""
    from ..features.registry import FEATURES

    found = (
        feature.kb_sync(settings.state_dir, lambda: connect(settings), since)
        for feature in FEATURES
        if feature.kb_sync is not None
    )
    return [said for said in found if said]


def _sync_sources(index: ArticleIndex, state_dir: Path) -> list[str]:
    """Each other source's entries put back in the index (``--full`` starts it empty), as the
    run lists the sources (``kb.sources``); a line for each that has synced entries."""
    from ..features.registry import index_sources

    found = (source(index, state_dir) for source in index_sources())
    return [said for said in found if said]


def _sync_documents(index: ArticleIndex, folder: Path) -> str:
    """The folder synced, each document's path shown as it is read on a terminal (a wrong,
    huge folder is seen at once, not after minutes of silence)."""
    import sys

    from ..kb.documents import summary, sync_documents
    from ..learned.embed import embed_texts

    if not sys.stderr.isatty():
        return summary(sync_documents(index, folder, embed=embed_texts))
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = (SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("reading documents", total=None)
        count = 0

        def shown(name: str) -> None:
            nonlocal count
            count += 1
            progress.update(task, description=f"reading documents: {count}, {escape(name[-60:])}")

        report = sync_documents(index, folder, embed=embed_texts, on_file=shown)
    return summary(report)


def sync_summary(report: SyncReport) -> str:
    """One line saying what the sync did and why an article was not indexed again."""
    kind = "the whole help centre listed" if report.full else "changes since the last sync"
    done = []
    if report.indexed:
        done.append(f"{report.indexed} indexed (new or changed)")
    if report.unchanged:
        done.append(f"{report.unchanged} unchanged since the last sync, kept as indexed")
    if report.removed:
        done.append(f"{report.removed} removed (drafts, archived or deleted)")
    if report.encoded:
        done.append(f"{report.encoded} given passage vectors")
    if not done:
        done.append("nothing changed since the last sync" if report.total else "no article")
    return f"help centre synced ({kind}): {report.listed} listed; {'; '.join(done)}"


def index_contents(index: ArticleIndex) -> str:
    """``42 entries in the index: 39 articles, 3 document sections``: what the index holds once
    every source synced, by kind (each other source names its own, ``StepExtras``), since the
    answers search them all as articles."""
    from ..features.registry import step_extras
    from ..kb.documents import is_document, is_helpdesks

    ids = index.entry_ids()
    kinds = [
        ("article", "articles", is_helpdesks),
        ("document section", "document sections", is_document),
        *(e.index_entries for e in step_extras() if e.index_entries is not None),
    ]
    counted = [(sum(1 for i in ids if owns(i)), one, many) for one, many, owns in kinds]
    held = [f"{n} {one if n == 1 else many}" for n, one, many in counted if n]
    entries = "entry" if len(ids) == 1 else "entries"
    return f"{len(ids)} {entries} in the index" + (f": {', '.join(held)}" if held else "")


@kb_app.command("eval")
def kb_eval(
    file: Annotated[Path, typer.Argument(help="JSON lines with labels.article_id per ticket.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """hit@1 and hit@3 of the suggestions on tickets labelled with the answering article."""
    from ..kb.evaluate import evaluate_file
    from ..learned.embed import embed_texts
    from .common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        index = ArticleIndex(index_path(settings.state_dir))
        try:
            if index.synced_at is None:
                settings.require_helpdesk()
                _sync(settings, index)
            report = evaluate_file(
                index, file, max_tokens=settings.max_input_tokens, embed=embed_texts
            )
        finally:
            index.close()
        figures = report.as_dict()
        if as_json:
            typer.echo(json.dumps(figures))
            return
        for name, value in figures.items():
            typer.echo(f"{name:>13}: {value if value is not None else '-'}")
