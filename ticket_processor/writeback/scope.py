"""Which tickets a run may touch: ``TICKETBOT_SCOPE`` filters and the agents' opt-out tag.

``TICKETBOT_SCOPE`` narrows ticketbot to part of a helpdesk — a trial on one brand or one
group — as ``key=value,value;key=value`` with the keys ``brand``, ``group``, ``form`` (ids, as
the helpdesk numbers them) and ``channel`` (``email``, ``web``, ``api``, ``chat``, ...): a ticket
is in scope when it matches every key given. An agent opts a ticket out by adding the tag
``<prefix>skip``. A ticket out of scope is counted, never analysed and never written.

``choose`` is the one place that decides whether a discovered ticket is taken for triage — by
``run`` and by ``backfill`` alike: in scope, not done already (the processed marker), not solved
or closed; ``--force`` with ``--ticket`` takes a done ticket again. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import ConfigError
from ..models import Ticket, sanitise_tag
from .triage_change import is_processed

_KEYS = {"brand": "brand_id", "group": "group_id", "form": "form_id", "channel": "channel"}


@dataclass(frozen=True)
class Scope:
    rules: dict[str, frozenset[str]] = field(default_factory=dict)  # ticket attribute -> values
    skip_tag: str = "ai_skip"

    def admits(self, ticket: Ticket) -> bool:
        if self.skip_tag in ticket.tags:
            return False
        for attribute, allowed in self.rules.items():
            value = getattr(ticket, attribute)
            if value is None or str(value).lower() not in allowed:
                return False
        return True

    def describe(self) -> str:
        parts = [f"{key}={','.join(sorted(v))}" for key, v in self.rules.items()]
        return "; ".join(parts) or "every ticket"


# What becomes of a discovered ticket: triaged, or counted as out of scope or as done; or
# passed by uncounted, a ticket ticketbot opened itself (``own_ticket_tag``).
Choice = Literal["take", "out_of_scope", "done", "ours"]
CLOSED = ("solved", "closed")


def own_ticket_tag(prefix: str) -> str:
    """The tag of a ticket ticketbot opened itself (an incident's tracker on a helpdesk that
    links reports to one): no customer's ticket, never triaged, flagged, merged or answered."""
    return f"{prefix}incident_tracker"


def choose(ticket: Ticket, *, scope: Scope, prefix: str, force: bool = False) -> Choice:
    """Whether a discovered ticket is taken for triage, and if not, why."""
    if own_ticket_tag(prefix) in ticket.tags:
        return "ours"  # even with --force: its requester is ticketbot's own agent
    if not scope.admits(ticket):
        return "out_of_scope"
    if force:
        return "take"
    if is_processed(ticket.tags, prefix) or ticket.status in CLOSED:
        return "done"
    return "take"


def in_shard(ticket_id: int, shard: tuple[int, int] | None) -> bool:
    """Whether shard ``(i, n)`` of a sharded backfill owns the ticket: its id is i modulo n, so
    the n shards share every ticket out once, whatever order the helpdesk lists them in."""
    return shard is None or ticket_id % shard[1] == shard[0]


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> ``(2, 4)``: shard 2 of 4, numbered from 0; anything else is a ConfigError."""
    head, sep, tail = text.partition("/")
    try:
        index, count = int(head), int(tail)
    except ValueError:
        index, count = -1, 0
    if not sep or count < 1 or not 0 <= index < count or count > 1000:
        raise ConfigError(f"--shard {text!r}: give I/N with 0 <= I < N <= 1000, e.g. --shard 0/4")
    return index, count


def parse_scope(text: str | None, *, prefix: str) -> Scope:
    """``TICKETBOT_SCOPE`` as a ``Scope``; a malformed value is a ConfigError saying why."""
    rules: dict[str, frozenset[str]] = {}
    for part in (text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        key, sep, values = part.partition("=")
        key = key.strip().lower()
        example = "(e.g. 'brand=360001;channel=email,web')"
        if not sep:
            raise ConfigError(
                f"TICKETBOT_SCOPE: {part.strip()!r} is not key=value; keys are "
                f"{', '.join(_KEYS)} {example}"
            )
        if key not in _KEYS:
            raise ConfigError(
                f"TICKETBOT_SCOPE: unknown key {key!r}; keys are {', '.join(_KEYS)} {example}"
            )
        chosen = frozenset(v.strip().lower() for v in values.split(",") if v.strip())
        if not chosen:
            raise ConfigError(f"TICKETBOT_SCOPE: {key}= names no value")
        if key != "channel" and not all(v.isdigit() for v in chosen):
            raise ConfigError(f"TICKETBOT_SCOPE: {key} takes numeric ids, got {sorted(chosen)}")
        rules[_KEYS[key]] = chosen
    return Scope(rules, skip_tag=sanitise_tag(f"{prefix}skip"))
