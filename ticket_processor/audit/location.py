"""Where the audit store is: the SQLAlchemy URL a setting names, and how messages name it.

A message names the store without its password, whichever way the URL carries one.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from ..common.database import sqlalchemy_url
from ..common.scrub import mask_query
from .writer import FILE_NAME


def database_url(url: str | None, state_dir: Path) -> str:
    """The SQLAlchemy URL for the setting: the embedded file by default; ``postgresql://``
    and ``postgres://`` use the psycopg driver (the one ticketbot installs)."""
    if not url:
        return f"sqlite:///{Path(state_dir) / FILE_NAME}"
    return sqlalchemy_url(url)


def describe_url(url: str) -> str:
    """The URL without its password, for messages: the ``user:password@`` one and one given as
    a query value (``?password=``, libpq's and psycopg's other way of passing it)."""
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "(an unreadable database URL)"
    return mask_query(shown)
