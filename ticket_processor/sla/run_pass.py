"""The SLA pass of a run (``TICKETBOT_SLA``): after the batch, every open ticket with a clock
running is looked at, not only the new ones.

``plan`` reads the helpdesk's service levels through its kind's SLA read (``HelpdeskKind.slas``:
the open tickets' targets, the business hours, the recent first replies; bounded by
``MAX_REQUESTS``) and decides (``decide``); a dry or shadow run stops there and logs what it
would do. ``write`` writes the tickets at risk through the helpdesk's batches (journaled,
claimed; a ticket solved or re-prioritised by a person meanwhile is planned again from its
fresh read), takes the at-risk tag off the tickets whose warned targets are all met or paused
now (only where ticketbot added it; ``sla_untagged``), then keeps the book (``book``): each
target warned once, each breach recorded once (``sla_breached``, never announced), each warned
target met (``sla_met``). The targets a ``sla_risk`` route escalates are handed to the
escalation channels (``escalations``), once per target. Last it logs ``sla_clocks``: every
clock of the read as the dashboard shows it (stage, breach time, at risk, likelihood), which
the audit store keeps (``sla_clocks``), so a page view never asks the helpdesk. The read
starts where the last run's left off (``reads``: only what changed since, a full read a
day). A helpdesk kind without an SLA read is skipped with one warning.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..errors import TicketBotError
from ..helpdesks.sla import SlaRead, SlaReader
from ..models import Helpdesk, Ticket, WriteBack, WriteJournal, WriteOutcome
from ..passes.caution import Caution, say
from ..passes.protocol import Pass, RunEnd
from ..triage.redact import redact
from ..triage.route_rules import Route
from ..writeback.batch_writer import BatchWriter, WriteClaims
from ..writeback.scope import CLOSED
from .book import SlaBook, target_key
from .calibrate import MIN_CLOCKS, BreachCalibrations
from .decide import AtRisk, SlaPlan, decide, tag_of
from .predict import MIN_HISTORY
from .reads import SlaReads

MAX_REQUESTS = 60  # an SLA read's requests a run, far below every helpdesk's minute limit
HISTORY = 14 * 86400  # how far back the first replies are read


@dataclass
class SlaPass(Pass):
    helpdesk: Helpdesk
    reader: SlaReader | None
    state_dir: Path
    horizon: float
    prefix: str
    language: str
    routes: Sequence[Route] = ()
    journal: WriteJournal | None = None
    claims: WriteClaims | None = None
    clock: Callable[[], float] = time.time
    max_requests: int = MAX_REQUESTS
    # The run's --max-runtime spent, or a SIGINT / SIGTERM: the SLA read is not started.
    should_stop: Callable[[], object] = lambda: False
    name: str = "sla"
    plan_: SlaPlan | None = None
    read_: SlaRead | None = None
    _paged: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    _written: set[int] = field(default_factory=set)

    def plan(self, end: RunEnd) -> None:
        self.plan_, self.read_, self._paged = None, None, {}
        if end.aborted:
            return
        if self.reader is None:
            end.summary.warnings.append(
                f"service levels not watched: the {self.helpdesk.kind} helpdesk has no SLA read"
            )
            return
        if self.should_stop():
            end.summary.warnings.append(
                "service levels not read: the run's time was up (--max-runtime) or it was stopped"
            )
            return
        now = self.clock()
        kept = SlaReads.open(self.state_dir, self.helpdesk.kind, now=now)
        try:
            read = self.reader(
                self.helpdesk,
                now=now,
                history_since=now - HISTORY,
                max_requests=self.max_requests,
                since=kept.position,
            )
        except TicketBotError as exc:
            end.log.emit("sla_read_failed", level="warning", error=str(exc))
            end.summary.warnings.append(f"service levels not read ({exc}): the next run tries")
            return
        read = kept.merged(read, history_since=now - HISTORY)
        if kept.note:
            end.summary.warnings.append(f"service levels: {kept.note}")
        if end.writes:  # a dry run keeps no state
            try:
                kept.save(read, now=now)
            except TicketBotError as exc:
                end.summary.warnings.append(f"the SLA read could not be kept: {exc}")
        book = SlaBook.open(self.state_dir)
        calibrations = BreachCalibrations.open(self.state_dir)
        plan = decide(
            read,
            book,
            now=now,
            horizon=self.horizon,
            prefix=self.prefix,
            language=self.language,
            routes=self.routes,
            calibrations=calibrations,
        )
        self.plan_, self.read_ = plan, read
        if calibrations.changed and not end.writes:
            calibrations.changed = False  # a dry run keeps no state
        if calibrations.changed:
            for name, made in calibrations.fits.items():
                end.log.emit("sla_calibration", target_hours=name, **asdict(made))
            try:
                calibrations.save()
            except TicketBotError as exc:
                end.summary.warnings.append(f"the SLA calibration could not be saved: {exc}")
        end.summary.warnings.extend(f"service levels: {note}" for note in read.notes)
        if plan.cautious:
            clocks = plan.calibration.clocks if plan.calibration is not None else 0
            say(
                end.summary,
                Caution(
                    "sla",
                    "tag-only",
                    f"until {MIN_HISTORY} first replies and {MIN_CLOCKS} met or missed "
                    "first-reply targets of history",
                    f"the helpdesk shows {plan.history} and {clocks} in the last 14 days",
                ),
            )
        for clock in [*(item.clock for item in plan.at_risk), *plan.still_at_risk]:
            group = "" if clock.group_id is None else str(clock.group_id)
            end.summary.sla_at_risk[group] = end.summary.sla_at_risk.get(group, 0) + 1
        end.summary.said["sla"] = (
            f"{len(plan.at_risk)} target(s) at risk, {len(plan.breached)} breach(es) recorded, "
            f"{plan.left_alone} paused or met left alone ({read.requests} requests)"
        )
        if not end.writes:
            for item in plan.at_risk:
                end.log.emit("sla_planned", **_fields(item))
            for ticket_id in plan.untag:
                end.log.emit("sla_untag_planned", ticket_id=ticket_id)

    def write(self, end: RunEnd) -> None:
        plan = self.plan_
        if plan is None or not end.writes or self.journal is None:
            return
        changes = {item.clock.ticket_id: item for item in plan.at_risk}
        untag = set(plan.untag)
        outcomes: list[WriteOutcome] = []
        writer = BatchWriter(
            self.helpdesk,
            journal=self.journal,
            replan=lambda fresh: self._replan(fresh, changes, untag),
            on_outcome=outcomes.append,
            claims=self.claims,
        )
        try:
            for item in changes.values():
                writer.add(self._change(item))
            for ticket_id in plan.untag:
                writer.add(self._untag(ticket_id))
        finally:
            writer.close()
        self._written = {o.ticket_id for o in outcomes if o.error is None}
        self._remember(plan, end)

    def escalations(self) -> dict[int, tuple[str, tuple[str, ...]]]:
        """The tickets an ``sla_risk`` route escalated this run (written, first warning of the
        target): ticket id -> its redacted subject and the routes."""
        return dict(self._paged)

    def _change(self, item: AtRisk) -> WriteBack:
        return WriteBack(
            ticket_id=item.clock.ticket_id,
            additional_tags=tuple(
                [tag_of(self.prefix)]
                + ([f"{self.prefix}priority_{item.priority}"] if item.priority else [])
            ),
            priority=item.priority,
            note=item.note,
        )

    def _untag(self, ticket_id: int) -> WriteBack:
        return WriteBack(
            ticket_id=ticket_id, additional_tags=(), remove_tags=(tag_of(self.prefix),)
        )

    def _replan(
        self, fresh: Ticket, changes: dict[int, AtRisk], untag: set[int]
    ) -> WriteBack | None:
        if fresh.id in untag:  # a person may have taken it off meanwhile
            return self._untag(fresh.id) if tag_of(self.prefix) in fresh.tags else None
        item = changes.get(fresh.id)
        if item is None or fresh.status in CLOSED:
            return None
        change = self._change(item)
        if item.priority and (
            fresh.priority != item.clock.priority
            or f"{self.prefix}priority_{item.clock.priority}" not in fresh.tags
        ):  # a person moved it meanwhile: theirs stands
            change = change.model_copy(
                update={"priority": None, "additional_tags": (tag_of(self.prefix),)}
            )
        return change

    def _remember(self, plan: SlaPlan, end: RunEnd) -> None:
        now = self.clock()
        book = SlaBook.open(self.state_dir)
        for item in plan.at_risk:
            if item.clock.ticket_id not in self._written:
                continue
            book.warned[item.key] = {
                "at": now,
                "tagged": tag_of(self.prefix) not in item.clock.tags,  # ticketbot added it
                "breach_at": item.clock.breach_at,
                "probability": item.prediction.probability,
                "cautious": item.note is None,
                "paged": bool(item.routes),
                "group_id": item.clock.group_id,
            }
            end.log.emit("sla_warned", **_fields(item))
            if item.routes and item.note is not None:
                subject, _ = redact(item.clock.subject)
                self._paged[item.clock.ticket_id] = (subject, item.routes)
        for ticket_id in plan.untag:
            if ticket_id not in self._written:
                continue
            for key in [k for k in book.warned if k.startswith(f"{ticket_id}:")]:
                book.warned[key]["tagged"] = False  # off now: a tag set again is a person's
            end.log.emit("sla_untagged", ticket_id=ticket_id)
        for key, clock in plan.breached:
            warned = book.warned.get(key)
            book.breached[key] = {"at": now, "warned_at": warned["at"] if warned else None}
            end.log.emit(
                "sla_breached",
                ticket_id=clock.ticket_id,
                metric=clock.metric,
                breach_at=clock.breach_at,
                warned=warned is not None,
                warned_minutes_before=(
                    round((float(clock.breach_at or now) - float(warned["at"])) / 60, 1)
                    if warned
                    else None
                ),
            )
        for key, clock in plan.met:
            book.met[key] = {"at": now, "warned_at": book.warned[key]["at"]}
            end.log.emit("sla_met", ticket_id=clock.ticket_id, metric=clock.metric, warned=True)
        try:
            book.save(now)
        except TicketBotError as exc:
            end.summary.warnings.append(f"the SLA book could not be saved: {exc}")
        if self.read_ is not None:  # what the dashboard shows: every clock of this read
            end.log.emit("sla_clocks", clocks=shown_clocks(self.read_, plan, book, now=now))


def _fields(item: AtRisk) -> dict[str, object]:
    prediction = item.prediction
    return {
        "ticket_id": item.clock.ticket_id,
        "metric": item.clock.metric,
        "breach_at": item.clock.breach_at,
        "minutes_left": round(prediction.left / 60, 1),
        "probability": prediction.probability,
        "cautious": prediction.cautious,
        "queue_ahead": prediction.queue_ahead,
        "agents": prediction.agents,
        "group_id": item.clock.group_id,
        "priority": item.priority,
        "routes": list(item.routes),
    }


def shown_clocks(
    read: SlaRead, plan: SlaPlan, book: SlaBook, *, now: float
) -> list[dict[str, object]]:
    """Each target of the read as the dashboard shows it: its stage (a deadline passed is
    breached), its breach time, whether the pass holds it at risk (warned of, still running)
    and the likelihood it gave."""
    latest = {clock.key: clock for clock in read.clocks}  # a ticket read twice: its last read
    shown: list[dict[str, object]] = []
    for clock in latest.values():
        key = target_key(clock)
        passed = clock.breach_at is not None and clock.breach_at <= now
        stage = "breached" if clock.stage == "active" and passed else clock.stage
        forecast = plan.forecasts.get(key)
        warned = book.warned.get(key) if stage == "active" else None
        probability = forecast.probability if forecast is not None else None
        if probability is None and warned is not None:
            probability = warned.get("probability")
        shown.append(
            {
                "ticket_id": clock.ticket_id,
                "metric": clock.metric,
                "stage": stage,
                "breach_at": clock.breach_at,
                "business_hours": clock.business_hours,
                "at_risk": warned is not None,
                "probability": probability,
                "queue_ahead": None if forecast is None else forecast.queue_ahead,
            }
        )
    return shown
