"""PostgreSQL through SQLAlchemy, one way for the whole package.

``TICKETBOT_DATABASE_URL=postgresql://...`` names one database for what processes that share
no disk must share: the audit store (``audit.store``), the served delivery queue
(``serve.queue``) and the write claims (``state.claims.AdvisoryClaims``). ``postgresql://`` and
``postgres://`` are taken as psycopg 3 (``pip install 'ticketbot[postgres]'``); a connection
attempt gives up after ``CONNECT_TIMEOUT`` seconds rather than hang a run.
"""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

from ..errors import ConfigError

CONNECT_TIMEOUT = 10  # seconds


def sqlalchemy_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` as SQLAlchemy's psycopg URL; others unchanged."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url.removeprefix(scheme)
    return url


def postgres_engine(url: str) -> Engine:
    """A pooled engine for a PostgreSQL URL (``ImportError`` without the driver)."""
    return create_engine(
        sqlalchemy_url(url),
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=5,
        connect_args={"connect_timeout": CONNECT_TIMEOUT},
    )


def database_engine(url: str) -> Engine:
    """An engine for ``TICKETBOT_DATABASE_URL``; a ``ConfigError`` naming it when unusable."""
    if not sqlalchemy_url(url).startswith("postgresql+"):
        raise ConfigError(
            "TICKETBOT_DATABASE_URL: must be a postgresql:// URL "
            "(postgresql://user:password@host:5432/database)"
        )
    try:
        return postgres_engine(url)
    except ImportError:
        raise ConfigError(
            "TICKETBOT_DATABASE_URL: the PostgreSQL driver is missing: "
            "pip install 'ticketbot[postgres]'"
        ) from None
