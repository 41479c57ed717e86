"""The shared database (``TICKETBOT_DATABASE_URL=postgresql://...``), through SQLAlchemy.

Where state must be shared by processes that share no disk — ``ticketbot serve``'s replicas in
a Deployment and the CronJob's runs — it lives in PostgreSQL: the served delivery queue
(``serve.queue``) and the write claims (``state.claims.AdvisoryClaims``). ``postgresql://`` is
taken as psycopg 3 (``pip install 'ticketbot[postgres]'``).
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from ..errors import ConfigError


def database_engine(url: str) -> Engine:
    """An engine for ``TICKETBOT_DATABASE_URL``; a ``ConfigError`` naming it when unusable."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            url = "postgresql+psycopg://" + url.removeprefix(scheme)
    if not url.startswith("postgresql+"):
        raise ConfigError(
            "TICKETBOT_DATABASE_URL: must be a postgresql:// URL "
            "(postgresql://user:password@host:5432/database)"
        )
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except ImportError:
        raise ConfigError(
            "TICKETBOT_DATABASE_URL: the PostgreSQL driver is missing: "
            "pip install 'ticketbot[postgres]'"
        ) from None
