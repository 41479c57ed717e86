"""What every ``ticketbot`` command shares: settings loading and errors to exit codes.

Owns the engine choices (``EngineChoice``), the stderr console, the ``--env-file`` / ``--account``
selection the root callback records, ``load`` (settings once, warnings printed, logging set up),
``scrub`` and ``exit_codes`` (the one place where errors become exit codes: 0 success, 1 run
aborted, 2 configuration or usage error, 3 some tickets failed, 130 / 143 stopped by a signal). The
command modules (``run``, ``ops``, ...) and ``cli`` import from here.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from ..common import sealed
from ..common.scrub import Scrubber
from ..errors import ConfigError, EncryptionKeyError, LockHeldError, TicketBotError, either
from ..exitcodes import ExitCode
from ..models import ENGINES, Engine
from ..ops.logsetup import configure_logging_for
from ..run.connect import load_settings
from ..settings import Settings
from .console import Output, escape

ENGINE_METAVAR = "[" + "|".join(ENGINES) + "]"

_THREADS_LEFT_RUNNING = threading.Event()


def exit_leaving_threads(code: int) -> None:
    """Exit with ``code`` although threads of ours are still running (analyses a stop's grace
    abandoned): the console script (``cli.main``) then ends the process without waiting for
    them. Only the console script does: a program that runs the app in its own process (a
    test's ``CliRunner``, an orchestrator's task) gets the code as ``typer.Exit`` and lives on,
    where ending the process would take the caller down with it."""
    _THREADS_LEFT_RUNNING.set()
    raise typer.Exit(code)


def threads_left_running() -> bool:
    """Whether a command exited through ``exit_leaving_threads``."""
    return _THREADS_LEFT_RUNNING.is_set()


def engine_choice(value: str) -> Engine:
    """``--engine``'s parser: one of ``models.ENGINES``, the names the log, the tags and the
    predictions use. A value outside them is one line that names the engines."""
    for engine in ENGINES:
        if value == engine:
            return engine
    raise typer.BadParameter(f"{value!r} is not {either(list(ENGINES))}") from None


err_console = Output(stderr=True, highlight=False, soft_wrap=True)

_ENV_FILE: list[Path] = []  # --env-file, set by the root callback
_ACCOUNT: list[str] = []  # --account, set by the root callback


def env_file_path() -> Path:
    return _ENV_FILE[0] if _ENV_FILE else Path(".env")


def account_flag() -> str | None:
    """``--account``'s value, when given."""
    return _ACCOUNT[0] if _ACCOUNT else None


def environment() -> dict[str, str]:
    """The process environment, with the selected account's profile laid over it.

    ``--account NAME`` (or ``TICKETBOT_ACCOUNT``) picks a profile of ``accounts.toml``
    (``TICKETBOT_ACCOUNTS`` names another file). In a CronJob rendered by ``schedule --accounts``
    the profile's values are already in the environment and ``TICKETBOT_ACCOUNT`` only names
    it: without an accounts file that is fine, but ``--account`` without one is an error.
    """
    name = _ACCOUNT[0] if _ACCOUNT else os.environ.get("TICKETBOT_ACCOUNT")
    if not name:
        return dict(os.environ)
    path = Path(os.environ.get("TICKETBOT_ACCOUNTS") or "accounts.toml")
    if not path.is_file():
        if _ACCOUNT:
            raise ConfigError(
                f"--account {name}: no accounts file at {path} (set TICKETBOT_ACCOUNTS)"
            )
        return dict(os.environ)
    from ..ops.accounts import account_environ

    return account_environ(os.environ, path, name)


def load(
    overrides: dict[str, Any] | None = None,
    env_file: Path | None = None,
    *,
    check_keys: bool = True,
) -> Settings:
    """Read the settings once (flag > account profile > environment > .env > default);
    print their warnings once (stderr, and a ``configuration_warning`` event in the log) and
    send library warnings to the log, scrubbed."""
    settings = load_settings(
        environment(), env_file=env_file or env_file_path(), overrides=overrides
    )
    install_keys(settings, check=check_keys)
    handler = configure_logging_for(
        settings.log_dir, settings.scrubber(), on_terminal=err_console.is_terminal
    )
    for warning in settings.warnings:
        err_console.print(f"[yellow]configuration warning:[/] {escape(warning)}")
        if handler.sink is not None:
            handler.sink.emit("configuration_warning", level="warning", message=warning)
    return settings


def install_keys(settings: Settings, *, check: bool = True) -> None:
    """The encryption key the settings name, installed for this process (``common.sealed``):
    customers' data is written encrypted and read back; none set: none installed."""
    key = settings.encryption_key.get_secret_value() if settings.encryption_key else None
    ring = sealed.keyring_from(settings.encryption_key_file, key)
    sealed.install(ring)
    if check:  # not for `privacy rotate`, whose own ring opens a rotation cut short
        keys_open_state(settings.state_dir, ring)


def keys_open_state(state_dir: Path, ring: sealed.Keyring | None) -> None:
    """Refuse at once, before anything is read or written, a state directory whose encrypted
    files the key given cannot open (none given, or another): the error names the file."""
    from ..features.registry import FEATURES

    for name in (name for feature in FEATURES for name in feature.sealed_files):
        path = Path(state_dir) / name
        if not path.is_file():
            continue
        try:
            with path.open("rb") as handle:
                head = handle.read(len(sealed.MAGIC))
                if not sealed.is_sealed(head):
                    continue
                data = head + handle.read()
        except OSError:
            continue  # the sweep and the file's reader say what is wrong with it
        if ring is None:
            sealed.open_bytes(data, str(path))  # raises: encrypted, and no key
        else:
            ring.open(data, str(path))
        return  # one file opened with the key given: the key is the directory's


def scrub(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret (and URL credentials) masked: the one ``Scrubber``."""
    return Scrubber(secrets).text(text)


@contextmanager
def exit_codes(
    secrets: Callable[[], tuple[str, ...]] = tuple,
    *,
    config_code: int = ExitCode.CONFIG,
    key_code: int = ExitCode.KEY,
) -> Iterator[None]:
    """Turn ticketbot errors into one clean line on stderr and the documented exit code
    (``health`` gives its own for a configuration or key error: a monitoring plugin's 3).

    Messages quote paths, flags and servers' error bodies: escaped, so a ``[/]`` in them is
    printed, not taken as rich markup (which would crash the command with a MarkupError).
    """
    try:
        yield
    except LockHeldError as exc:
        err_console.print(f"ticketbot: {escape(str(exc))}")
        raise typer.Exit(ExitCode.OK) from None
    except ConfigError as exc:
        said = str(exc)
        if _ENV_FILE:  # the settings come from --env-file: the fix goes there, not in .env
            said = said.replace(" in .env ", f" in {_ENV_FILE[0]} ")
        err_console.print(f"[red]configuration error:[/] {escape(scrub(said, secrets()))}")
        raise typer.Exit(config_code) from None
    except TicketBotError as exc:
        err_console.print(f"[red]error:[/] {escape(scrub(str(exc), secrets()))}")
        code = key_code if isinstance(exc, EncryptionKeyError) else exc.exit_code
        raise typer.Exit(code) from None
    except KeyboardInterrupt:
        err_console.print("interrupted")
        raise typer.Exit(ExitCode.INTERRUPTED) from None
    except OSError as exc:
        # What a file, a directory or the disk refused and no layer below translated: one line
        # naming what and where, never a traceback.
        err_console.print(f"[red]error:[/] {escape(scrub(os_error_line(exc), secrets()))}")
        raise typer.Exit(ExitCode.ABORTED) from None
    except sqlite3.Error as exc:
        err_console.print(
            f"[red]error:[/] the help-centre index could not be used ({escape(str(exc))}): "
            "free space on its disk, or delete kb.sqlite3 in the state directory (the next "
            "sync rebuilds it)"
        )
        raise typer.Exit(ExitCode.ABORTED) from None
    except RecursionError:
        err_console.print(
            "[red]error:[/] an input file is nested too deeply to read: check the files "
            "ticketbot reads (routes.toml, taxonomy.toml, the learned model) for a damaged one"
        )
        raise typer.Exit(ExitCode.ABORTED) from None


def os_error_line(exc: OSError) -> str:
    """An ``OSError`` as one line: what failed, on which file, and what to do."""
    where = f" ({exc.filename})" if exc.filename else ""
    why = exc.strerror or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        fix = "free space on that disk"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        fix = "make it writable by the user running ticketbot"
    else:
        fix = "check that file and its directory"
    return f"{why}{where}: {fix}"


def json_text(data: object) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, default=str)
