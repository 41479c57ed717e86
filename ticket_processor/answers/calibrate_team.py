"""``ticketbot answers calibrate --from-helpdesk``: the gate fitted on the team's own history.

The solved tickets of the window are read through the helpdesk's adapter (``solved_history``:
discovery's pages and pacing, each ticket's public agent replies and the articles they link, as
the kind's folder knows its URLs), labelled (``answers.history``), weighed against the synced
index, and the gate fitted on them replaces the one in use only when it is not worse on the
team's tickets (``answers.team_gate``: cross-validated, ``--force`` to write it all the same).
Nothing leaves the machine: the tickets are read, turned into features, and dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import typer
from rich.markup import escape

from ..models import Helpdesk
from .setup import AnswersSettings


class TeamGateSettings(AnswersSettings, Protocol):
    """The settings the team's gate reads: the answers' and the taxonomy's file."""

    @property
    def taxonomy_file(self) -> Path | None: ...


Read = TypeVar("Read", bound=TeamGateSettings)


def calibrate_from_helpdesk(
    settings: Read,
    since_text: str,
    force: bool,
    open_index: Callable[[Read], Any],
    connect: Callable[[Read], Helpdesk],
    err_console: Any,
) -> None:
    """Fit, judge and (when it is not worse, or ``force``) keep the team's gate, the helpdesk
    checked configured first (by the command); ``open_index``: the synced index, read-only
    (the command's ``_index``); ``connect``: the run's connection to the helpdesk;
    ``err_console``: the commands' stderr."""
    from ..common.timespec import parse_moment
    from ..errors import ConfigError
    from ..learned.embed import embed_texts
    from ..triage.taxonomy import load_taxonomy
    from .history import gate_rows, labelled
    from .setup import read_policy
    from .team_gate import (
        ENOUGH_ROWS,
        cross_validated,
        figures,
        fit_team_gate,
        gate_in_use,
        judge,
        save_team_gate,
    )

    since = int(parse_moment(since_text, now=datetime.now(UTC), flag="--since").timestamp())
    policy = read_policy(settings, load_taxonomy(settings.taxonomy_file))
    index = open_index(settings)
    helpdesk = connect(settings)
    try:
        read = getattr(helpdesk, "solved_history", None)
        if not callable(read):
            raise ConfigError(f"{helpdesk.kind} cannot list its solved tickets' replies")
        known = {article_id for article_id, _ in index.stamps()}
        rows, counts = labelled(read(since), known.__contains__)
        typer.echo(counts.describe())
        weighed = gate_rows(rows, index, embed_texts)
    finally:
        helpdesk.close()
        index.close()
    positives = sum(r.answerable for r in weighed)
    if len(weighed) < ENOUGH_ROWS or positives == 0:
        raise ConfigError(
            f"{len(weighed)} labelled tickets ({positives} linking an article) since "
            f"{since_text}: need {ENOUGH_ROWS} with some linking one to fit a gate; the gate in "
            "use is unchanged"
        )
    threshold = policy.threshold
    candidate = cross_validated(weighed, threshold)
    in_use = gate_in_use(settings.state_dir)
    current_gate: Any = in_use.gate
    if current_gate is None:
        current = figures([0.0] * len(weighed), weighed, threshold)
    else:
        current = figures(
            [current_gate.probability(r.features) for r in weighed], weighed, threshold
        )
    verdict = judge(candidate, current)
    typer.echo(f"the fitted gate, cross-validated on the team's tickets: {candidate.describe()}")
    typer.echo(f"{in_use.describe()} on the same tickets: {current.describe()}")
    if verdict.worse is not None and not force:
        err_console.print(
            f"not written: the fitted gate is worse: {escape(verdict.worse)}; "
            f"{escape(in_use.describe())} stays in use (--force writes it all the same)"
        )
        raise typer.Exit(1)
    if verdict.worse is not None:
        err_console.print(f"[yellow]warning:[/] written with --force: {escape(verdict.worse)}")
    gate = fit_team_gate(weighed)
    path = save_team_gate(
        settings.state_dir,
        gate,
        fitted_at=time.time(),
        tickets=len(weighed),
        cv=candidate,
        since=since,
    )
    typer.echo(f"the team's gate from {len(weighed)} tickets written to {path}: runs use it")
