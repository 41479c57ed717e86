"""A deletion in the helpdesk followed by the next run: the tickets and people the helpdesk
deleted (its trash, its deleted users or contacts, ServiceNow's ``sys_audit_delete``, the
tickets of a comment Zendesk redacted: each kind's ``deletions`` read,
``helpdesks/deletions.py``) are forgotten as ``privacy forget`` forgets them
(``forget.forget``), with no command.

It is on whenever ticketbot holds someone's data: the people index (which every run keeps)
lists tickets. An index with no ticket reads nothing, and a run reads at most every
``TICKETBOT_DELETIONS_EVERY`` minutes (from the first ticket held). Each read is incremental
(from the last complete read, ``PeopleIndex.deletions_read``, less ``OVERLAP`` for a deletion
stamped late) and bounded (``MAX_REQUESTS``); only what ticketbot holds is forgotten: a deleted
ticket it never read, or a person none of whose tickets it keeps, is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import HelpdeskError
from ..helpdesks.deletions import Deletions
from ..helpdesks.registry import KINDS
from ..models import Helpdesk
from ..state.file_lock import updating
from . import people
from .traces import Where

MAX_REQUESTS = 6
OVERLAP = 600.0  # seconds of the last read read again


@dataclass(frozen=True)
class Followed:
    """What one follow did: the tickets forgotten, the requests it took, what went wrong, and
    what the read could not read (``Deletions.notes``)."""

    tickets: tuple[int, ...] = ()
    requests: int = 0
    error: str | None = None
    notes: tuple[str, ...] = ()


def _held(index: people.PeopleIndex, deleted: Deletions) -> tuple[dict[str, list[int]], set[int]]:
    """Of what the helpdesk deleted, what ticketbot holds: the deleted people's addresses with
    their tickets, and the other tickets (deleted, or of a deleted person known by id)."""
    by_address = {a: index.tickets_of(a) for a in sorted(deleted.addresses)}
    by_address = {a: t for a, t in by_address.items() if t}
    tickets = {t for t in deleted.tickets if t in index.tickets}
    tickets |= {t for t, s in index.tickets.items() if s.requester_id in deleted.requesters}
    tickets -= {t for found in by_address.values() for t in found}
    return by_address, tickets


def follow_deletions(
    where: Where, helpdesk: Helpdesk, *, now: float, every: float = 0.0
) -> Followed:
    """Read the helpdesk's deletions since the last read and forget what ticketbot holds of
    them; the read's moment recorded when it read to the end. ``every``: seconds the last read
    (or, before any, the first ticket held) must be old: none sooner."""
    index = people.load(where.state_dir)
    if not index.tickets:
        return Followed()
    oldest = min(s.first_seen for s in index.tickets.values())
    last = index.deletions_read if index.deletions_read is not None else oldest
    kind = KINDS.get(helpdesk.kind)
    if now - last < every or kind is None or not kind.deletions:
        return Followed()
    # The stores' modules (the audit store's database layer among them) load only to follow.
    from .forget import DataRequest, forget

    reader = kind.deletion_reader()
    assert reader is not None
    since = last - OVERLAP if index.deletions_read is not None else oldest
    try:
        deleted = reader(helpdesk, since=since, max_requests=MAX_REQUESTS)
    except HelpdeskError as exc:
        return Followed(error=str(exc))
    by_address, tickets = _held(index, deleted)
    gone: list[int] = []
    for address, theirs in by_address.items():
        forget(where, DataRequest(requester=address), dry_run=False, now=now)
        gone += theirs
    if tickets:
        forget(where, DataRequest(tickets=tuple(sorted(tickets))), dry_run=False, now=now)
        gone += sorted(tickets)
    if deleted.complete:
        with updating(people.index_path(where.state_dir)) as held:
            if held:
                index = people.load(where.state_dir)
                index.deletions_read = now
                people.save(where.state_dir, index)
    return Followed(tuple(sorted(gone)), deleted.requests, notes=deleted.notes)
