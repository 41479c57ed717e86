"""Alembic's entry for the audit store's migrations.

``store.AuditStore`` runs them itself on open (handing its connection in
``config.attributes["connection"]``); an administrator may also run ``alembic`` with
``-x url=...`` against a store by hand.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from ticket_processor.audit.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    url = context.get_x_argument(as_dictionary=True).get("url")
    if not url:
        raise SystemExit(
            "give the store: alembic -x url=sqlite:///state/audit.sqlite3 upgrade head"
        )
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    context.run_migrations()
