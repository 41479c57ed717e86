"""The incident pass's writes to the helpdesk, one ticket at a time: each is one event
``incident_write`` (what ``revert --run`` reads) or ``incident_write_failed``, counted in the
pass's outcome; a repeat ticket is flagged or merged and kept in the book."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from . import notes
from .book import Flagged, IncidentBook
from .plan import LinkOps, LinkWrite
from .policy import IncidentPolicy
from .sightings import IncidentOutcome


@dataclass
class LinkWrites:
    ops: LinkOps
    log: EventSink
    run_id: str
    outcome: IncidentOutcome

    def repeat(
        self,
        write: LinkWrite,
        book: IncidentBook,
        policy: IncidentPolicy,
        ticket_url: Callable[[int], str],
        now: Callable[[], float],
    ) -> None:
        """A repeat ticket flagged (or merged into the earlier one), and kept in the book."""
        earlier = int(write.earlier or 0)
        merge = write.action == "merge"
        note = notes.duplicate_note(
            earlier=earlier,
            url=ticket_url(earlier),
            similarity=write.similarity,
            merged=merge,
        )
        tag = policy.merged_tag if merge else policy.duplicate_tag
        if not self.one(
            "flag",
            write.ticket_id,
            None,
            note,
            (tag,),
            earlier=earlier,
            similarity=write.similarity,
        ):
            return
        if merge:
            try:
                self.ops.merge(earlier, write.ticket_id, note)
            except TicketBotError as exc:
                self.outcome.failed += 1
                self.log.emit("incident_write_failed", action="merge", error=str(exc))
                return
            self.log.emit(
                "incident_write",
                run_id=self.run_id,
                ticket_id=write.ticket_id,
                action="merge",
                group=earlier,
                earlier=earlier,
                similarity=round(write.similarity, 3),
                kind=self.ops.kind,
                tags_added=[],
            )
            self.outcome.merged += 1
        else:
            self.outcome.flagged += 1
        book.flagged.append(
            Flagged(
                write.ticket_id,
                earlier,
                round(write.similarity, 3),
                merge,
                self.run_id,
                int(now()),
            )
        )

    def one(
        self,
        action: str,
        ticket_id: int,
        group: int | None,
        note: str,
        tags: Sequence[str],
        *,
        earlier: int | None = None,
        similarity: float = 0.0,
        write: LinkWrite | None = None,
    ) -> bool:
        """One ticket's write, and its event; False when the helpdesk refused it. A suggestion
        is, to the helpdesk, a flag (tags and a note): its event says ``suggest``."""
        routing = write.routing if write is not None else {}
        try:
            self.ops.write(
                "flag" if action == "suggest" else action,
                ticket_id,
                group=group,
                note=note,
                add_tags=tags,
                routing=routing,
            )
        except TicketBotError as exc:
            self.outcome.failed += 1
            self.log.emit(
                "incident_write_failed", ticket_id=ticket_id, action=action, error=str(exc)
            )
            return False
        self.log.emit(
            "incident_write",
            run_id=self.run_id,
            ticket_id=ticket_id,
            action=action,
            group=group,
            earlier=earlier,
            similarity=round(similarity, 3),
            kind=self.ops.kind,
            tags_added=list(tags),
            routing=routing,
            routing_before=write.routing_before if write is not None else {},
        )
        return True
