"""The ServiceNow sandbox beside its sockets: store, auth, fault knobs, rate limit, counters.

Per request (``serving.py``): the next scripted fault (``faults``) → drop (knob) → latency
(knob) → auth (basic or bearer) → a 429 storm → the per-user rate limit rule
(``requests_per_hour``, in hour windows on the clock) → injected 5xx (knobs) → a concurrent
agent edit (``edit`` fault or ``edit_rate``) → the endpoint. ``/sandbox/*`` needs no auth
(``control.py``); the business rules' webhooks are ``automation.py``.
"""

from __future__ import annotations

import itertools
import math
import random
import re
import ssl
import sys
import threading
from collections import deque
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from ....sandbox.httpbase import JsonServer, take_fault
from ....sandbox.persist import Persister, load_state
from .api import table_route
from .auth import Authenticator
from .automation import BusinessRules
from .config import ServiceNowConfig, failure, rate_limited, server_error
from .labels import add_label
from .seed import HUMAN_AGENT_USER, seed_instance
from .store import ServiceNowStore
from .tables import TASK_TABLES

_HISTORY = 10_000  # requests remembered for ``history`` (as the other sandboxes')
_HOUR = 3600
# A list query that names one record: the re-read before a write.
_ONE_RECORD = re.compile(r"(number|sys_id)=([A-Za-z0-9]+)")
_JOURNAL_OF = re.compile(r"(?:^|\^)element_id(=|IN)([0-9a-f,]+)")


class ServiceNowSandbox:
    """Everything one running ServiceNow sandbox holds, apart from its sockets."""

    def __init__(self, config: ServiceNowConfig, base_url: str) -> None:
        self.config = config
        self.base_url = base_url
        self.store = ServiceNowStore(now=lambda: self.config.clock())
        self.auth = Authenticator(config)
        self.rules = BusinessRules(config.user)
        self.store.watch(self.rules.observe)
        self.rng = random.Random(config.seed)
        self._stats_lock = threading.Lock()
        self._faults_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self._hour_counts: dict[str, int] = {}  # user -> requests in the current hour
        self._hour = -1
        self.reset_stats()
        if config.seeded:
            seed_instance(self.store, config.user)
        self.persister: Persister | None = None
        if config.state_file is not None:
            load_state(self.store, Path(config.state_file))
            self.persister = Persister(self.store, Path(config.state_file))

    def reset_stats(self) -> None:
        with self._stats_lock:
            self._requests: dict[str, int] = {}
            self._history: deque[tuple[float, str, int | None]] = deque(maxlen=_HISTORY)
            self._counters = {
                "rate_limited": 0,
                "errors_injected": 0,
                "dropped": 0,
                "concurrent_edits": 0,
                "unauthorized": 0,
                "tokens_issued": 0,
                # The records whose journal a ``sys_journal_field`` query named
                # (``element_id=``, ``element_idIN``): how many records' messages a client
                # read, as the other sandboxes count their per-ticket reads.
                "journal_records_read": 0,
            }

    def count(self, key: str, counter: str | None = None, status: int | None = None) -> None:
        """Count one answered request; ``status`` None means the connection was cut."""
        with self._stats_lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            if counter:
                self._counters[counter] += 1
            self._history.append((self.config.clock(), key, status))

    def bump(self, counter: str) -> None:
        with self._stats_lock:
            self._counters[counter] += 1

    def journals_asked(self, encoded: str) -> None:
        """Count the records a journal query names (``journal_records_read``)."""
        named = _JOURNAL_OF.search(encoded)
        if named is not None:
            count = len([s for s in named.group(2).split(",") if s])
            with self._stats_lock:
                self._counters["journal_records_read"] += count

    def history(self) -> list[tuple[float, str, int | None]]:
        """The last requests answered: (moment on ``config.clock``, endpoint key, status)."""
        with self._stats_lock:
            return list(self._history)

    def stats(self) -> dict[str, Any]:
        with self._stats_lock:
            requests = dict(sorted(self._requests.items()))
            return {
                "requests": requests,
                "requests_total": sum(requests.values()),
                **self._counters,
                "incidents": self.store.count("incident"),
                "cases": self.store.count("sn_customerservice_case"),
            }

    def take_fault(self, key: str) -> str | None:
        return take_fault(self.config.faults, self._faults_lock, key)

    def next_request_id(self) -> str:
        return f"snsbx-{next(self._request_ids)}"

    def close(self) -> None:
        self.rules.close()
        if self.persister is not None:
            self.persister.close()

    # --- the per-request checks between auth and the endpoint ------------------------------

    def admit(self, user: str) -> dict[str, str]:
        """Count the request against the user's hourly rule or raise the 429; the headers."""
        now = self.config.clock()
        left = self.config.storm_until - now
        if left > 0:
            raise rate_limited(max(1, math.ceil(left)))
        limit = self.config.requests_per_hour
        if limit <= 0:
            return {}
        window = int(now // _HOUR)
        reset = (window + 1) * _HOUR
        with self._stats_lock:
            if window != self._hour:
                self._hour, self._hour_counts = window, {}
            used = self._hour_counts.get(user, 0)
            if used < limit:
                self._hour_counts[user] = used + 1
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used - 1)),
            "X-RateLimit-Reset": str(reset),
        }
        if used >= limit:
            headers["X-RateLimit-Remaining"] = "0"
            raise rate_limited(max(1, math.ceil(reset - now)), headers)
        return headers

    def inject(self, key: str, fault: str | None, path: str, query: str = "") -> None:
        """Injected errors (raised) and concurrent edits (applied) for this request: an edit
        lands on a record read or written by sys_id, or read alone by a list query naming it
        (``number=INC0010001``, ``sys_id=...``: how a client re-reads one record before its
        write), so the edit falls between that read and the write."""
        config = self.config
        if fault == "401":
            raise failure(401, "User Not Authenticated", "Required to provide Auth information")
        if fault == "404":
            raise failure(404, "No Record found", "Injected by the sandbox")
        if fault == "429":
            self.bump("errors_injected")
            raise rate_limited(1)
        if fault in ("500", "502", "503", "504") or (
            config.error_rate and self.rng.random() < config.error_rate
        ):
            self.bump("errors_injected")
            raise server_error(int(fault) if fault else self.rng.choice((500, 503)))
        route = table_route(path)
        if route is None or route[0] not in TASK_TABLES:
            return
        table, sys_id = route
        method = key.split(" ", 1)[0]
        if sys_id is None and method == "GET":
            sys_id = self._named_alone(table, query)
        if sys_id is None:
            return
        edit = fault == "edit" or (
            method in ("GET", "PATCH", "PUT")
            and config.edit_rate
            and self.rng.random() < config.edit_rate
        )
        if edit:
            self.agent_edit(table, sys_id)

    def _named_alone(self, table: str, query: str) -> str | None:
        """The sys_id of the one record a list query names by ``number=`` or ``sys_id=``."""
        encoded = dict(parse_qsl(query)).get("sysparm_query", "")
        found = _ONE_RECORD.fullmatch(encoded)
        if found is None:
            return None
        column, value = found.groups()
        for row in self.store.rows(table):
            if row.get(column) == value:
                return str(row["sys_id"])
        return None

    def agent_edit(
        self, table: str, sys_id: str, tag: str | None = None, urgency: str | None = None
    ) -> bool:
        """An agent (not the API user) edits the record in the web UI: adds the label ``tag``
        (default ``edit_tag``) and sets the urgency (default ``edit_urgency``) when given."""
        if self.store.find(table, sys_id) is None:
            return False
        urgency = urgency or self.config.edit_urgency
        if urgency:
            self.store.update(table, sys_id, {"urgency": urgency}, HUMAN_AGENT_USER)
        add_label(self.store, table, sys_id, tag or self.config.edit_tag, HUMAN_AGENT_USER)
        self.bump("concurrent_edits")
        return True

    def record_of(self, table: str, ticket_id: int) -> str | None:
        """The sys_id of the task whose number's digits are ``ticket_id``."""
        for row in self.store.rows(table):
            digits = "".join(c for c in row.get("number", "") if c.isdigit())
            if digits and int(digits) == ticket_id:
                return row["sys_id"]
        return None


class ServiceNowServer(JsonServer):
    flavour = "servicenow"
    sandbox: ServiceNowSandbox

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that refuses the sandbox's certificate ends the handshake: its business.
        if not isinstance(sys.exc_info()[1], ssl.SSLError):
            super().handle_error(request, client_address)
