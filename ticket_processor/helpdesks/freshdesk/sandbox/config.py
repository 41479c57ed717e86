"""The Freshdesk sandbox's knobs, its plans' rate limits, and Freshdesk's error bodies.

``FreshdeskConfig`` is read on every request, so tests and ``POST /sandbox/config`` can change it
while the server runs. Errors are the Zendesk sandbox's ``ApiError`` (status, body, headers)
with Freshdesk's bodies: 401 ``{"code": "invalid_credentials", "message"}``, 400
``{"description": "Validation failed", "errors": [{"field", "message", "code"}]}``, an empty 404.

Deterministic faults for tests: ``faults`` (the fate of the next requests, one item each;
besides the Zendesk sandbox's ``409 500 503 drop slow storm`` there is ``edit``: an agent edits
the request's ticket just before the sandbox handles it; ``429`` (with ``Retry-After: 1``),
``502``, ``504`` and ``html`` (a 200 with a proxy's HTML page) answered instead of handling the
request;
``edit-503`` and ``edit-429``: an agent edits the ticket (``edit_tag``, and ``edit_priority``
when set) and the request is answered 503 or 429, so the edit lands while the client waits; and
``stored-502``, ``stored-504``, ``stored-html``: the request is handled (the note stored, the
update applied) and then answered so, as a gateway in front of Freshdesk does when the answer
is lost on its way back; ``stored-trickle``: handled, then the answer's first byte at once and
the rest after ``slow_ms``, so a client's deadline passes while it is still coming),
``start_storm`` (every request answered 429 for a while), ``invalid_ticket_ids`` (updates of
these tickets get a 400).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, NamedTuple

from ....sandbox.httpbase import ApiError, check_fault


class PlanLimits(NamedTuple):
    """Credits a minute: the whole account, ticket updates, ticket lists."""

    total: int
    updates: int
    lists: int


PLAN_LIMITS: dict[str, PlanLimits] = {
    "trial": PlanLimits(50, 50, 50),
    "growth": PlanLimits(200, 80, 20),
    "pro": PlanLimits(400, 160, 100),
    "enterprise": PlanLimits(700, 280, 200),
}

FAULTS = (
    "409",
    "429",
    "500",
    "502",
    "503",
    "504",
    "html",
    "drop",
    "slow",
    "storm",
    "edit",
    "edit-503",
    "edit-429",
    "stored-502",
    "stored-504",
    "stored-html",
    "stored-trickle",
)

_RUNTIME_KNOBS: dict[str, type] = {
    "plan": str,
    "latency_ms": float,
    "jitter_ms": float,
    "error_rate": float,
    "drop_rate": float,
    "edit_rate": float,
    "edit_tag": str,
    "edit_priority": int,
    "slow_ms": float,
    "storm_fault_seconds": float,
    "faults": list,
    "invalid_ticket_ids": list,
    "job_delay_ms": float,
    "max_queued_jobs": int,
    "max_list_page": int,
    "storm_seconds": float,  # not a field: starts a storm of that length
}


@dataclass
class FreshdeskConfig:
    """Credentials, plan and fault knobs of one Freshdesk sandbox; mutable while it runs."""

    api_key: str = "sandbox-key"
    agent_email: str = "agent@example.com"
    plan: str = "enterprise"
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0
    drop_rate: float = 0
    # Concurrent edits: the share of ticket reads and updates (GET/PUT /tickets/{id}) before
    # which an agent adds ``edit_tag`` to that ticket, as a person in the web UI would.
    edit_rate: float = 0
    edit_tag: str = "agent_edit"
    edit_priority: int = 0  # what an edit fault's agent sets the priority to (0: leaves it)
    slow_ms: float = 2000
    faults: list[str] = field(default_factory=list)
    invalid_ticket_ids: list[int] = field(default_factory=list)
    job_delay_ms: float = 0
    max_queued_jobs: int = 30
    # Freshdesk refuses list pages beyond 300: a long backlog restarts from the last updated_at.
    max_list_page: int = 300
    storm_until: float = 0.0
    storm_fault_seconds: float = 1.0  # the storm a "storm" fault starts with its request
    # Limits of no plan (the crash test's: rate limits out of the way); None: the plan's.
    limits_override: PlanLimits | None = None
    state_file: Path | None = None
    seed: int | None = None
    # Rate-limit windows, timestamps, the 30-day list window: all on this clock.
    clock: Callable[[], float] = field(default=time.time, repr=False)

    @property
    def limits(self) -> PlanLimits:
        if self.limits_override is not None:
            return self.limits_override
        return PLAN_LIMITS.get(self.plan, PLAN_LIMITS["enterprise"])

    def apply(self, changes: dict[str, Any]) -> None:
        """Change run-time knobs from a JSON object; unknown or mistyped keys: ``ValueError``."""
        for key, value in changes.items():
            kind = _RUNTIME_KNOBS.get(key)
            if kind is None:
                raise ValueError(f"unknown sandbox knob {key!r}")
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ValueError(f"sandbox knob {key!r} must be {kind.__name__}")
            if key == "plan" and value not in PLAN_LIMITS:
                raise ValueError(f"plan must be one of {', '.join(PLAN_LIMITS)}")
            if key == "faults" and isinstance(value, list):
                value = [check_fault(item, FAULTS) for item in value]
            if key == "invalid_ticket_ids" and not all(
                isinstance(i, int) and not isinstance(i, bool) for i in value
            ):
                raise ValueError("sandbox knob 'invalid_ticket_ids' must list integers")
            if key == "storm_seconds" and isinstance(value, float):
                self.start_storm(value)
                continue
            setattr(self, key, value)

    def start_storm(self, seconds: float) -> None:
        """Answer every API request with 429 for the next ``seconds`` (0 ends a storm)."""
        self.storm_until = self.clock() + max(0.0, seconds)

    def public(self) -> dict[str, Any]:
        """The knobs as JSON (no credentials)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in _RUNTIME_KNOBS}


# --- Freshdesk's error bodies ---------------------------------------------------------


def field_error(name: str, message: str, code: str = "invalid_value") -> dict[str, str]:
    return {"field": name, "message": message, "code": code}


def validation_failed(*errors: dict[str, str]) -> ApiError:
    return ApiError(400, {"description": "Validation failed", "errors": list(errors)})


def invalid_value(name: str, message: str) -> ApiError:
    return validation_failed(field_error(name, message))


def not_found() -> ApiError:
    # Freshdesk answers an unknown record with 404 and no body.
    return ApiError(404, {})


def invalid_credentials() -> ApiError:
    return ApiError(
        401,
        {
            "code": "invalid_credentials",
            "message": "You have to be logged in to perform this action.",
        },
    )


def invalid_json() -> ApiError:
    return ApiError(
        400, {"code": "invalid_json", "message": "Request body has invalid json format"}
    )


def rate_limited(retry_after: int) -> ApiError:
    return ApiError(
        429,
        {
            "code": "rate_limit_exceeded",
            "message": "You have exceeded the limit of requests per minute. "
            "Please try again after some time.",
        },
        {"Retry-After": str(retry_after)},
    )
