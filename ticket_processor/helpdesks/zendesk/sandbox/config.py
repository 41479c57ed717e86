"""The sandbox's knobs and the Zendesk-shaped error it answers with.

``SandboxConfig`` is read on every request, so tests and ``POST /sandbox/config`` can change it
while the server runs. ``ApiError`` is how any layer of the sandbox says "answer this status with
this Zendesk error body" without knowing about HTTP.

Besides the random fault rates there are deterministic ones, for tests that must not be flaky:
``faults`` (the fate of the next requests, one item each), ``start_storm`` (every request is
answered 429 for a while) and ``invalid_ticket_ids`` (updates of these tickets get a 422).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ....sandbox.httpbase import FAULTS as COMMON_FAULTS
from ....sandbox.httpbase import ApiError, check_fault

# Requests a minute per Zendesk plan (account-wide API limit).
PLAN_LIMITS: dict[str, int] = {
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "high_volume": 2500,
}

# What a ``faults`` item may ask for: an error status, a cut connection, or a slow answer
# (404: as a Zendesk without the product, e.g. Guide not activated, answers its endpoints;
# 403: as Zendesk answers a caller its role does not allow, e.g. the user-segment list).
FAULTS = (*COMMON_FAULTS, "403")

# Knobs that ``POST /sandbox/config`` may change, with the type each must have.
_RUNTIME_KNOBS: dict[str, type] = {
    "plan": str,
    "update_limit_per_min": int,
    "incremental_limit_per_min": int,
    "max_queued_jobs": int,
    "latency_ms": float,
    "jitter_ms": float,
    "error_rate": float,
    "conflict_rate": float,
    "drop_rate": float,
    "admin": bool,
    "job_delay_ms": float,
    "hold_jobs": bool,
    "faults": list,
    "slow_ms": float,
    "storm_fault_seconds": float,
    "trickle_seconds": float,
    "invalid_ticket_ids": list,
    "webhook_timeout": float,
    "webhook_backoff": float,
    "storm_seconds": float,  # not a field: starts a storm of that length (``start_storm``)
}


@dataclass
class SandboxConfig:
    """Credentials, plan limits and fault knobs of one sandbox; mutable while it runs."""

    email: str = "agent@example.com"
    token: str = "sandbox-token"  # noqa: S105 - the sandbox's own well-known default
    oauth_token: str | None = None
    plan: str = "enterprise"
    update_limit_per_min: int = 100
    incremental_limit_per_min: int = 10
    max_queued_jobs: int = 30
    # Answer with ``X-Ticketbot-Sandbox`` (False: look like a real Zendesk, for seed's check).
    identify: bool = True
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0
    conflict_rate: float = 0
    drop_rate: float = 0
    admin: bool = True
    job_delay_ms: float = 0
    # Jobs stay "queued" while this is on (a Zendesk whose job workers are backed up); turned
    # off, the held jobs run in order.
    hold_jobs: bool = False
    # The fate of the next API requests, one item each, in arrival order: "409", "500" or "503"
    # (that error), "drop" (connection cut before the request is handled), "slow" (``slow_ms`` more
    # latency, then handled: a client that timed out meanwhile never learns that it was),
    # "storm" (a 429 storm of ``storm_fault_seconds`` starts with this request, which is its
    # first 429: the moment a test needs, not a watcher thread's guess at it).
    # "FAULT METHOD /pattern" (e.g. "slow PUT /api/v2/tickets/update_many") waits for a request
    # to that endpoint; other requests pass it by.
    faults: list[str] = field(default_factory=list)
    slow_ms: float = 2000
    # Answers send their headers, then one byte of the body every N seconds: a stalled proxy
    # that only a deadline for the whole request gets past (0: off).
    trickle_seconds: float = 0
    # Updates of these tickets (single or in a job) are refused with 422 RecordInvalid, as
    # Zendesk refuses a ticket whose required field is empty.
    invalid_ticket_ids: list[int] = field(default_factory=list)
    # Until this moment (on ``clock``) every API request is answered 429 with a Retry-After
    # that ends the storm: a helpdesk shedding load. Set through ``start_storm``.
    storm_until: float = 0.0
    storm_fault_seconds: float = 1.0
    # Webhook deliveries (``automation.py``): seconds to wait for the receiver's answer
    # (Zendesk's 12) and the first pause before retrying a timeout or a 409 (doubled each time).
    webhook_timeout: float = 12.0
    webhook_backoff: float = 1.0
    state_file: Path | None = None
    seed: int | None = None
    clock: Callable[[], float] = field(default=time.time, repr=False)

    @property
    def rate_limit(self) -> int:
        """Account-wide requests a minute for the configured plan."""
        return PLAN_LIMITS.get(self.plan, PLAN_LIMITS["enterprise"])

    def apply(self, changes: dict[str, Any]) -> None:
        """Change run-time knobs from a JSON object; unknown or mistyped keys: ``ValueError``."""
        for key, value in changes.items():
            kind = _RUNTIME_KNOBS.get(key)
            if kind is None:
                raise ValueError(f"unknown sandbox knob {key!r}")
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                raise ValueError(f"sandbox knob {key!r} must be {kind.__name__}")
            if key == "plan" and value not in PLAN_LIMITS:
                raise ValueError(f"plan must be one of {', '.join(PLAN_LIMITS)}")
            if key == "faults" and isinstance(value, list):
                value = [check_fault(item, FAULTS) for item in value]
            if key == "invalid_ticket_ids" and not _integers(value):
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


def _integers(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(i, int) and not isinstance(i, bool) for i in value
    )


def record_invalid(details: dict[str, list[dict[str, str]]]) -> ApiError:
    return ApiError(
        422,
        {"error": "RecordInvalid", "description": "Record validation errors", "details": details},
    )


def invalid_field(name: str, message: str, error: str = "InvalidValue") -> dict[str, str]:
    """One entry of a 422 ``details`` list, worded like Zendesk (``Priority: is not valid``)."""
    return {"description": f"{name.replace('_', ' ').capitalize()}: {message}", "error": error}


def bad_request(error: str, description: str) -> ApiError:
    return ApiError(400, {"error": error, "description": description})


def too_many_values(limit: int = 100) -> ApiError:
    # zenpy maps "TooManyValues" to its own TooManyValuesException.
    return ApiError(
        400,
        {"error": "TooManyValues", "description": f"Too many values: at most {limit} allowed"},
    )
