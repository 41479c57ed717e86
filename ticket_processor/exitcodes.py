"""The exit codes, the contract with cron, Task Scheduler, Kubernetes and monitoring systems.

``run`` (and ``backfill``, ``revert``): 0 success (fallback included, also "another run holds
the lock"), 1 aborted (auth failure, helpdesk unreachable, breaker open, a hung run holding the
lock, a state or log file that cannot be written), 2 usage or configuration error, 3 finished
but some tickets failed, 130 / 143 stopped by SIGINT / SIGTERM after saving its progress.

``health`` follows the monitoring-plugin convention (Nagios, Icinga, Sensu read it directly):
0 OK, 1 WARNING (degraded), 2 CRITICAL (unhealthy), 3 UNKNOWN (could not check, its own
configuration errors included). Every command exits 2 on a usage error, as Typer does.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ABORTED = 1
    CONFIG = 2  # a usage or configuration error
    PARTIAL = 3
    INTERRUPTED = 130  # SIGINT, 128 + 2
    TERMINATED = 143  # SIGTERM, 128 + 15
    # health, the monitoring-plugin convention (aliases of the values above)
    HEALTH_OK = 0
    HEALTH_WARNING = 1
    HEALTH_CRITICAL = 2
    HEALTH_UNKNOWN = 3


SIGNAL_EXIT = {"SIGINT": ExitCode.INTERRUPTED, "SIGTERM": ExitCode.TERMINATED}
