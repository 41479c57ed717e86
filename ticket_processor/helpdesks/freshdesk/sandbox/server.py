"""The Freshdesk sandbox's HTTP server: auth, credits, fault knobs, counters, and how to run it.

Per request: the next scripted fault (``faults``) → drop (knob) → latency (knob) → auth (basic,
the API key as user name, any password) → a 429 storm → the plan's credit limits → injected
5xx/409 (knobs) → a concurrent agent edit (``edit`` fault or ``edit_rate``) → the endpoint.
``/sandbox/*`` needs no auth: stats, run-time config, reset of the counters, the webhook rules
(``/sandbox/webhooks``, ``automation.py``) and their deliveries (``/sandbox/deliveries``).
"""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import math
import random
import threading
from collections import deque
from pathlib import Path
from typing import Any

from ....sandbox.httpbase import ApiError, JsonServer, take_fault
from ....sandbox.jobs import JobQueue
from ....sandbox.persist import Persister, load_state
from .automation import FreshdeskAutomation
from .config import FreshdeskConfig, rate_limited
from .limits import CreditLimiter
from .routes import FreshdeskEndpoint, FreshdeskServices
from .store import FreshdeskStore

_HISTORY = 10_000  # requests remembered for ``history`` (as the Zendesk sandbox's)
_EDITABLE = ("GET /api/v2/tickets/{id}", "PUT /api/v2/tickets/{id}")


class FreshdeskSandbox:
    """Everything one running Freshdesk sandbox holds, apart from its sockets."""

    def __init__(self, config: FreshdeskConfig, base_url: str) -> None:
        self.config = config
        self.base_url = base_url
        self.store = FreshdeskStore(now=lambda: self.config.clock(), agent_email=config.agent_email)
        self.limiter = CreditLimiter(lambda: self.config.clock())
        self.jobs = JobQueue(config, lambda: self.base_url)
        self.rng = random.Random(config.seed)
        self.services = FreshdeskServices(config, self.store, self.jobs, self.rng, {})
        self.automation = FreshdeskAutomation()
        self.store.watch(self.automation.observe)
        self._stats_lock = threading.Lock()
        self._faults_lock = threading.Lock()
        self._request_ids = itertools.count(1)
        self.reset_stats()
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
                "conflicts_injected": 0,
                "dropped": 0,
                "concurrent_edits": 0,
                "credits_used": 0,
            }
            self._jobs_at_reset = self.jobs.submitted
            self._job_items_at_reset = self.jobs.items

    def count(
        self, key: str, counter: str | None = None, credits: int = 0, status: int | None = None
    ) -> None:
        """Count one answered request; ``status`` None means the connection was cut."""
        with self._stats_lock:
            self._requests[key] = self._requests.get(key, 0) + 1
            if counter:
                self._counters[counter] += 1
            self._counters["credits_used"] += credits
            self._history.append((self.config.clock(), key, status))

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
                "jobs": self.jobs.submitted - self._jobs_at_reset,
                "job_items": self.jobs.items - self._job_items_at_reset,
                "jobs_pending": self.jobs.pending(),
                "tickets": self.store.count(),
            }

    def authorized(self, header: str | None) -> bool:
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, _, _password = decoded.partition(":")
        return hmac.compare_digest(user.encode(), self.config.api_key.encode())

    def take_fault(self, key: str) -> str | None:
        return take_fault(self.config.faults, self._faults_lock, key)

    def storm_retry_after(self) -> int | None:
        left = self.config.storm_until - self.config.clock()
        return max(1, math.ceil(left)) if left > 0 else None

    def agent_edit(
        self, ticket_id: int, tag: str | None = None, priority: int | None = None
    ) -> bool:
        """An agent adds ``tag`` (default ``config.edit_tag``) to the ticket, as in the web UI,
        and sets ``priority`` (1 low … 4 urgent) when given."""
        edited = self.store.agent_edit(ticket_id, tag or self.config.edit_tag, priority)
        if edited is not None:
            with self._stats_lock:
                self._counters["concurrent_edits"] += 1
        return edited is not None

    def next_request_id(self) -> str:
        return f"fdsbx-{next(self._request_ids)}"

    def close(self) -> None:
        self.jobs.close()
        self.automation.close()
        if self.persister is not None:
            self.persister.close()

    # --- the per-request checks between auth and the endpoint ------------------------------

    def admit(self, route: FreshdeskEndpoint, credits: int) -> dict[str, str]:
        """Spend the request's credits or raise the 429; the rate-limit headers to send."""
        storm = self.storm_retry_after()
        if storm is not None:
            # The account's budget is not spent: the helpdesk is shedding load.
            raise rate_limited(storm)
        limits = self.config.limits
        checks = [("total", limits.total)]
        if route.kind == "update":
            checks.append(("updates", limits.updates))
        elif route.kind == "list":
            checks.append(("lists", limits.lists))
        remaining = self.limiter.admit(checks, credits)
        return {
            "X-RateLimit-Total": str(limits.total),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Used-CurrentRequest": str(credits),
        }

    def inject(self, key: str, fault: str | None, args: tuple[str, ...]) -> None:
        """Injected errors (raised) and concurrent edits (applied) for this request."""
        config = self.config
        if fault in ("edit-503", "edit-429") and args:
            # The agent's edit lands while ticketbot waits to try again.
            self.agent_edit(int(args[0]), priority=config.edit_priority or None)
        if fault in ("429", "edit-429"):
            self.bump("errors_injected")
            raise rate_limited(1)
        if fault == "edit-503":
            self.bump("errors_injected")
            raise ApiError(503, {"code": "internal_error", "message": "Injected by the sandbox"})
        if fault in ("502", "504"):
            self.bump("errors_injected")
            raise ApiError(int(fault), {})
        if fault in ("500", "503") or (config.error_rate and self.rng.random() < config.error_rate):
            status = int(fault) if fault else self.rng.choice((500, 503))
            self.bump("errors_injected")
            raise ApiError(
                status,
                {"code": "internal_error", "message": "Injected by the sandbox"},
            )
        if fault == "409":
            self.bump("conflicts_injected")
            raise ApiError(
                409,
                {
                    "description": "Validation failed",
                    "errors": [
                        {"field": "id", "message": "Conflict", "code": "inconsistent_state"}
                    ],
                },
            )
        edit = fault == "edit" or (
            key in _EDITABLE and config.edit_rate and self.rng.random() < config.edit_rate
        )
        if edit and args and key.split(" ", 1)[1].startswith("/api/v2/tickets/{id}"):
            self.agent_edit(int(args[0]))

    def bump(self, counter: str) -> None:
        with self._stats_lock:
            self._counters[counter] += 1


def credits_for(route: FreshdeskEndpoint, query: dict[str, str]) -> int:
    """What a request costs: 1, plus 2 per ``include`` on the ticket list, 1 elsewhere."""
    names = [n for n in query.get("include", "").split(",") if n.strip()]
    return 1 + len(names) * (2 if route.kind == "list" else 1)


class FreshdeskServer(JsonServer):
    flavour = "freshdesk"
    sandbox: FreshdeskSandbox
