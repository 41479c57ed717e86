"""``ticketbot audit``: the audit store by hand — ``audit import LOGDIR`` and ``audit info``.

Runs write the store as they go (``run.audit``); ``import`` loads past JSON-lines logs, so an
installation that ran before the store existed starts with its history (importing twice adds
nothing); ``info`` says which store the settings name, its schema version and its rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..settings import Settings

audit_app = typer.Typer(help="The audit store: import past logs, show what it holds.")

AccountOption = Annotated[
    str | None,
    typer.Option(
        "--account",
        help="The account the rows belong to (default: the helpdesk's kind and host, as runs "
        "store them).",
    ),
]


@audit_app.command("import")
def audit_import(
    log_dir: Annotated[
        Path,
        typer.Argument(help="The directory of ticketbot-YYYY-MM-DD.jsonl files to load."),
    ],
    account: AccountOption = None,
) -> None:
    """Load past JSON-lines logs into the audit store (twice is the same as once)."""
    from ..audit.importer import import_logs
    from ..errors import ConfigError
    from ..run.audit import open_store
    from .common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if not log_dir.is_dir():
            raise ConfigError(f"LOG_DIR: {log_dir} is not a directory of ticketbot logs")
        with open_store(settings, account=account) as store:
            before = store.row_counts()["decisions"]
            result = import_logs(store, log_dir)
            added = store.row_counts()["decisions"] - before
            where = store.where
        # Decisions the store held already are brought up to date, not added again.
        typer.echo(
            f"read {result.events} event(s) from {log_dir}: {result.decisions} decision(s) "
            f"in {where}, {added} of them new"
        )
        if result.corrupt_lines:
            typer.echo(f"skipped {result.corrupt_lines} damaged line(s)", err=True)
        for name in result.skipped_files:
            typer.echo(f"skipped {name}: not a regular file", err=True)


RECENT = 100  # runs ``audit info`` looks at for those with no end


@audit_app.command("info")
def audit_info(account: AccountOption = None) -> None:
    """Which store the settings name, its schema version and its rows per table.

    Runs with no end stored (killed, or running now) are listed with what each triaged.

    The embedded store is checked whole first: a damaged one is said, with how to recover it."""
    from ..audit.damage import ensure_whole
    from ..audit.writer import FILE_NAME
    from ..run.audit import open_store
    from .common import exit_codes, load

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if settings.database_url is None or not settings.database_url.get_secret_value():
            ensure_whole(settings.state_dir / FILE_NAME)
        with open_store(settings, account=account) as store:
            typer.echo(f"store: {store.where}")
            typer.echo(f"schema: {store.version()}")
            typer.echo(f"account: {store.account}")
            for table, rows in store.row_counts().items():
                typer.echo(f"{table}: {rows}")
            # A run killed (kill -9, power loss) stored no end: said, with what it wrote (the
            # next run records the writes it did not live to log), as ``report`` says it.
            open_runs = [r for r in store.recent_runs(limit=RECENT) if r.finished_at is None]
            if open_runs:
                typer.echo(
                    f"runs with no end stored (killed, or running now; of the last {RECENT}): "
                    + ", ".join(f"{r.run_id} ({r.triaged} triaged)" for r in reversed(open_runs))
                )
