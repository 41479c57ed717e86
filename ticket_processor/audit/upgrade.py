"""Opening the embedded store for a run's writer: the schema at this version's head first,
made with sqlite3 when the store is new, upgraded in a child process when it is behind.

    writer = open_writer(Path(".ticketbot"), account="zendesk:acme.zendesk.com")

``open_writer`` reads the version with ``sqlite3`` (``writer.schema_version``). A store with no
schema yet (a first run's) is made at the head with the statements the migrations leave
(``head_schema``, written by ``python -m scripts.figures audit_head_schema`` from a store Alembic
created; a test holds the two equal). A store at another version is upgraded by ``AuditStore.open``
(SQLAlchemy and Alembic, under their lock) in a process of its own, a fresh interpreter of
this package: the run itself never imports either. A store the child cannot bring to the head
(a newer ticketbot's, a full disk) is an ``AuditStoreError`` with the child's reason, as
``AuditStore.open`` would have said it.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import NoReturn

from ..common.atomic import unwritable
from ..common.sqlite_wal import enter_wal
from . import head_schema
from .damage import AuditStoreDamaged, is_damage, probe
from .writer import (
    BUSY_TIMEOUT_MS,
    FILE_NAME,
    SCHEMA_VERSION,
    AuditStoreError,
    SqliteWriter,
    schema_version,
)


def open_writer(state_dir: Path, *, account: str = "") -> SqliteWriter:
    """The store in ``state_dir`` for ``account``, created or upgraded first when needed."""
    path = Path(state_dir) / FILE_NAME
    where = f"sqlite:///{path}"
    try:
        Path(state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise AuditStoreError(
            f"cannot open the audit store {where}: TICKETBOT_STATE_DIR: cannot create "
            f"{state_dir} ({exc.strerror or exc}): point it at a writable directory"
        ) from None
    # The embedded store lives in the state directory (TICKETBOT_DATABASE_URL is not set): a
    # directory it cannot write is what to name, not sqlite's "unable to open database file".
    problem = unwritable(Path(state_dir), "TICKETBOT_STATE_DIR")
    if problem:
        raise AuditStoreError(f"cannot open the audit store {where}: {problem}")
    try:
        version = schema_version(path)
    except (OSError, sqlite3.Error) as exc:
        if is_damage(exc):
            raise AuditStoreDamaged(path, str(exc)) from None
        raise AuditStoreError(
            f"cannot open the audit store {where}: {exc}; it lives in TICKETBOT_STATE_DIR "
            "unless TICKETBOT_DATABASE_URL names another store"
        ) from None
    if version is None and _create_at_head(path, where):
        version = SCHEMA_VERSION
    if version != SCHEMA_VERSION:
        upgrade_in_child(Path(state_dir), where)
    # A store damaged inside opens and reads its version: the pages a run writes next say it.
    probe(path)
    try:
        return SqliteWriter(path, account=account)
    except sqlite3.Error as exc:
        raise AuditStoreError(f"cannot open the audit store {where}: {exc}") from None


def _create_at_head(path: Path, where: str) -> bool:
    """Make a store with no schema yet (a first run's) at the head with sqlite3 alone: the
    statements the migrations leave (``head_schema``), the version, then ``ANALYZE`` as
    Alembic's upgrade ends, in one ``BEGIN IMMEDIATE`` transaction (a second process waits for
    it, then finds the store made). False when the statements are not this version's or the
    file holds tables already (a store another way): the child upgrades it then."""
    if head_schema.VERSION != SCHEMA_VERSION:
        return False
    try:
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            enter_wal(conn)
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("SELECT 1 FROM sqlite_master").fetchone() is not None:
                    conn.execute("ROLLBACK")
                    return schema_version(path) == SCHEMA_VERSION
                for statement in head_schema.STATEMENTS:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO alembic_version (version_num) VALUES (?)", (SCHEMA_VERSION,)
                )
                conn.execute("ANALYZE")
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise AuditStoreError(f"cannot open the audit store {where}: {exc}") from None
    return True


def upgrade_in_child(state_dir: Path, where: str) -> None:
    """Create or upgrade the store through ``AuditStore.open`` (SQLAlchemy, Alembic) in a
    child interpreter of this very package: this process imports neither (nor
    ``multiprocessing``, whose *spawn* cost a first run 1 MB). Raises ``AuditStoreError`` with
    the child's reason when it fails."""
    import subprocess

    # This very package first, whatever the working directory holds.
    package_root = str(Path(__file__).resolve().parents[2])
    try:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, package_root, str(state_dir)],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except OSError as exc:
        raise AuditStoreError(
            f"cannot open the audit store {where}: cannot start the schema's upgrade: {exc}"
        ) from None
    said = done.stdout.decode("utf-8", "replace").strip().splitlines()
    if done.returncode == 0 and said and said[-1] == OK:
        return
    reason = said[-1] if said and said[-1] != OK else ""
    if reason.startswith(REASON):
        raise AuditStoreError(reason[len(REASON) :])
    raise AuditStoreError(
        f"cannot open the audit store {where}: the schema's upgrade failed "
        f"(its process's exit code {done.returncode})"
    )


CHILD = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from ticket_processor.audit.upgrade import child; child(sys.argv[2])"
)
# What the child prints, one line: the store is at the head, or why not.
OK = "ticketbot-audit-upgrade: ok"
REASON = "ticketbot-audit-upgrade: "


def child(state_dir: str) -> NoReturn:
    """The child process: ``upgrade``, then the process ends without the interpreter's teardown
    (freeing SQLAlchemy's and Alembic's modules one by one: about 0.2 s of CPU, a fifth of the
    child's, on every first run). Nothing is left for a teardown to do: the store's engine is
    disposed, no thread or ``atexit`` duty of ours runs here, and the streams are flushed."""
    import os

    code = upgrade(state_dir)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def upgrade(state_dir: str) -> int:
    """The child's work (``CHILD``): open (creating or upgrading) the store, say how it went."""
    from .store import AuditStore  # SQLAlchemy and Alembic: in the child only

    try:
        AuditStore.open(None, state_dir=Path(state_dir)).close()
    except AuditStoreError as exc:
        print(REASON + " ".join(str(exc).split()), flush=True)
        return 1
    except Exception as exc:  # noqa: BLE001 - Alembic's own (a store of a newer version): said
        where = f"sqlite:///{Path(state_dir) / FILE_NAME}"
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        print(f"{REASON}cannot open the audit store {where}: {detail}", flush=True)
        return 1
    print(OK, flush=True)
    return 0
