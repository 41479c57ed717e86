"""The ServiceNow sandbox's knobs, and ServiceNow's error bodies.

``ServiceNowConfig`` is read on every request, so tests and ``POST /sandbox/config`` can change
it while the server runs. Errors are the shared kit's ``ApiError`` with ServiceNow's body:
``{"error": {"message", "detail"}, "status": "failure"}``.

Deterministic faults for tests (``faults``, one request each, optionally for one endpoint key
such as ``"503 PATCH /api/now/table/incident/{sys_id}"``): ``401`` (a token the instance
revoked), ``404``, ``429`` (``Retry-After: 1``), ``500``, ``502``, ``503``, ``504`` answered
instead of handling the request; ``drop`` (the connection cut), ``slow`` (``slow_ms`` more),
``storm`` (every request 429 for ``storm_fault_seconds``), ``edit`` (an agent edits the
request's record first); ``stored-502`` / ``stored-504``: handled (stored), then answered so,
as a gateway in front of the instance does when the answer is lost on its way back.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ....sandbox.httpbase import ApiError, check_fault

FAULTS = (
    "401",
    "404",
    "429",
    "500",
    "502",
    "503",
    "504",
    "drop",
    "slow",
    "storm",
    "edit",
    "stored-502",
    "stored-504",
)

# The rate-limit plans the sandbox serves (``sandbox --plan``), none: an instance's limits are
# its own rate limit rules (``requests_per_hour``), not a plan the vendor sells, so the kind's
# ``plans`` is empty too.
PLAN_LIMITS: dict[str, int] = {}

_RUNTIME_KNOBS: dict[str, type] = {
    "latency_ms": float,
    "jitter_ms": float,
    "error_rate": float,
    "drop_rate": float,
    "edit_rate": float,
    "edit_tag": str,
    "edit_urgency": str,
    "slow_ms": float,
    "storm_fault_seconds": float,
    "faults": list,
    "invalid_ticket_ids": list,
    "requests_per_hour": int,
    "token_seconds": int,
    "storm_seconds": float,  # not a field: starts a storm of that length
}


@dataclass
class ServiceNowConfig:
    """Credentials and fault knobs of one ServiceNow sandbox; mutable while it runs."""

    user: str = "admin"
    password: str = "sandbox-password"  # noqa: S105 - the sandbox's documented default
    # The OAuth application (``oauth_entity``) the token endpoint knows.
    client_id: str = "sandbox-client"
    client_secret: str = "sandbox-client-secret"  # noqa: S105 - documented default
    token_seconds: int = 1799  # an access token's life, on ``clock``
    latency_ms: float = 0
    jitter_ms: float = 0
    error_rate: float = 0
    drop_rate: float = 0
    # Concurrent edits: the share of reads and updates of one task record (GET/PATCH/PUT by
    # sys_id) before which an agent edits it in the web UI: adds the label ``edit_tag`` and,
    # when ``edit_urgency`` is set, sets the urgency (so the priority moves).
    edit_rate: float = 0
    edit_tag: str = "agent_edit"
    edit_urgency: str = ""
    slow_ms: float = 2000
    faults: list[str] = field(default_factory=list)
    # Ticket ids (the number's digits) whose updates a data policy refuses (403 "Operation Failed").
    invalid_ticket_ids: list[int] = field(default_factory=list)
    # The instance's rate limit rule for the API user (requests an hour; 0: none).
    requests_per_hour: int = 0
    storm_until: float = 0.0
    storm_fault_seconds: float = 1.0
    # Start with the seed (users, groups, choices, knowledge): ``seed.py``.
    seeded: bool = True
    state_file: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    seed: int | None = None
    # Timestamps, tokens' lives, rate windows: all on this clock.
    clock: Callable[[], float] = field(default=time.time, repr=False)

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


# --- ServiceNow's error bodies ---------------------------------------------------------


def failure(status: int, message: str, detail: str | None = None) -> ApiError:
    return ApiError(status, {"error": {"message": message, "detail": detail}, "status": "failure"})


def not_authenticated() -> ApiError:
    return failure(401, "User Not Authenticated", "Required to provide Auth information")


def not_authorized(table: str) -> ApiError:
    return failure(
        403,
        "User Not Authorized",
        f"User is not authorized to access this record of the table {table}",
    )


def no_record(
    detail: str = "Record doesn't exist or ACL restricts the record retrieval",
) -> ApiError:
    return failure(404, "No Record found", detail)


def invalid_table(table: str) -> ApiError:
    return failure(400, "Invalid table " + table, None)


def bad_request(message: str, detail: str | None = None) -> ApiError:
    return failure(400, message, detail)


def rate_limited(retry_after: int, headers: dict[str, str] | None = None) -> ApiError:
    error = failure(
        429,
        "Rate limit exceeded",
        "The API user has exceeded the rate limit; retry after the time in Retry-After",
    )
    error.headers = {"Retry-After": str(retry_after), **(headers or {})}
    return error


def server_error(status: int) -> ApiError:
    return failure(status, "Internal server error", "Injected by the sandbox")
