"""The people index (``people.json`` in the state directory): whose tickets ticketbot holds
data of, so ``privacy export`` and ``privacy forget`` can find one person's by their address.

A run records, for every ticket it reads, a keyed hash (HMAC-SHA-256) of each address the
helpdesk names on it (its requester first, then the people copied in), the requester's id in
the helpdesk and when the ticket was first seen. The index never holds an address or a name:
the hash's key is a random secret kept in the same file, so an address can be looked up by
whoever may read the state directory, and the file alone does not list anyone's. A forget
removes the person's tickets from the index and records the hashes and ticket ids forgotten
(``forgotten``), which every later run erases again from the caches it rebuilds from the
helpdesk's history; a ticket the person opens later is a new id, and is kept.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..models import Ticket

FILE_NAME = "people.json"
VERSION = 1
# How long a ticket's entry is kept: past every book's retention (the reply book's 90 days, the
# audit store's TICKETBOT_KEEP_DAYS as usually set), so a request a year on still finds it.
KEEP_SECONDS = 400 * 86400


def normalised(address: str) -> str:
    """An address as the index compares it: trimmed, lower case."""
    return address.strip().lower()


@dataclass(frozen=True)
class Sighted:
    """A ticket as a run read it: the addresses on it (requester first), its requester."""

    ticket_id: int
    addresses: tuple[str, ...]
    requester_id: int | None
    at: float

    @classmethod
    def of(cls, ticket: Ticket, at: float) -> Sighted:
        addresses = [p.email for p in ticket.people if p.email]
        if ticket.sender:
            addresses.append(ticket.sender)
        return cls(ticket.id, tuple(addresses), ticket.requester_id, at)


@dataclass
class TicketPeople:
    """One ticket as the index knows it: hashes of its addresses (requester first)."""

    who: list[str]
    requester_id: int | None
    first_seen: float


@dataclass
class Forgotten:
    """One forget: the hashes of the addresses forgotten, their tickets, and when."""

    who: list[str]
    tickets: list[int]
    at: float


@dataclass
class PeopleIndex:
    key: bytes
    tickets: dict[int, TicketPeople] = field(default_factory=dict)
    forgotten: list[Forgotten] = field(default_factory=list)
    # When the helpdesk's deletions were last read to the end (``follow.py``): the next read
    # starts there.
    deletions_read: float | None = None

    def hash_of(self, address: str) -> str:
        return hmac.new(self.key, normalised(address).encode(), hashlib.sha256).hexdigest()[:32]

    def record(self, seen: Sighted) -> None:
        """Remember whose the ticket is (a ticket seen again keeps its first time)."""
        who = list(dict.fromkeys(self.hash_of(a) for a in seen.addresses))
        known = self.tickets.get(seen.ticket_id)
        first = known.first_seen if known is not None else seen.at
        if known is not None:
            who = list(dict.fromkeys([*known.who, *who]))
        self.tickets[seen.ticket_id] = TicketPeople(who, seen.requester_id, first)

    def prune(self, before: float) -> None:
        """Forget whose the tickets first seen before ``before`` were: the index stays bounded,
        and a ticket that old has left the audit store and the state files' books."""
        self.tickets = {t: s for t, s in self.tickets.items() if s.first_seen >= before}

    def tickets_of(self, address: str) -> list[int]:
        """The tickets that name ``address`` (as requester, copied in, or sender)."""
        wanted = self.hash_of(address)
        return sorted(t for t, seen in self.tickets.items() if wanted in seen.who)

    def requester_ids(self, ticket_ids: Iterable[int]) -> set[int]:
        found = (self.tickets[t].requester_id for t in ticket_ids if t in self.tickets)
        return {r for r in found if r is not None}

    def forget(self, address: str, ticket_ids: Sequence[int], now: float) -> None:
        for ticket_id in ticket_ids:
            self.tickets.pop(ticket_id, None)
        self.forgotten.append(Forgotten([self.hash_of(address)], sorted(ticket_ids), now))

    def forgotten_ids(self) -> set[int]:
        return {t for entry in self.forgotten for t in entry.tickets}


def index_path(state_dir: Path) -> Path:
    return Path(state_dir) / FILE_NAME


def load(state_dir: Path) -> PeopleIndex:
    """The index as saved; a new one (with a new key) when there is none or it is unreadable
    (the sweep sets a damaged file aside first)."""
    path = index_path(state_dir)
    try:
        raw = orjson.loads(read_state_bytes(path))
        return PeopleIndex(
            key=bytes.fromhex(raw["key"]),
            tickets={
                int(k): TicketPeople(list(v["who"]), v.get("requester_id"), float(v["first_seen"]))
                for k, v in raw["tickets"].items()
            },
            forgotten=[
                Forgotten(list(f["who"]), [int(t) for t in f["tickets"]], float(f["at"]))
                for f in raw.get("forgotten", [])
            ],
            deletions_read=_moment(raw.get("deletions_read")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return PeopleIndex(key=secrets.token_bytes(32))


def _moment(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def save(state_dir: Path, index: PeopleIndex) -> None:
    body = {
        "version": VERSION,
        "key": index.key.hex(),
        "tickets": {
            str(t): {"who": s.who, "requester_id": s.requester_id, "first_seen": s.first_seen}
            for t, s in sorted(index.tickets.items())
        },
        "forgotten": [{"who": f.who, "tickets": f.tickets, "at": f.at} for f in index.forgotten],
        "deletions_read": index.deletions_read,
    }
    # Encrypted with a key: the hashes' key is in the file, so whoever reads it could test an
    # address against it.
    atomic_write_bytes(index_path(state_dir), orjson.dumps(body), seal=True)
