"""``ticketbot learn --from-helpdesk``: read the helpdesk's solved tickets into a training file.

The command's side of ``learned.harvest``: connects to the configured helpdesk (settings become
an adapter here, in the command, not in the learned engine), shows a progress bar on a terminal
(nothing under cron), and prints what was kept, what was left out and what it cost in requests.
``learn_from_helpdesk`` then trains on the file exactly as ``ticketbot learn FILE`` does
(``commands.learn.learn_labels``, with or without ``--promote``) and learns the risk head from
how the same tickets ended (each feature's ``learner``: ``risk.command``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from ..audit.feed import CorrectionFeed
from ..audit.store import AuditStoreError
from ..common.timespec import parse_moment
from ..errors import ConfigError
from ..exitcodes import ExitCode
from ..learned.harvest import Harvest, HarvestCounts, HarvestOptions
from ..learned.labelled_file import allowed_values
from ..learned.labels import label_specs
from ..run.audit import open_store
from ..run.connect import connect
from ..settings import Settings
from ..state.ledger import RunLedger
from ..triage.taxonomy import Taxonomy


def describe(counts: HarvestCounts) -> str:
    """One line: what the harvest read, kept and left out."""
    return (
        f"{counts.seen} tickets read, {counts.solved} solved or closed: {counts.examples} "
        f"labelled examples, {counts.unreviewed} unreviewed (ticketbot's labels, unchanged) "
        f"left out, {counts.unlabelled} without labels"
    )


def cost(counts: HarvestCounts) -> str:
    per = (counts.pages + counts.notes_read) / counts.seen if counts.seen else 0.0
    return (
        f"requests: {counts.pages} ticket pages + {counts.notes_read} note reads "
        f"(one per solved ticket carrying the processed marker) = {per:.3f} a ticket"
    )


def _corrections(settings: Settings, console: Console) -> CorrectionFeed | None:
    try:
        return CorrectionFeed(open_store(settings))
    except AuditStoreError as exc:
        console.print(f"[yellow]note:[/] agents' corrections not stored: {escape(str(exc))}")
        return None


def _close(corrections: CorrectionFeed, console: Console) -> None:
    try:
        corrections.flush()
    except AuditStoreError as exc:
        console.print(f"[yellow]note:[/] agents' corrections not stored: {escape(str(exc))}")
    finally:
        corrections.store.close()


def harvest_examples(
    settings: Settings,
    taxonomy: Taxonomy,
    since: str,
    labels: Sequence[str],
    include_unreviewed: bool,
    *,
    console: Console | None = None,
) -> Harvest | None:
    """The finished harvest (its ``examples_path`` is the training file), or None when it
    stopped before the end (the next ``learn --from-helpdesk`` continues)."""
    console = console or Console(highlight=False)
    now = datetime.now(UTC)
    start = parse_moment(since, now=now, flag="--since")
    options = HarvestOptions(
        since=int(start.timestamp()),
        specs=label_specs(settings.tag_prefix, labels),
        allowed=allowed_values(taxonomy),
        prefix=settings.tag_prefix,
        include_unreviewed=include_unreviewed,
        since_text=since.strip(),
    )
    ledger = RunLedger(settings.state_dir)  # where the harvest keeps its place
    # What agents changed on tickets ticketbot triaged goes to the audit store's corrections.
    corrections = _corrections(settings, console)
    helpdesk = connect(settings)
    try:
        if console.is_terminal:
            columns = (
                TextColumn("reading solved tickets"),
                BarColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as progress:
                task = progress.add_task("", total=None)

                def shown(counts: HarvestCounts) -> None:
                    progress.update(task, description=f"{counts.seen} read, {counts.examples} kept")

                harvest = Harvest(helpdesk, ledger, options, on_page=shown, on_compared=corrections)
                finished = harvest.run()
        else:
            harvest = Harvest(helpdesk, ledger, options, on_compared=corrections)
            finished = harvest.run()
    except KeyboardInterrupt:
        console.print("interrupted: the same command continues from the last page read")
        raise
    finally:
        helpdesk.close()
        if corrections is not None:
            _close(corrections, console)
    counts = harvest.counts
    for notice in counts.notices:
        console.print(f"[yellow]note:[/] {escape(notice)}")
    resumed = " (resumed)" if counts.resumed else ""
    console.print(f"[bold]{helpdesk.kind}[/] since {start:%Y-%m-%d}{resumed}: {describe(counts)}")
    console.print(cost(counts))
    if finished is None:
        console.print("stopped before the end: run the same command again to continue")
        return None
    if counts.examples == 0:
        raise ConfigError(
            "no labelled solved tickets to learn from: check --since and --label "
            f"(default tags {settings.tag_prefix}category_*, ...)"
        )
    return harvest


def learn_from_helpdesk(
    settings: Settings,
    taxonomy: Taxonomy,
    target: Path,
    harvesting: tuple[str, list[str], bool],
    learn_labels: Callable[[Path], None],
    *,
    force: bool,
    console: Console,
) -> None:
    """``learn --from-helpdesk`` (with or without ``--promote``): the label model from the
    solved tickets' labels (``learn_labels`` on the harvest's training file: the command's
    ``commands.learn.learn_labels``), then the risk head from how the same tickets ended,
    whatever became of the label model (no labels, too few rows, not promoted): each says what
    it did, and a label model that failed still fails the command once the risk head is
    learned."""
    from ..features.registry import learners
    from .common import err_console

    since, labels, include_unreviewed = harvesting
    failed: ConfigError | None = None
    try:
        harvest = harvest_examples(settings, taxonomy, since, labels, include_unreviewed)
        if harvest is None:
            # interrupted: the ledger keeps what was read; the next run learns both
            raise typer.Exit(ExitCode.ABORTED)
        learn_labels(harvest.examples_path)
        harvest.discard()  # the training file holds ticket text: gone once the model is
    except ConfigError as exc:
        failed = exc
        err_console.print(f"[yellow]label model not learned:[/] {escape(str(exc))}")
    # How the same solved tickets ended: the risk head, beside the model, under the same rule
    # (written only when it beats the rules' and the head in use's held-out AUC; --force
    # overrides). Too few outcomes leave the rules deciding: said, not fatal.
    for learner in learners():
        try:
            learner.learn(settings, target, None, since, force=force, console=console)
        except ConfigError as exc:
            err_console.print(f"[yellow]{learner.what} not learned:[/] {escape(str(exc))}")
    if failed is not None:
        raise failed
