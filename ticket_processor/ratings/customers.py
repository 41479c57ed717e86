"""The customers' own satisfaction ratings, read from the helpdesk by a run: ``CustomersPass``.

Each helpdesk keeps them its own way, and its adapter reads them (``Helpdesk.outcomes``, the
risk head's truth too): Zendesk's satisfaction ratings (``good`` / ``bad``), Freshdesk's survey
answers (mapped to good and bad around its neutral), ServiceNow's completed survey instances
(``asmt_assessment_instance`` and their ``asmt_metric_result`` values), where the instance has
the survey. A run reads them at most once every ``every`` seconds
(``TICKETBOT_CUSTOMER_RATINGS_EVERY``; 0, the default: never, as Zendesk's read lists every
ticket's metrics too), since the last read less an hour (a rating
saved late is met again: the store keeps it once), and logs one ``customer_rated`` event a
rated ticket, which the audit feed stores in ``ratings`` (source ``customer``)::

    {"event": "customer_rated", "ticket_id": 42, "score": "bad"}

``report`` compares them by who answered the ticket (``figures``). When the read was made is
kept in ``<state dir>/ratings/customers.json``; a helpdesk that fails the read costs the run a
warning, and the next run tries again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import TicketBotError
from ..models import TicketOutcome
from ..passes.protocol import Pass, RunEnd

STATE_DIR = "ratings"
STATE_FILE = "customers.json"
FIRST_LOOKBACK = 30 * 86400  # the first read reaches back this far
OVERLAP = 3600  # each later read reaches back this far before the last one
SCORES = ("good", "bad")


class CustomersPass(Pass):
    """Reads the helpdesk's satisfaction ratings after a batch, now and then."""

    name = "customer_ratings"

    def __init__(
        self,
        outcomes: Callable[[int], dict[int, TicketOutcome]],
        state_dir: Path,
        *,
        every: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outcomes = outcomes
        self.path = state_dir / STATE_DIR / STATE_FILE
        self.every = every
        self.clock = clock

    def _last_read(self) -> float | None:
        try:
            found = orjson.loads(read_state_bytes(self.path)).get("read_at")
        except (OSError, orjson.JSONDecodeError, AttributeError, TicketBotError):
            return None  # never read, or a file nobody can trust: read from the start
        return float(found) if isinstance(found, int | float) else None

    def write(self, end: RunEnd) -> None:
        if self.every <= 0 or not end.writes or end.backfill or end.aborted:
            return
        now = self.clock()
        last = self._last_read()
        if last is not None and now - last < self.every:
            return
        since = int(now - FIRST_LOOKBACK if last is None else last - OVERLAP)
        try:
            found = self.outcomes(since)
        except TicketBotError as exc:
            end.summary.warnings.append(f"customers' ratings not read: {exc}")
            return
        for ticket_id, outcome in sorted(found.items()):
            if outcome.satisfaction in SCORES:
                end.log.emit("customer_rated", ticket_id=ticket_id, score=outcome.satisfaction)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, orjson.dumps({"read_at": now}))
