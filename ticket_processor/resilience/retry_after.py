"""How long a server's ``Retry-After`` may hold ticketbot: at most ``MAX_HOLD_S``.

A rate limit's ``Retry-After`` is the server's wish, and a shared budget hands it on to every
process on the key: one ``Retry-After: 86400`` (or ``1e12``, or a date years away) from a
misconfigured proxy would stop every installation for a day or for ever. Providers reset their
limits within a minute or an hour's part of it, so a hold longer than fifteen minutes is taken
as fifteen minutes; a value that is not a finite number of seconds (``nan``, ``inf``, a
negative one) holds nothing. Pure.
"""

from __future__ import annotations

import math

MAX_HOLD_S = 900.0


def bounded_hold(seconds: float | None) -> float | None:
    """``seconds`` as a hold ticketbot keeps: None stays None, a value that is not a finite,
    positive number is 0, anything above ``MAX_HOLD_S`` is ``MAX_HOLD_S``."""
    if seconds is None:
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return 0.0
    if not math.isfinite(value) or value <= 0:
        return 0.0
    return min(value, MAX_HOLD_S)
