"""The leads' reviews as labelled examples: the JSON-lines file ``ticketbot learn FILE`` trains on.

Each reviewed ticket becomes one row (``id``, ``source``, ``subject``, ``description``,
``labels``): the labels are what the leads decided (an accepted suggestion, or their
correction; an agent's "wrong category" rating that names the right category; the latest
word on a field wins), the text is the ticket's as the helpdesk holds
it now (the store keeps no ticket bodies), read in the helpdesk's batches.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import orjson
import sqlalchemy as sa

from ..audit.schema import ratings, reviews
from ..models import Ticket

LABELLED_FIELDS = ("category", "subcategory", "urgency", "sentiment")
BATCH = 100


def reviewed_labels(conn: sa.Connection, *, account: str = "") -> dict[int, dict[str, str]]:
    """Per ticket, the labels leads and agents gave it (the latest word on each field)."""
    found: dict[int, dict[str, str]] = {}
    reviewed = sa.select(reviews.c.at, reviews.c.ticket_id, reviews.c.field, reviews.c.value).where(
        reviews.c.account == account, reviews.c.field.in_(LABELLED_FIELDS)
    )
    # "Wrong category", with the right one named: the agent's label for the category.
    rated = sa.select(
        ratings.c.at, ratings.c.ticket_id, sa.literal("category"), ratings.c.value
    ).where(
        ratings.c.account == account,
        ratings.c.verdict == "wrong_category",
        ratings.c.value.is_not(None),
    )
    words = [*conn.execute(reviewed).all(), *conn.execute(rated).all()]
    for _at, ticket_id, name, value in sorted(words, key=lambda w: w[0]):
        if value:
            found.setdefault(int(ticket_id), {})[str(name)] = str(value)
    return found


def export_labelled(
    labels: dict[int, dict[str, str]],
    read_tickets: Callable[[Sequence[int]], list[Ticket]],
    out: Path,
) -> int:
    """Write the labelled file; returns its rows (tickets gone from the helpdesk are left out)."""
    ids = sorted(labels)
    rows = 0
    tmp = out.with_name(out.name + ".tmp")
    with tmp.open("wb") as handle:
        for start in range(0, len(ids), BATCH):
            for ticket in read_tickets(ids[start : start + BATCH]):
                row = {
                    "id": str(ticket.id),
                    "source": "review",
                    "subject": ticket.subject,
                    "description": ticket.description,
                    "labels": labels[ticket.id],
                }
                handle.write(orjson.dumps(row) + b"\n")
                rows += 1
    tmp.replace(out)
    return rows
