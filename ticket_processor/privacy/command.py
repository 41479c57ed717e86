"""``ticketbot privacy``: customers' data (the feature's own commands, which ``cli.py`` lists
by this module's path) — ``privacy export`` lists what ticketbot holds about a requester (by
address) or a ticket, where and since when; ``privacy forget`` removes it from every place
(``places.PLACES``), ``--dry-run`` saying what would go; ``privacy keygen`` writes a key file,
``privacy encrypt`` encrypts what was stored before the key was set, ``privacy rotate``
encrypts everything again under a new key. Those that change data hold the run lock, so no run
writes meanwhile."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ..common.sealed import Keyring, installed, key_id, read_key_file
from ..errors import ConfigError
from ..settings import Settings
from .traces import Where

privacy_app = typer.Typer(
    help="Customers' data: what ticketbot holds about one, and forgetting it."
)

Requester = Annotated[
    str | None, typer.Option("--requester", help="The person's e-mail address.", metavar="E-MAIL")
]
TicketId = Annotated[int | None, typer.Option("--ticket", help="A ticket's id.", metavar="ID")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


def _where(settings: Settings) -> Where:
    url = settings.database_url.get_secret_value() if settings.database_url else None
    return Where(settings.state_dir, settings.log_dir, url)


def _request(requester: str | None, ticket: int | None) -> object:
    from .forget import DataRequest

    if not requester and ticket is None:
        raise ConfigError("name the person: --requester E-MAIL or --ticket ID")
    if requester is not None and "@" not in requester:
        raise ConfigError(f"--requester {requester!r} is not an e-mail address")
    return DataRequest(requester.strip() if requester else None, ticket)


@privacy_app.command("export")
def privacy_export(
    requester: Requester = None, ticket: TicketId = None, as_json: AsJson = False
) -> None:
    """What ticketbot holds about a requester or a ticket: where, and since when."""
    from ..commands.common import exit_codes, load
    from .forget import DataRequest, export, text

    with exit_codes():
        request = _request(requester, ticket)
        assert isinstance(request, DataRequest)
        settings = load()
        where = _where(settings)
        report = export(where, request)
        typer.echo(json.dumps(report, indent=2) if as_json else text(report))


@privacy_app.command("forget")
def privacy_forget(
    requester: Requester = None,
    ticket: TicketId = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be removed; change nothing.")
    ] = False,
    as_json: AsJson = False,
) -> None:
    """Remove a requester's (or a ticket's) text and identifiers from every place.

    Decisions stay as counts; --dry-run says what would go and changes nothing."""
    from ..commands.common import exit_codes, load
    from ..state.lock import RunLock
    from .forget import DataRequest, forget, text

    with exit_codes():
        request = _request(requester, ticket)
        assert isinstance(request, DataRequest)
        settings = load()
        where = _where(settings)
        if dry_run:
            report = forget(where, request, dry_run=True, now=time.time())
        else:
            with RunLock(settings.state_dir):
                report = forget(where, request, dry_run=False, now=time.time())
        typer.echo(json.dumps(report, indent=2) if as_json else text(report))


@privacy_app.command("keygen")
def privacy_keygen(
    path: Annotated[Path, typer.Argument(help="Where to write the key file (a new file).")],
) -> None:
    """Write a new encryption key to FILE (mode 0600), for TICKETBOT_ENCRYPTION_KEY_FILE."""
    from ..commands.common import exit_codes
    from ..common.sealed import new_key_text, parse_key

    with exit_codes():
        text = new_key_text()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise ConfigError(
                f"{path} exists: ticketbot never overwrites a key (the data it encrypted would "
                "be lost); name a new file"
            ) from None
        except OSError as exc:
            raise ConfigError(f"cannot write the key file {path}: {exc.strerror}") from None
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        kid = key_id(parse_key(text, str(path))).hex()
        typer.echo(
            f"wrote a new key (id {kid}) to {path}: set TICKETBOT_ENCRYPTION_KEY_FILE={path}, "
            "and keep a copy where the team keeps its secrets: without it, what it encrypted "
            "cannot be read"
        )


def _refuse_while_serving(state_dir: Path) -> None:
    """A running ``serve`` keeps the key it started with: it would go on writing plain text
    after an ``encrypt``, or under the old key after a ``rotate`` (which the new key alone then
    cannot open). Refused before anything is changed, saying how to go on."""
    from ..journal.served import serve_dir
    from ..state.lock import live_holder

    if live_holder(serve_dir(state_dir)) is not None:
        raise ConfigError(
            f"`ticketbot serve` is running on {state_dir}: it writes with the key it started "
            "with; stop it, run this command again, then start serve with the key this command "
            "leaves in place"
        )


def _converted(ring_for: Callable[[Settings], Keyring]) -> None:
    from ..commands.common import exit_codes, load
    from ..state.lock import RunLock
    from .keys import convert

    with exit_codes():
        settings = load(check_keys=False)
        ring = ring_for(settings)
        _refuse_while_serving(settings.state_dir)
        with RunLock(settings.state_dir):
            done = convert(_where(settings), ring)
        typer.echo(
            f"{done.files} state files and {done.rows} audit store rows written under the key "
            f"{key_id(ring.current).hex()}; everything else already was"
        )


@privacy_app.command("encrypt")
def privacy_encrypt() -> None:
    """Encrypt what was stored before the key was set.

    Run it once after setting the key; run again after an interruption, it finishes the rest."""

    def current(settings: Settings) -> Keyring:
        ring = installed()
        if ring is None:
            raise ConfigError(
                "no key: set TICKETBOT_ENCRYPTION_KEY_FILE (`ticketbot privacy keygen FILE` "
                "writes one)"
            )
        return ring

    _converted(current)


@privacy_app.command("rotate")
def privacy_rotate(
    new_key: Annotated[
        Path, typer.Option("--to", help="The new key file (from `privacy keygen`).")
    ],
) -> None:
    """Encrypt everything again under a new key, in place.

    Run again after an interruption, it finishes the rest. Then use the new key file."""

    def rotated(settings: Settings) -> Keyring:
        old = installed()
        if old is None:
            raise ConfigError("no current key: set TICKETBOT_ENCRYPTION_KEY_FILE to the old key")
        fresh = read_key_file(new_key, "privacy rotate --to")
        return Keyring(fresh, (old.current, *old.older))

    _converted(rotated)
