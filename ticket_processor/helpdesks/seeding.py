"""``ticketbot seed``'s flow for any helpdesk: pick the tickets, hand them to the kind's seed
with a progress bar, say what was made.

The helpdesk is already connected (and checked to be a sandbox, or allowed with ``--yes``) by
the command; what creating looks like in one helpdesk is its kind's ``seed`` (``registry``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ..common.scrub import display_url
from ..errors import ConfigError
from ..models import Helpdesk
from .registry import KINDS
from .samples import (
    DEFAULT_COUNT,
    SeedOutcome,
    SeedResult,
    SeedTicket,
    cycle,
    load_samples,
    read_file,
)


def seed_with_progress(
    helpdesk: Helpdesk, tickets: Sequence[SeedTicket], *, samples: bool, console: Console
) -> SeedOutcome:
    """Seed through the helpdesk's kind; a progress bar when ``console`` is a terminal."""
    seeder = KINDS[helpdesk.kind].seeder()
    if not console.is_terminal:
        return seeder(helpdesk, tickets, samples=samples)
    with Progress(
        TextColumn("creating tickets"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("seed", total=len(tickets))
        return seeder(
            helpdesk, tickets, samples=samples, on_progress=lambda n: progress.advance(task, n)
        )


def run_seed(
    helpdesk: Helpdesk, *, count: int | None, source: Path | None, console: Console
) -> SeedResult:
    """The ``seed`` command: pick the tickets, create them, say what happened. Raises
    ``ConfigError`` when there is nothing to create."""
    if source is not None:
        found = read_file(source)
        for problem in found.problems:
            console.print(f"[yellow]skipped[/] {escape(source.name)} {escape(problem)}")
        tickets = found.tickets[:count] if count is not None else found.tickets
        if not tickets:
            raise ConfigError(f"--from: {source} holds no usable ticket")
    else:
        tickets = cycle(load_samples(), count if count is not None else DEFAULT_COUNT)
    outcome = seed_with_progress(helpdesk, tickets, samples=source is None, console=console)
    where = display_url(helpdesk.base_url)  # never the user:password of a URL setting
    result = outcome.result
    span = result.id_range
    if span is not None:
        console.print(
            f"Created {len(result.created_ids)} tickets in {escape(where)} "
            f"(ids {span[0]}-{span[1]})."
        )
    else:
        console.print(f"Created no ticket in {escape(where)}.")
    if outcome.groups:
        console.print(f"Groups with agents for routing: {escape(', '.join(outcome.groups))}.")
    if outcome.articles:
        console.print(f"Created a sample help centre of {outcome.articles} articles.")
    # After the tickets' line: the solved history's tickets come after them, by id too.
    for line in outcome.said:
        console.print(escape(line))
    if result.existing:
        console.print(
            f"{result.existing} of the {len(tickets)} tickets were there already (an earlier "
            "seed made them): not created again."
        )
    for ticket, reason in result.failed[:10]:
        # Subjects and reasons are ticket text: never let them act as rich markup.
        console.print(f"[red]failed:[/] {escape(repr(ticket.subject[:60]))}: {escape(reason)}")
    if len(result.failed) > 10:
        console.print(f"[red]... and {len(result.failed) - 10} more failed[/]")
    if result.failed:
        console.print(
            f"[red]{len(result.failed)} of the {len(tickets)} tickets were not created[/] "
            f"({len(result.created_ids)} created now, {result.existing} there before). Run the "
            "same `ticketbot seed` again to create only the missing ones: the tickets made are "
            "recognised, not made twice."
        )
    return result
