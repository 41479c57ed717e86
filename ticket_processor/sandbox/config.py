"""The sandbox's knobs and the Zendesk-shaped error it answers with.

``SandboxConfig`` is read on every request, so tests and ``POST /sandbox/config`` can change it
while the server runs. ``ApiError`` is how any layer of the sandbox says "answer this status with
this Zendesk error body" without knowing about HTTP.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

# Requests a minute per Zendesk plan (account-wide API limit).
PLAN_LIMITS: dict[str, int] = {
    "team": 200,
    "growth": 400,
    "professional": 400,
    "enterprise": 700,
    "high_volume": 2500,
}

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
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0
    conflict_rate: float = 0
    drop_rate: float = 0
    admin: bool = True
    job_delay_ms: float = 0
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
            setattr(self, key, value)

    def public(self) -> dict[str, Any]:
        """The knobs as JSON (no credentials)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in _RUNTIME_KNOBS}


class ApiError(Exception):
    """Answer ``status`` with Zendesk's JSON error ``body`` (and optional extra headers)."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status} {body.get('error')}")
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found() -> ApiError:
    return ApiError(404, {"error": "RecordNotFound", "description": "Not found"})


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
