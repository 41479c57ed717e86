"""Opening the embedded store for a run's writer: the schema at this version's head first,
upgraded in a child process when it is not.

    writer = open_writer(Path(".ticketbot"), account="zendesk:acme.zendesk.com")

``open_writer`` reads the version with ``sqlite3`` (``writer.schema_version``); only when the
store is missing or at another version does it run ``AuditStore.open`` (SQLAlchemy and Alembic,
which create or upgrade the schema under their lock) in a process of its own, started with
``multiprocessing``'s *spawn*: the run itself never imports either, not even on its first
run. A store the child cannot bring to the head (a newer ticketbot's, a full disk) is an
``AuditStoreError`` with the child's reason, as ``AuditStore.open`` would have said it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .writer import FILE_NAME, SCHEMA_VERSION, AuditStoreError, SqliteWriter, schema_version


def open_writer(state_dir: Path, *, account: str = "") -> SqliteWriter:
    """The store in ``state_dir`` for ``account``, created or upgraded first when needed."""
    path = Path(state_dir) / FILE_NAME
    where = f"sqlite:///{path}"
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        version = schema_version(path)
    except (OSError, sqlite3.Error) as exc:
        raise AuditStoreError(
            f"cannot open the audit store {where}: {exc}; check TICKETBOT_DATABASE_URL"
        ) from None
    if version != SCHEMA_VERSION:
        upgrade_in_child(Path(state_dir), where)
    try:
        return SqliteWriter(path, account=account)
    except sqlite3.Error as exc:
        raise AuditStoreError(f"cannot open the audit store {where}: {exc}") from None


def upgrade_in_child(state_dir: Path, where: str) -> None:
    """Create or upgrade the store through ``AuditStore.open`` (SQLAlchemy, Alembic) in a
    spawned process: this process imports neither. Raises ``AuditStoreError`` with the
    child's reason when it fails."""
    import multiprocessing  # here: only a first run (or an upgrade) starts a process

    context = multiprocessing.get_context("spawn")
    reader, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_upgrade, args=(str(state_dir), sender), name="ticketbot-audit-upgrade"
    )
    child.start()
    sender.close()
    try:
        message: object = reader.recv()
    except EOFError:  # the child died before it could say (its traceback is on stderr)
        message = EOFError
    finally:
        reader.close()
        child.join()
    if isinstance(message, str):
        raise AuditStoreError(message)
    if message is not None or child.exitcode != 0:
        raise AuditStoreError(
            f"cannot open the audit store {where}: the schema's upgrade failed "
            f"(its process's exit code {child.exitcode})"
        )


def _upgrade(state_dir: str, sender: Any) -> None:
    """The child's work: open (creating or upgrading) the store, say how it went."""
    from .store import AuditStore  # SQLAlchemy and Alembic: in the child only

    try:
        AuditStore.open(None, state_dir=Path(state_dir)).close()
    except AuditStoreError as exc:
        sender.send(str(exc))
    except Exception as exc:  # noqa: BLE001 - Alembic's own (a store of a newer version): said
        where = f"sqlite:///{Path(state_dir) / FILE_NAME}"
        sender.send(f"cannot open the audit store {where}: {type(exc).__name__}: {exc}")
    else:
        sender.send(None)
    finally:
        sender.close()
