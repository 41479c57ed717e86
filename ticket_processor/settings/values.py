"""How a setting's text becomes its value where pydantic's own parsing is not enough: durations
(``24h``), the worker count (``auto`` or a number), per-field thresholds (``category=0.9``)."""

from __future__ import annotations

from .variables import CALIBRATED_FIELDS

# What TICKETBOT_INCIDENT_FOLLOW takes: none, or group and/or priority.
FOLLOW_PATTERN = r"^(none|(group|priority)(, ?(group|priority))?)$"

_DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().lower()
        unit = _DURATION_UNITS.get(text[-1:]) if text else None
        number = text[:-1] if unit else text
        try:
            return float(number) * (unit or 1.0)
        except ValueError:
            raise ValueError("must be a duration such as 3600, 90m, 24h or 2d") from None
    return value


def parse_workers(value: object) -> object:
    text = str(value).strip().lower()
    if text == "auto":
        return "auto"
    try:
        number = int(text)
    except ValueError:
        number = 0
    if isinstance(value, bool) or not 1 <= number <= 256:
        raise ValueError("must be auto or a number from 1 to 256")
    return number


def parse_thresholds(text: str | None, *, setting: str) -> dict[str, float]:
    """``"category=0.9,urgency=0.8"`` (or one number for every field) as a mapping; a bad entry
    raises ValueError naming ``setting``."""
    if not text or not text.strip():
        return {}
    text = text.strip()
    try:
        single = float(text)
    except ValueError:
        single = None
    if single is not None:
        if not 0 <= single <= 1:
            raise ValueError(f"{setting}: {text!r} is not between 0 and 1")
        return dict.fromkeys(CALIBRATED_FIELDS, single)
    found: dict[str, float] = {}
    for part in text.split(","):
        name, equals, value = part.partition("=")
        name = name.strip()
        if not equals or name not in CALIBRATED_FIELDS:
            raise ValueError(
                f"{setting}: {part.strip()!r}: expected FIELD=NUMBER with FIELD one of "
                f"{', '.join(CALIBRATED_FIELDS)} (e.g. category=0.95,urgency=0.9)"
            )
        try:
            number = float(value)
        except ValueError:
            raise ValueError(
                f"{setting}: {part.strip()!r}: {value.strip()!r} is not a number"
            ) from None
        if not 0 <= number <= 1:
            raise ValueError(f"{setting}: {part.strip()!r}: must be between 0 and 1")
        found[name] = number
    return found


def scope_channels(text: str | None) -> list[str]:
    """The values of ``TICKETBOT_SCOPE``'s ``channel=`` parts, lower-cased (the rest of it is
    ``writeback.scope.parse_scope``'s to read and refuse)."""
    found: list[str] = []
    for part in (text or "").replace("\n", ";").split(";"):
        key, sep, values = part.partition("=")
        if sep and key.strip().lower() == "channel":
            found += [v.strip().lower() for v in values.split(",") if v.strip()]
    return found
