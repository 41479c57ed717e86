"""What the SLA pass remembers between runs (``<state dir>/sla.json``): each target it warned
of (when, how likely, whether a route paged it), each breach it recorded and each warned
target met in time, so a target is warned of once and a breach recorded once, never
announced. A target is one deadline on one ticket: ``<ticket>:<metric>:<breach minute>`` (a
next reply's new deadline is a new target). Entries older than ``KEEP`` are forgotten."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import StateFileRefused
from ..helpdesks.sla import Clock

KEEP = 30 * 86400
FILE = "sla.json"


def target_key(clock: Clock) -> str:
    minute = int(clock.breach_at // 60) if clock.breach_at is not None else 0
    return f"{clock.ticket_id}:{clock.metric}:{minute}"


@dataclass
class SlaBook:
    """``warned``: key -> {at, breach_at, probability, cautious, paged}; ``breached``: key ->
    {at, warned_at}; ``met``: key -> {at, warned_at}."""

    path: Path
    warned: dict[str, dict[str, Any]] = field(default_factory=dict)
    breached: dict[str, dict[str, Any]] = field(default_factory=dict)
    met: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def open(cls, state_dir: Path) -> SlaBook:
        path = state_dir / FILE
        try:
            raw = orjson.loads(read_state_bytes(path))
        except (FileNotFoundError, StateFileRefused, orjson.JSONDecodeError, OSError):
            return cls(path)
        if not isinstance(raw, dict):
            return cls(path)
        parts: list[dict[str, dict[str, Any]]] = [
            part if isinstance(part := raw.get(name), dict) else {}
            for name in ("warned", "breached", "met")
        ]
        return cls(path, parts[0], parts[1], parts[2])

    def save(self, now: float) -> None:
        for part in (self.warned, self.breached, self.met):
            for key in [k for k, v in part.items() if float(v.get("at", 0)) < now - KEEP]:
                del part[key]
        body = {"warned": self.warned, "breached": self.breached, "met": self.met}
        atomic_write_bytes(self.path, orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
