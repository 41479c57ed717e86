"""A suggested incident: its reports tagged and noted, the incident kept in the book and said.

On a helpdesk with too little history to link (``policy.link_after``), an incident is only
suggested: each report gets ``suggested_tag`` and a note naming the others; nothing is linked,
no group ticket is opened, no priority or group is taken and no alert goes out. So that an
agent can find it after the run, it is kept where a linked one is: in the book (marked
``suggested``, keyed by its earliest report), in an ``incident`` event (which ``report``
reads), and in a line of the run's output naming its title and tickets. A later run that finds
the same reports again adds its new ones to that record rather than making a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from ..common.eventlog import EventSink
from . import notes
from .book import Incident, IncidentBook, encode_centre
from .link_writes import LinkWrites
from .plan import LinkWrite, PlannedIncident
from .policy import DAY, IncidentPolicy
from .sightings import IncidentOutcome

LOGGED = 200  # tickets an ``incident`` event carries (the book keeps them all)


def why_suggested(history_days: float, policy: IncidentPolicy) -> str:
    return (
        f"the helpdesk has {notes.history_said(history_days)} of tickets; ticketbot links an "
        f"incident once it has {policy.link_after / DAY:g} days of them"
    )


@dataclass
class SuggestedWrites:
    """What writing a suggested incident needs from the pass."""

    writer: LinkWrites
    book: IncidentBook
    policy: IncidentPolicy
    log: EventSink
    outcome: IncidentOutcome
    kind: str
    run_id: str
    now: int

    def write(self, incident: PlannedIncident, writes: Sequence[LinkWrite]) -> None:
        first_seen = datetime.fromtimestamp(incident.first_seen, UTC).strftime("%Y-%m-%d %H:%M UTC")
        history_days = self.outcome.history_days or 0.0
        written: list[int] = []
        for write in writes:
            note = notes.suggested_note(
                title=incident.title,
                others=[t for t in incident.members if t != write.ticket_id],
                first_seen=first_seen,
                history_days=history_days,
                link_days=int(self.policy.link_after // DAY),
                why=incident.why,
            )
            tags = (self.policy.suggested_tag,)
            if self.writer.one("suggest", write.ticket_id, None, note, tags, write=write):
                written.append(write.ticket_id)
        self.outcome.suggested += len(written)
        failed = {w.ticket_id for w in writes} - set(written)
        members = [t for t in incident.members if t not in failed]
        if not members:
            return
        why = incident.why or why_suggested(history_days, self.policy)
        record, new = self._record(incident, members, why)
        if not written:
            return  # found again with nothing new: said when it was first written
        self.outcome.incidents += 1
        self.outcome.lines.append(
            f"incident suggested: “{record.title}”, {record.reports} reports: "
            f"{notes.ticket_list(record.members)} (suggest-only, not linked: {why})"
        )
        self.log.emit(
            "incident",
            key=record.key,
            title=record.title,
            reports=record.reports,
            first_seen=first_seen,
            linked_now=0,
            suggested_now=len(written),
            new=new,
            suggested=True,
            why=why,
            tickets=record.members[:LOGGED],
            run_id=self.run_id,
        )

    def _record(
        self, incident: PlannedIncident, members: list[int], why: str
    ) -> tuple[Incident, bool]:
        """The book's record of this suggestion: the one an earlier run made over the same
        reports, grown, or a new one."""
        record = self.book.suggested_with(members)
        if record is not None:
            record.members = list(dict.fromkeys([*record.members, *members]))
            record.requesters = list(dict.fromkeys([*record.requesters, *incident.requesters]))
            record.last_seen, record.why = self.now, why
            return record, False
        record = Incident(
            key=members[0],
            kind=self.kind,
            centre=encode_centre(incident.centre),
            title=incident.title,
            members=members,
            requesters=list(incident.requesters),
            first_seen=incident.first_seen,
            last_seen=self.now,
            subjects=list(incident.subjects),
            run_id=self.run_id,
            suggested=True,
            why=why,
        )
        self.book.incidents.append(record)
        return record, True
