"""The exit codes, the contract with cron, Task Scheduler, Kubernetes and monitoring systems.

``ExitCode`` is what the code returns; ``CONTRACT`` says what each code means for which
commands, in words, and is what the docs' exit-codes page is generated from. ``health`` follows
the monitoring-plugin convention (Nagios, Icinga, Sensu read it directly).
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    ABORTED = 1
    CONFIG = 2  # a usage or configuration error
    PARTIAL = 3
    KEY = 4  # the encryption key is missing or wrong: nothing was changed
    INTERRUPTED = 130  # SIGINT, 128 + 2
    TERMINATED = 143  # SIGTERM, 128 + 15
    # health, the monitoring-plugin convention (aliases of the values above)
    HEALTH_OK = 0
    HEALTH_WARNING = 1
    HEALTH_CRITICAL = 2
    HEALTH_UNKNOWN = 3


# Which commands, and what each of their codes means. The docs' reference page is made of it.
CONTRACT: tuple[tuple[str, tuple[tuple[int, str], ...]], ...] = (
    (
        "every command",
        (
            (ExitCode.OK, "success"),
            (
                ExitCode.CONFIG,
                "a usage error (an unknown flag, as Typer does) or a configuration error (a "
                "bad setting, named with how to fix it), or a damaged audit store for a command "
                "that reads it (`audit info`), named with how to start again; for `health` "
                "that is 3",
            ),
            (
                ExitCode.KEY,
                "encrypted data and no key, or the wrong key, for it "
                "(`TICKETBOT_ENCRYPTION_KEY_FILE`, `TICKETBOT_ENCRYPTION_KEY`), or a key file "
                "that cannot be read: the message names the file; nothing was read or changed; "
                "for `health` that is 3",
            ),
        ),
    ),
    (
        "run, backfill, revert",
        (
            (ExitCode.OK, 'success, fallback included; also "another run holds the lock"'),
            (
                ExitCode.ABORTED,
                "aborted: an authentication failure, the helpdesk unreachable, its breaker "
                "open, a hung run holding the lock, a state or log file that cannot be written",
            ),
            (
                ExitCode.CONFIG,
                "a usage or configuration error (a dry run too: a state directory that is a "
                "file, or that the run may not trust or write, stops it as it stops the run)",
            ),
            (ExitCode.PARTIAL, "finished, but some tickets failed"),
            (ExitCode.INTERRUPTED, "stopped by SIGINT after saving its progress"),
            (ExitCode.TERMINATED, "stopped by SIGTERM after saving its progress"),
        ),
    ),
    (
        "health",
        (
            (ExitCode.HEALTH_OK, "OK: healthy; also a fresh install before its first run"),
            (ExitCode.HEALTH_WARNING, "WARNING: degraded"),
            (ExitCode.HEALTH_CRITICAL, "CRITICAL: unhealthy"),
            (
                ExitCode.HEALTH_UNKNOWN,
                "UNKNOWN: could not check, its own configuration errors (a missing or wrong "
                "encryption key among them) included",
            ),
        ),
    ),
)

SIGNAL_EXIT = {"SIGINT": ExitCode.INTERRUPTED, "SIGTERM": ExitCode.TERMINATED}
