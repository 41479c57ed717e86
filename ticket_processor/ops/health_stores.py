"""``health``'s rows for the servers a configuration shares between processes: the Redis of
the shared budgets (``TICKETBOT_LLM_BUDGET``) and the PostgreSQL database
(``TICKETBOT_DATABASE_URL``), each only when configured: reachable or not, named by its URL
with the password masked; without PostgreSQL, the embedded audit store, whole or damaged.

Redis out of reach is degraded: runs go on, each process pacing itself at a quarter of the
budgets' limits, and say so. PostgreSQL out of reach is unhealthy: a run goes on (its decisions
in the log only, until ``audit import``), but ``serve`` cannot start, the dashboard cannot read
and replicas lose the claims that keep them from writing a ticket twice.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from ..audit.damage import RECOVERY, integrity_problem
from ..audit.writer import FILE_NAME, file_identity
from ..common.database import database_engine
from ..common.scrub import display_url
from ..errors import ConfigError
from ..resilience.shared_window import redis_client

# (status, reason), as ``health.Check`` takes them.
Verdict = tuple[Literal["healthy", "degraded", "unhealthy", "unknown"], str]


def redis_verdict(url: str) -> Verdict:
    """A ``PING`` to the shared budgets' Redis, with the budgets' own short timeouts."""
    shown = f"{display_url(url)} (TICKETBOT_LLM_BUDGET)"
    try:
        client = redis_client(url)
    except ConfigError as exc:
        return "unknown", f"not configured: {exc}"
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001 - any Redis failure is "not reachable", said by type
        return "degraded", (
            f"{shown} is not reachable ({type(exc).__name__}): each process paces itself at a "
            "quarter of the shared budgets' limits until it is back"
        )
    finally:
        client.close()
    return "healthy", f"{shown} is reachable"


def database_verdict(url: str) -> Verdict:
    """A ``SELECT 1`` on the PostgreSQL database, within its connect timeout."""
    shown = f"{display_url(url)} (TICKETBOT_DATABASE_URL)"
    try:
        engine = database_engine(url)
    except ConfigError as exc:
        return "unknown", f"not configured: {exc}"
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - the driver's errors, said by type
        return "unhealthy", (
            f"{shown} is not reachable ({type(exc).__name__}): runs keep their decisions in the "
            "log only, serve cannot start and replicas cannot claim tickets"
        )
    finally:
        engine.dispose()
    return "healthy", f"{shown} is reachable"


# ``serve``'s readiness asks for health's verdict every 15 s at most, and SQLite's whole-file
# check reads every page of the store (0.2 s for 268 MB on a 2-core box, growing with it): a
# process checks one file at most every ten minutes. Damage once found is said until the path
# names another file (moved aside and started again): SQLite does not mend a file by itself.
RECHECK_SECONDS = 600.0
_checked: dict[Path, tuple[float, tuple[int, int] | None, str | None]] = {}
_checked_lock = threading.Lock()


def _integrity(path: Path, clock: Callable[[], float]) -> str | None:
    now, identity = clock(), file_identity(path)
    with _checked_lock:
        known = _checked.get(path)
    if known is not None and known[1] == identity:
        at, _, problem = known
        if problem is not None or now - at < RECHECK_SECONDS:
            return problem
    problem = integrity_problem(path)
    with _checked_lock:
        _checked[path] = (now, identity, problem)
    return problem


def embedded_store_verdict(
    state_dir: Path, *, clock: Callable[[], float] = time.monotonic
) -> Verdict | None:
    """SQLite's check of the whole embedded store (None: no store yet). Damaged is degraded,
    not unhealthy: runs and ``serve`` still triage and write to the helpdesk (the source of
    truth), their decisions in the log, and ``serve``'s readiness follows this verdict, so
    unhealthy would take a working server out of its load balancer. What it costs (the
    dashboard, ``audit info``, the store's history) is said, with what to do: nothing mends it
    by itself (a run sets aside only a file that is not a database at all)."""
    path = Path(state_dir) / FILE_NAME
    if not path.is_file() or path.stat().st_size == 0:
        return None
    problem = _integrity(path, clock)
    if problem is None:
        return "healthy", f"{path} is whole (SQLite's quick_check)"
    return "degraded", (
        f"{path} is damaged ({problem}): runs still triage and write to the helpdesk, their "
        "decisions in the logs only; the dashboard and `audit info` cannot read it, the report "
        "reads the logs. Stop serve and the dashboard, move it and its -wal and -shm files "
        "aside, then `ticketbot audit import` with the log directory loads the logs into a new "
        "store "
        f"({RECOVERY})"
    )
