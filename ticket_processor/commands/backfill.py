"""``ticketbot backfill``: the first import or a re-triage of history (``backfill.Backfill``).

Flags to ``BackfillOptions``, the outcome to the console and to an exit code. Registered in
``cli``.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from ..errors import ConfigError
from ..settings import Settings
from .common import environment, err_console, exit_codes, load, scrub
from .render import held_back_parts
from .run import _since

# Under the state directory: one folder of state per shard of a sharded backfill.
SHARDS_DIR = "shards"


def backfill(
    since: Annotated[
        str | None,
        typer.Option(
            show_default="24h",
            help="Start of the history to triage: 24h, 7d or an ISO date (a backfill under "
            "way continues where it is).",
        ),
    ] = None,
    no_batch: Annotated[
        bool,
        typer.Option(
            "--no-batch", help="Triage through the normal path even where a Batch API exists."
        ),
    ] = False,
    batch_size: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=50_000,
            show_default="5000",  # backfill.session.DEFAULT_BATCH_SIZE, not imported at start-up
            help="Tickets a batch at most (never more than TICKETBOT_CACHE_ENTRIES).",
        ),
    ] = None,
    max_runtime: Annotated[
        float | None,
        typer.Option(min=1, help="Stop after this many seconds; progress is saved."),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            metavar="N|auto",
            show_default="auto",
            help="Concurrent tickets on the normal path: a number, or auto [TICKETBOT_WORKERS].",
        ),
    ] = None,
    shard: Annotated[
        str | None,
        typer.Option(
            metavar="I/N",
            help="Take only shard I of N (the tickets whose id is I modulo N), with its own "
            "cursor: N processes together triage each ticket once.",
        ),
    ] = None,
    shards: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=1000,
            help="N shards, this one from JOB_COMPLETION_INDEX (a Kubernetes Indexed Job).",
        ),
    ] = None,
) -> None:
    """Triage past tickets, through the LLM's Batch API at half price where it has one.

    Run it again to collect the answers; without a Batch API it takes the normal path.
    """
    from ..backfill.backfill import run_backfill
    from ..backfill.session import DEFAULT_BATCH_SIZE, BackfillOptions

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load({"workers": workers})
        chosen = _shard(shard, shards)
        audit_dir = settings.state_dir
        if chosen is not None:
            # Each shard keeps its own cursor, journal and lock: shards run side by side. Its
            # decisions go to the one audit store (``audit_dir``), where report and revert look.
            index, count = chosen
            shard_dir = settings.state_dir / SHARDS_DIR / f"{index}-of-{count}"
            settings = settings.model_copy(update={"state_dir": shard_dir})
        options = BackfillOptions(
            since=_since(since),
            use_batch=not no_batch,
            batch_size=batch_size or DEFAULT_BATCH_SIZE,
            max_runtime=max_runtime,
            shard=chosen,
            audit_dir=audit_dir,
        )
        result = run_backfill(
            settings,
            options,
            on_notice=lambda line: err_console.print(
                f"[yellow]note:[/] {escape(line)}", soft_wrap=True
            ),
        )
        for note in result.notes:
            err_console.print(f"[yellow]note:[/] {escape(scrub(note, settings.secrets))}")
        # What the slices held back, in the words and order a run's line uses, set apart from
        # the sentence before it (glued on, "since the start low_confidence=5" read as one).
        held = " ".join(held_back_parts(result.held_back))
        line = f"{result.message}; held back for an agent: {held}" if held else result.message
        typer.echo(scrub(line, settings.secrets))
    raise typer.Exit(int(result.exit_code))


def _shard(shard: str | None, shards: int | None) -> tuple[int, int] | None:
    """``--shard I/N``, or ``--shards N`` with the index Kubernetes gives an Indexed Job's pod."""
    from ..writeback.scope import parse_shard

    if shard is not None and shards is not None:
        raise ConfigError("give --shard I/N or --shards N (with JOB_COMPLETION_INDEX), not both")
    if shard is not None:
        return parse_shard(shard)
    if shards is None:
        return None
    index = environment().get("JOB_COMPLETION_INDEX")
    if index is None:
        raise ConfigError(
            "--shards N takes this shard's index from JOB_COMPLETION_INDEX (set by a Kubernetes "
            "Indexed Job); elsewhere give --shard I/N"
        )
    return parse_shard(f"{index}/{shards}")
