"""The SLA read across runs (``<state dir>/sla_read.json``): where the last read left off and
what it found, so a run reads only what changed since.

A read gives a ``position`` (Zendesk's export cursor and the metric events' ``end_time``,
Freshdesk's latest ``updated_at``, ServiceNow's latest ``sys_updated_on``). The next run
reads from it: the tickets changed since, whose clocks and first replies replace the ones
kept; the clocks and first replies of the tickets not changed are the ones kept (a first
reply older than the history's window is dropped). A full read is made once a day, and
whenever the file is missing, unreadable, of another helpdesk or of another shape (said once,
in the run's warnings: the full read keeps a good file for the next).

The file holds ticket ids, groups, priorities, tags, times and targets: no subject, no text (a
clock kept shows no subject; a changed ticket's is read again).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import StateFileRefused
from ..helpdesks.sla import Clock, FirstReply, SlaRead

FILE = "sla_read.json"
FULL_EVERY = 86400  # a full read at least this often: what a position cannot see is seen again
_CLOCK_FIELDS = {f.name for f in fields(Clock)} - {"subject"}
_REPLY_FIELDS = {f.name for f in fields(FirstReply)}


def _clock(raw: object) -> Clock:
    if not isinstance(raw, dict) or set(raw) != _CLOCK_FIELDS:
        raise ValueError("not a clock")
    kept = dict(raw)
    kept["tags"] = tuple(str(t) for t in kept["tags"] or ())
    kept["targets"] = {str(k): float(v) for k, v in (kept["targets"] or {}).items()}
    return Clock(**kept)


def _reply(raw: object) -> FirstReply:
    if not isinstance(raw, dict) or set(raw) != _REPLY_FIELDS:
        raise ValueError("not a first reply")
    return FirstReply(**raw)


@dataclass
class SlaReads:
    """What the last run's read left: its ``position`` (None: read everything), when it was
    made in full, and the clocks and first replies it found; ``note``: why this run reads in
    full, where it says."""

    path: Path
    kind: str
    position: dict[str, Any] | None = None
    full_at: float = 0.0
    clocks: list[Clock] = field(default_factory=list)
    history: list[FirstReply] = field(default_factory=list)
    note: str | None = None

    @classmethod
    def open(cls, state_dir: Path, kind: str, *, now: float) -> SlaReads:
        path = state_dir / FILE
        try:
            raw = orjson.loads(read_state_bytes(path))
        except FileNotFoundError:
            return cls(path, kind, note="no earlier SLA read kept: this run reads in full")
        except (StateFileRefused, orjson.JSONDecodeError, OSError):
            return cls(path, kind, note="the kept SLA read was unreadable: this run reads in full")
        try:
            if not isinstance(raw, dict) or raw.get("kind") != kind:
                raise ValueError("another helpdesk's")
            position, full_at = raw["position"], float(raw["full_at"])
            if position is not None and not isinstance(position, dict):
                raise ValueError("not a position")
            clocks = [_clock(c) for c in raw["clocks"]]
            history = [_reply(h) for h in raw["history"]]
        except (KeyError, TypeError, ValueError):
            note = "the kept SLA read was not one this run can use: this run reads in full"
            return cls(path, kind, note=note)
        if position is None or now - full_at >= FULL_EVERY:
            return cls(path, kind, full_at=full_at)  # the day's full read: nothing to say
        return cls(path, kind, position, full_at, clocks, history)

    def merged(self, read: SlaRead, *, history_since: float) -> SlaRead:
        """``read`` with the kept clocks and first replies of the tickets it did not read
        (a read in full, ``changed`` None, is whole as it is)."""
        if read.changed is None:
            return read
        changed = read.changed
        clocks = [c for c in self.clocks if c.ticket_id not in changed]
        history = [
            h for h in self.history if h.ticket_id not in changed and h.asked_at >= history_since
        ]
        return replace(read, clocks=clocks + read.clocks, history=history + read.history)

    def save(self, read: SlaRead, *, now: float) -> None:
        """Keeps ``read`` (merged) and its position for the next run; a read that gives no
        position, or stopped at its budget, leaves the next run to read in full."""
        body = {
            "kind": self.kind,
            "position": read.position if read.complete else None,
            "full_at": now if read.changed is None else self.full_at,
            "clocks": [{k: v for k, v in asdict(c).items() if k != "subject"} for c in read.clocks],
            "history": [asdict(h) for h in read.history],
        }
        atomic_write_bytes(self.path, orjson.dumps(body))
