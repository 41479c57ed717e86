"""What agents said on the dashboard's ticket pages, for a run's feature: the tickets on which
each item of one target (a step's name, ``answer``, ``article``) was rated "not helped"
(``ratings`` rows of ``source`` "dashboard", ``dashboard.rating``), read once when the feature
opens.

The embedded store is read through ``sqlite3``, as the run's feed writes it (no SQLAlchemy for
a run that needs none), PostgreSQL through SQLAlchemy when ``TICKETBOT_DATABASE_URL`` names
it. No store yet (a first run) is no rating; a store that cannot be read raises
``AuditStoreError``, which the feature turns into a warning: the tags still count.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .writer import FILE_NAME, AuditStoreError

SaidNotHelped = Mapping[str, frozenset[int]]

_QUERY = (
    "SELECT item, ticket_id FROM ratings WHERE account = ? AND source = 'dashboard'"
    " AND verdict = 'not_helped' AND target = ?"
)


def account_of(helpdesk: str, desks: Mapping[str, Any]) -> str:
    """Whose rows these are in a shared store: the helpdesk's kind and host
    (``zendesk:acme.zendesk.com``); the kind alone when no host is configured."""
    try:
        host = urlsplit(desks[helpdesk].base_url).hostname or ""
    except Exception:  # noqa: BLE001 - an unconfigured helpdesk: the kind alone
        host = ""
    return f"{helpdesk}:{host}" if host else helpdesk


def dashboard_not_helped(
    database_url: str | None, state_dir: Path, account: str, target: str
) -> SaidNotHelped:
    """Per item of ``target``, the tickets an agent rated it "not helped" on, on the dashboard."""
    pairs = (
        _from_embedded(Path(state_dir) / FILE_NAME, account, target)
        if not database_url
        else _from_database(database_url, account, target)
    )
    found: dict[str, set[int]] = {}
    for item, ticket_id in pairs:
        found.setdefault(str(item), set()).add(int(ticket_id))
    return {item: frozenset(ids) for item, ids in found.items()}


def _from_embedded(path: Path, account: str, target: str) -> list[tuple[Any, Any]]:
    if not path.is_file():
        return []
    try:
        # Opened as the feed opens it (and only read): a read-only open of a store in WAL mode
        # needs its -wal and -shm files already there (SQLite's WAL notes).
        conn = sqlite3.connect(path, timeout=5)
        try:
            return list(conn.execute(_QUERY, (account, target)))
        finally:
            conn.close()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):  # a store from before ratings: none yet
            return []
        raise AuditStoreError(f"the audit store's ratings could not be read: {exc}") from exc
    except sqlite3.Error as exc:
        raise AuditStoreError(f"the audit store's ratings could not be read: {exc}") from exc


def _from_database(url: str, account: str, target: str) -> list[tuple[Any, Any]]:
    import sqlalchemy as sa

    from .location import database_url, describe_url
    from .schema import ratings

    r = ratings.c
    statement = sa.select(r.item, r.ticket_id).where(
        r.account == account,
        r.source == "dashboard",
        r.verdict == "not_helped",
        r.target == target,
    )
    engine = sa.create_engine(database_url(url, Path(".")))
    try:
        with engine.connect() as conn:
            return [(row[0], row[1]) for row in conn.execute(statement)]
    except sa.exc.SQLAlchemyError as exc:
        where = describe_url(database_url(url, Path(".")))
        raise AuditStoreError(f"the audit store's ratings could not be read ({where})") from exc
    finally:
        engine.dispose()
