"""Tinydesk as a ``Helpdesk``: every read and write on its in-memory store (``store.py``).

Only what the protocol asks: no ``links()`` (no incident linking) and none of the answering
calls; its descriptor says so (``kind.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from ticket_processor.common.helpdesk_settings import HelpdeskSettings
from ticket_processor.helpdesks.descriptor import Wiring
from ticket_processor.helpdesks.samples import SeedOutcome, SeedTicket
from ticket_processor.models import (
    Agent,
    ArticleListing,
    Conversation,
    Cursor,
    Group,
    Helpdesk,
    HelpdeskField,
    Probe,
    Replan,
    ReplyPage,
    Ticket,
    TicketOutcome,
    TicketPage,
    WriteBack,
    WriteJournal,
    WriteLimits,
    WriteOutcome,
)

from .kind import TinydeskSettings
from .store import Store, store


def _ticket(record: Mapping[str, Any]) -> Ticket:
    return Ticket(
        id=record["id"],
        subject=record["subject"],
        description=record["description"],
        status=record["status"],
        priority=record["priority"],
        tags=tuple(record["tags"]),
        updated_at=record["updated_at"],
        group_id=record["group_id"],
        requester_id=record["requester_id"],
    )


class TinydeskHelpdesk:
    def __init__(self, name: str, records: Store) -> None:
        self._name = name
        self.store = records

    @property
    def kind(self) -> str:
        return "tinydesk"

    @property
    def base_url(self) -> str:
        return f"http://tinydesk.invalid/{self._name}"

    @property
    def limits(self) -> WriteLimits:
        return WriteLimits(batch_size=10)

    def ticket_pages(
        self, cursor: Cursor | None, *, since: int, query: str | None = None
    ) -> Iterator[TicketPage]:
        after = int(cursor.value or 0) if cursor is not None else 0
        records = self.store.changed_after(after)
        last = max((r["seq"] for r in records), default=after)
        tickets = [_ticket(r) for r in records]
        yield TicketPage(tickets, Cursor("seq", str(last)), last=True)

    def reply_pages(
        self,
        cursor: Cursor | None,
        *,
        since: int,
        prefix: str,
        written: Callable[[int], str | None],
    ) -> Iterator[ReplyPage]:
        yield ReplyPage([], Cursor("seq", str(self.store.seq)), last=True)

    def conversation(self, ticket_id: int) -> Conversation | None:
        record = self.store.get(ticket_id)
        return None if record is None else Conversation(_ticket(record), ())

    def count_open_before(self, moment: int) -> int | None:
        return None

    def requester_known(self, requester_id: int) -> bool | None:
        return None

    def tickets(self, ids: Sequence[int]) -> list[Ticket]:
        found = (self.store.get(i) for i in dict.fromkeys(ids))
        return [_ticket(r) for r in found if r is not None]

    def write_batch(
        self,
        changes: Sequence[WriteBack],
        *,
        replan: Replan,
        journal: WriteJournal,
        report: Callable[[WriteOutcome], None],
    ) -> None:
        ids = [change.ticket_id for change in changes]
        journal.begin(ids)
        try:
            for change in changes:
                report(self._write(change.ticket_id, replan))
        finally:
            journal.end(ids, ())

    def _write(self, ticket_id: int, replan: Replan) -> WriteOutcome:
        record = self.store.get(ticket_id)
        plan = replan(_ticket(record)) if record is not None else None
        if record is None or plan is None:
            return WriteOutcome(ticket_id, None)
        tags = [t for t in record["tags"] if t not in plan.remove_tags]
        tags += [t for t in plan.additional_tags if t not in tags]
        values: dict[str, Any] = {"tags": tags, "note": plan.note}
        if plan.priority is not None or plan.clear_priority:
            values["priority"] = plan.priority
        if plan.group_id is not None or plan.clear_group:
            values["group_id"] = plan.group_id
        written = self.store.update(ticket_id, **values)
        return WriteOutcome(ticket_id, plan, updated_at=written["updated_at"])

    def recover(self, jobs: Mapping[str, Sequence[int]], inflight: Sequence[int]) -> list[int]:
        return []  # every write lands whole, or not at all

    def notes(self, ticket_id: int) -> list[str]:
        record = self.store.get(ticket_id)
        return list(record["notes"]) if record is not None else []

    def notes_and_field(self, ticket_id: int, field_key: str) -> tuple[list[str], object]:
        return self.notes(ticket_id), None  # it has no custom fields

    def groups(self) -> list[Group]:
        return []

    def agents(self) -> list[Agent]:
        return []

    def ticket_fields(self) -> list[HelpdeskField]:
        return []

    def articles(self, since: int | None) -> ArticleListing:
        return ArticleListing(iter(()), complete=True)

    def probe(self) -> Probe:
        return Probe(True, "in memory", sandbox=True)

    def ticket_url(self, ticket_id: int) -> str:
        return f"{self.base_url}/tickets/{ticket_id}"

    def outcomes(self, since: int) -> dict[int, TicketOutcome]:
        return {}  # a kind with no satisfaction ratings nor metrics

    def close(self) -> None:
        pass


def build(desk: HelpdeskSettings, wiring: Wiring) -> Helpdesk:
    """The registry's ``AdapterBuilder`` for Tinydesk."""
    assert isinstance(desk, TinydeskSettings)
    desk.require()
    name = desk.tinydesk_store or ""
    return TinydeskHelpdesk(name, store(name))


def seed(
    helpdesk: Helpdesk,
    tickets: Sequence[SeedTicket],
    *,
    samples: bool,
    on_progress: Callable[[int], None] | None = None,
) -> SeedOutcome:
    raise NotImplementedError("Tinydesk is filled by its tests")
