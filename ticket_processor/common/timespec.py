"""Points in time as text: as people type them (``24h``, ``7d``, ISO 8601) and as logs write them.

Pure: the caller passes ``now``. One parser for every ``--since`` (``run``, ``report``), so the
same text means the same moment everywhere, and one error wording naming the flag.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from ..errors import ConfigError

_SPAN = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$", re.IGNORECASE)
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_moment(text: str, *, now: datetime, flag: str = "--since") -> datetime:
    """A span back from ``now`` (``30m``, ``24h``, ``7d``, ``2w``) or an ISO date or date-time.

    A date means midnight UTC; a date-time without an offset is taken as UTC. The result is
    always timezone-aware. Anything else is a ``ConfigError`` naming ``flag``.
    """
    match = _SPAN.match(text)
    if match:
        amount, unit = int(match.group(1)), match.group(2).lower()
        try:
            return now - timedelta(**{_UNITS[unit]: amount})
        except OverflowError:
            raise ConfigError(f"{flag}: {text!r} reaches too far back") from None
    stripped = text.strip()
    try:
        if len(stripped) == 10:
            day = date.fromisoformat(stripped)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(stripped.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{flag}: {text!r} is neither a span back from now (30m, 24h, 7d, 2w) nor an ISO "
            "date or time (2026-11-01, 2026-11-01T08:00, 2026-11-01T08:00:00+01:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_ts(moment: datetime) -> str:
    """ISO-8601 UTC with milliseconds and a ``Z``: sortable as text, parseable by fromisoformat."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_ts(text: str) -> datetime:
    """Inverse of ``format_ts`` (any ISO-8601 string; a naive one is taken as UTC)."""
    moment = datetime.fromisoformat(text)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
