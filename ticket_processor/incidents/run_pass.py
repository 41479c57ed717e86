"""The incident pass of a run: the recent tickets remembered, bursts grouped, repeats flagged.

After the run's tickets are triaged (``TICKETBOT_INCIDENTS=true``), ``IncidentPass``:

1. loads the window (``incidents/window.npz``) and the book (``incidents/book.json``); on a
   first run, or when the window's records are shorter than ``TICKETBOT_INCIDENT_WINDOW``, it
   reads the window from the helpdesk (the incremental export, or Freshdesk's list, from the
   window's start; one request per 1,000 tickets on Zendesk, per 100 on Freshdesk), keeping
   the tickets *created* in the window (an imported ticket sits in Zendesk's export at the time
   of its import, whatever its ``created_at``);
2. adds the run's tickets, with the encoder vectors the learned engine computed for them (the
   encoder's memo: a ticket is encoded once a run), then judges (``incidents.grouping``);
3. reads the tickets concerned once (type, link, tags, status, group, priority) and plans the
   writes (``incidents.plan``: reports follow the incident's routing); a dry run shows them;
4. journals the plan in the book, writes each ticket (one event ``incident_write`` each,
   which ``revert --run`` reads), alerts once per incident and again when it has grown by
   ``growth_factor``, and saves the window and the book.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ..alerts.alerter import Alerter
from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk
from ..passes.caution import Caution, say
from ..passes.protocol import Pass, RunEnd
from . import notes
from .baseline import BaselineReading, Encode, read_baseline
from .book import Incident, IncidentBook, encode_centre, load_book, save_book
from .fault import FaultHead, load_fault_head
from .follow_up import follow_ups
from .grouping import Burst, Known, judge
from .link_writes import LinkWrites
from .plan import LinkOps, LinkPlan, PlannedIncident, Sighting, fact_ids, plan_links, suggest_only
from .policy import DAY, IncidentPolicy
from .sightings import IncidentOutcome, RisingSeed, Sightings, link_ops
from .suggested import SuggestedWrites
from .vouching import Customers, vouched_plan
from .window import Window, load_window, save_window

STATE_SUBDIR = "incidents"
BASELINE_SLACK = 3600  # records this much short of the window still count as the window


def _encoder() -> Encode:
    from ..learned.embed import Encoder  # numpy and the weights: only when grouping runs

    return Encoder().encode


@dataclass
class IncidentPass:
    policy: IncidentPolicy
    helpdesk: Helpdesk
    state_dir: Path
    log: EventSink
    run_id: str
    dry_run: bool
    alerter: Alerter | None
    now: Callable[[], float] = time.time
    encode: Encode | None = None
    # What tells a fault report from a request (``incidents.fault``): with the real encoder,
    # the packaged head unless one is given; a stand-in encoder's vectors need their own.
    fault: FaultHead | None = None
    # The rising categories' counts of this run: seeded from this pass's reading of the
    # window, and told which rises the open incidents explain (``topics.run_pass``).
    rising: RisingSeed | None = None
    outcome: IncidentOutcome = field(default_factory=IncidentOutcome)
    _today_ids: set[int] = field(default_factory=set)  # the tickets this run triaged
    _planned: tuple[LinkOps, LinkPlan, Window, IncidentBook] | None = None

    @property
    def directory(self) -> Path:
        return self.state_dir / STATE_SUBDIR

    def run(self, sightings: Sequence[Sighting]) -> IncidentOutcome:
        """Group and write, in one go (``plan``, then ``write``)."""
        self.plan(sightings)
        return self.write()

    def plan(self, sightings: Sequence[Sighting]) -> None:
        """Read the window, judge, and plan the links (a dry run shows them); a failure of the
        pass is a warning of the run, never its end (the journal and the tickets' tags let the
        next run finish the job)."""
        try:
            self._planned = self._plan(sightings)
        except TicketBotError as exc:
            self._failed(exc)

    def write(self) -> IncidentOutcome:
        """Write what ``plan`` planned (nothing for a dry run)."""
        if self._planned is None or self.dry_run:
            return self.outcome
        try:
            self._write_planned(*self._planned)
        except TicketBotError as exc:
            self._failed(exc)
        return self.outcome

    def _failed(self, exc: TicketBotError) -> None:
        self.outcome.warnings.append(f"the incident grouping stopped: {exc}")
        self.log.emit("incidents_failed", level="warning", error=str(exc))

    def _plan(
        self, sightings: Sequence[Sighting]
    ) -> tuple[LinkOps, LinkPlan, Window, IncidentBook] | None:
        ops = link_ops(self.helpdesk)
        if ops is None:
            self.outcome.warnings.append(f"{self.helpdesk.kind} cannot link tickets: no grouping")
            return None
        encode = self.encode or _encoder()
        now = int(self.now())
        window, why = load_window(self.directory)
        book, book_why = load_book(self.directory)
        self.outcome.warnings.extend(w for w in (why, book_why) if w)
        window = window or Window()
        start = now - self.policy.window_seconds
        if (
            len(window) == 0
            or window.baseline_from > start + BASELINE_SLACK
            or book.baseline_cursor is not None
            or book.history_from is None
        ):
            read_baseline(
                BaselineReading(
                    self.helpdesk, self.policy, self.log, self.outcome, self.rising, now
                ),
                window,
                book,
                start,
                encode,
            )
        elif self.rising is not None:
            self.rising.read_alone(self.helpdesk)  # the window is whole: the seed reads alone
        fresh = [s for s in sightings if s.created >= start]
        self._today_ids = {s.ticket_id for s in sightings}
        if sightings and book.history_from is not None:  # an import brings its own past
            book.history_from = min(book.history_from, min(s.created for s in sightings))
        history = 0 if book.history_from is None else max(0, now - book.history_from)
        self.outcome.history_days = round(history / DAY, 1)
        if fresh:
            texts = [s.text for s in fresh]
            if self.encode is None:
                from ..learned.embed import memo_hits

                self.outcome.vectors_reused = memo_hits(texts)
            self.outcome.vectors_encoded = len(texts) - self.outcome.vectors_reused
            window.add([s.row() for s in fresh], np.asarray(encode(texts), np.float32))
        window.prune(now, self.policy.window_seconds, self.policy.max_records)
        book.forget_before(start)
        known = {i.key: i for i in book.open_incidents()}
        fault = self.fault or (load_fault_head() if self.encode is None else None)
        findings = judge(
            window,
            now,
            self.policy,
            [Known(k, i.centre_vector()) for k, i in known.items()],
            fault=fault,
            history_from=book.history_from,
        )
        if findings.agreement:  # how the head and the LLM's view agreed on the hour's tickets
            self.log.emit("incident_fault_views", **findings.agreement, dry_run=self.dry_run)
        found_repeats = follow_ups(
            window,
            list(window.rows_of([s.ticket_id for s in fresh])),
            self.policy,
            {s.ticket_id: s.text for s in fresh},
        )
        for reading in findings.readings:
            self.log.emit("incident_judged", **reading.__dict__, dry_run=self.dry_run)
        self._say_declined(findings.declined, window, book, now)
        wanted = fact_ids(window, findings, found_repeats)
        facts = ops.facts(wanted) if wanted else {}
        by_id = {s.ticket_id: s for s in sightings}
        opened = frozenset(
            [i.key for i in book.incidents if i.opened]
            + [int(p["ticket_id"]) for p in book.pending if p.get("action") == "opened"]
        )
        plan = plan_links(
            window,
            findings,
            found_repeats,
            by_id,
            known,
            facts,
            self.policy,
            kind=ops.kind,
            opened=opened,
        )
        if history < self.policy.link_after:
            plan = suggest_only(plan, facts, self.policy, book.suggested_title)
        else:  # a week to link with: a new incident needs customers the helpdesk vouches for
            customers = Customers(self.helpdesk.requester_known)
            plan = vouched_plan(
                plan, facts, self.policy, by_id, window, customers, now, book, self.log
            )
        self.outcome.kept = len(plan.kept)
        for ticket_id, why_kept in plan.kept:
            self.log.emit("incident_kept", ticket_id=ticket_id, reason=why_kept)
        if self.dry_run:
            self._show(plan)
        return ops, plan, window, book

    def _say_declined(
        self, declined: Sequence[Burst], window: Window, book: IncidentBook, now: int
    ) -> None:
        """A line for each group judged no incident, once: a later run that judges the same
        group for the same reason while its hour lasts says nothing (the book remembers; its
        ``incident_judged`` event is logged every run). A dry run shows every line."""
        for group in declined:
            ids = [int(window.ids[r]) for r in group.rows]
            first = int(window.ids[min(group.rows, key=lambda r: int(window.created[r]))])
            test = notes.failed_test(group.reading, self.policy)[0]
            if book.first_saying(first, ids, test, now, self.policy.burst_seconds) or self.dry_run:
                self.outcome.lines.append(notes.not_an_incident(group.reading, self.policy))

    def _write_planned(
        self, ops: LinkOps, plan: LinkPlan, window: Window, book: IncidentBook
    ) -> None:
        book.pending = [
            *(p for p in book.pending if p.get("action") == "opened"),
            *(w.__dict__ | {"run_id": self.run_id} for w in plan.writes),
        ]
        save_window(self.directory, window)
        save_book(self.directory, book)
        self.outcome.written = True
        self._write(ops, plan, window, book)
        if self.rising is not None:
            self.rising.explain_all(
                [(i.key, i.title, self._today_counts(i, window)) for i in book.open_incidents()]
            )
        book.pending = []
        save_window(self.directory, window)
        save_book(self.directory, book)

    # -- output and writes -------------------------------------------------------------------

    @property
    def caution(self) -> Caution | None:
        """Suggest-only, while the helpdesk has less history than a week (``link_after``)."""
        days = self.outcome.history_days
        need = self.policy.link_after / DAY
        if days is None or days >= need:
            return None
        return Caution(
            "incidents",
            "suggest-only",
            f"until {need:g} days of history",
            f"the helpdesk has {notes.history_said(days)} of tickets: an hour's similar "
            "complaints have no "
            "week to be compared with",
        )

    def _show(self, plan: LinkPlan) -> None:
        """What a real run would write, as its lines say it: a suggestion found again with no
        report left to write is not said again (``SuggestedWrites``), nor counted."""
        url = self.helpdesk.ticket_url
        shown = 0
        for index, incident in enumerate(plan.incidents):
            if incident.suggested and not any(w.incident == index for w in plan.writes):
                continue
            shown += 1
            if incident.suggested:
                why = incident.why or "no link"
                self.outcome.lines.append(
                    f"incident suggested: “{incident.title}”, "
                    f"{len(set(incident.requesters))} reports (suggest-only: {why})"
                )
                for write in plan.writes:
                    if write.incident == index:
                        self.outcome.lines.append(f"  ticket {write.ticket_id}: suggest")
                continue
            group = f"#{incident.key}" if incident.key is not None else "a new tracker"
            self.outcome.lines.append(
                f"incident {group}: “{incident.title}”, {len(set(incident.requesters))} reports"
                f" ({len(incident.new_members)} to link)"
            )
            for write in plan.writes:
                if write.incident == index:
                    takes = ", ".join(f"{k} {v}" for k, v in write.routing.items())
                    takes = f" (takes {takes})" if takes else ""
                    self.outcome.lines.append(f"  ticket {write.ticket_id}: {write.action}{takes}")
        for write in plan.writes:
            if write.incident < 0:
                self.outcome.lines.append(
                    f"ticket {write.ticket_id}: {write.action} as a repeat of #{write.earlier}"
                    f" ({url(write.earlier or 0)}, similarity {write.similarity:.2f})"
                )
        self.outcome.incidents = shown
        self.outcome.suggested = sum(1 for w in plan.writes if w.action == "suggest")
        self.outcome.linked = sum(
            1 for w in plan.writes if w.incident >= 0 and w.action != "suggest"
        )
        self.outcome.flagged = sum(1 for w in plan.writes if w.incident < 0)

    def _writes(self, ops: LinkOps) -> LinkWrites:
        return LinkWrites(ops, self.log, self.run_id, self.outcome)

    def _write(self, ops: LinkOps, plan: LinkPlan, window: Window, book: IncidentBook) -> None:
        for index, incident in enumerate(plan.incidents):
            writes = [w for w in plan.writes if w.incident == index]
            if incident.suggested:  # never a group ticket, even with nothing left to write
                SuggestedWrites(
                    self._writes(ops), book, self.policy, self.log, self.outcome,
                    ops.kind, self.run_id, int(self.now()),
                ).write(incident, writes)  # fmt: skip
            else:
                self._write_incident(ops, plan, index, incident, window, book)
        for write in plan.writes:
            if write.incident < 0:
                self._writes(ops).repeat(
                    write, book, self.policy, self.helpdesk.ticket_url, self.now
                )

    def _write_incident(
        self,
        ops: LinkOps,
        plan: LinkPlan,
        index: int,
        incident: PlannedIncident,
        window: Window,
        book: IncidentBook,
    ) -> None:
        first_seen = datetime.fromtimestamp(incident.first_seen, UTC).strftime("%Y-%m-%d %H:%M UTC")
        reports = len(set(incident.requesters))
        writes = [w for w in plan.writes if w.incident == index]
        opened = False
        said = notes.problem_note(
            title=incident.title, reports=reports, first_seen=first_seen, kind=ops.kind
        )
        if incident.key is None:
            members = [w.ticket_id for w in writes]
            try:
                title = f"Incident: {incident.title}"
                incident.key = ops.open_group(
                    title, said, members, incident.routing, (self.policy.tracker_tag,)
                )
            except TicketBotError as exc:
                self.outcome.failed += len(writes)
                self.log.emit("incident_write_failed", action="open", error=str(exc))
                return
            opened = True
            self.log.emit(
                "incident_write",
                run_id=self.run_id,
                ticket_id=incident.key,
                action="open",
                group=incident.key,
                kind=ops.kind,
                tags_added=[],
            )
            book.pending.append({"action": "opened", "ticket_id": incident.key})
            save_book(self.directory, book)
        key = incident.key
        opened = opened or any(
            p.get("action") == "opened" and p.get("ticket_id") == key for p in book.pending
        )
        url = self.helpdesk.ticket_url(key)
        linked: list[int] = []
        for write in writes:
            if write.action == "problem":
                note = said
                tags = (self.policy.problem_tag,)
            else:
                note = notes.member_note(
                    title=incident.title,
                    group=key,
                    reports=reports,
                    first_seen=first_seen,
                    url=url,
                    kind=ops.kind,
                )
                tags = (self.policy.incident_tag,)
            if self._writes(ops).one(write.action, write.ticket_id, key, note, tags, write=write):
                linked.append(write.ticket_id)
        for row in window.rows_of(incident.members):
            window.incident[row] = key
        self.outcome.linked += len(linked)
        if not incident.known:
            self.outcome.incidents += 1
        before = book.find(key)
        if before is None:
            before = Incident(
                key=key,
                kind=ops.kind,
                centre=encode_centre(incident.centre),
                title=incident.title,
                members=list(incident.members),
                requesters=list(incident.requesters),
                first_seen=incident.first_seen,
                last_seen=int(self.now()),
                subjects=list(incident.subjects),
                opened=opened,
                run_id=self.run_id,
            )
            book.incidents.append(before)
            book.drop_suggested(before.members)  # linked now: the suggestion is settled
        else:
            before.members = list(dict.fromkeys([*before.members, *incident.members]))
            before.requesters = list(incident.requesters)
            before.last_seen = int(self.now())
        self.log.emit(
            "incident",
            key=key,
            title=before.title,
            reports=before.reports,
            first_seen=first_seen,
            linked_now=len(linked),
            new=not incident.known,
            url=url,
        )
        self._alert(before, first_seen, url, self._rises(before, window))

    def _rises(self, incident: Incident, window: Window) -> list[str]:
        """The rising categories this incident explains, kept once each in its record (an
        incident alerted again the same day)."""
        if self.rising is None:
            return []
        rises = self.rising.explain(
            incident.key, incident.title, self._today_counts(incident, window)
        )
        day = self.rising.today.isoformat()
        noted = {line.split(":")[0] for line in incident.rising}
        incident.rising += [f"{day} {r.describe()}" for r in rises if f"{day} {r.key}" not in noted]
        return [r.describe() for r in rises]

    def _today_counts(self, incident: Incident, window: Window) -> dict[str, int]:
        """The incident's tickets in today's counts (this run's, and those created today)."""
        return window.counts_of(incident.members, int(self.now()) // DAY * DAY, self._today_ids)

    def _alert(
        self, incident: Incident, first_seen: str, url: str, rises: Sequence[str] = ()
    ) -> None:
        if self.alerter is None:
            return
        size = incident.reports
        grown = incident.alerted_size and size >= incident.alerted_size * self.policy.growth_factor
        if incident.alerted_size and not grown:
            return
        text = notes.alert_text(
            title=incident.title,
            reports=size,
            first_seen=first_seen,
            subjects=incident.subjects,
            url=url,
            grown_from=incident.alerted_size or None,
            clean=lambda s: s,
        )
        if rises:
            text += " Rising with it: " + "; ".join(rises) + "."
        outcome = self.alerter.incident(f"{incident.key}:{size}", text)
        self.log.emit(
            "alert", condition=outcome.condition, outcome=outcome.outcome, detail=outcome.detail
        )
        if outcome.outcome in ("sent", "disabled"):
            incident.alerted_size = size
            self.outcome.alerts += outcome.outcome == "sent"


class IncidentRunPass(Pass):
    """The incident pass in the run's order: the batch's sightings (and those the served
    journal handed over) grouped against the window (plan; not after an aborted run), the links
    written and alerted (write), the outcome in the run's summary. ``make`` builds the grouping
    when the plan round starts, once the rising counts it shares its reading with are open."""

    name = "incidents"

    def __init__(self, make: Callable[[], IncidentPass], sightings: Sightings) -> None:
        self.make, self.sightings = make, sightings
        self.grouping: IncidentPass | None = None

    def plan(self, end: RunEnd) -> None:
        if end.aborted:
            return
        self.grouping = self.make()
        self.grouping.plan(self.sightings.all())

    def write(self, end: RunEnd) -> None:
        if self.grouping is None:
            return
        end.summary.incidents = self.grouping.write().as_dict()
        caution = self.grouping.caution
        if caution is not None:
            say(end.summary, caution)
        end.log.emit(
            "incidents", run_id=end.run_id, dry_run=not end.writes, **end.summary.incidents
        )
