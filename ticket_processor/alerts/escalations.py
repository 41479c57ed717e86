"""The escalation channels' pass: after the run's tickets are written, the pages of tickets
now solved or closed resolved, this run's escalations delivered, the daily summary; and the
same delivery for ``serve``, on a thread of its own (``ServedEscalations``).

What a run escalated is written to the outbox (``outbox``) first, in the pass itself; the
delivery then runs on a thread the pass waits for only as long as the run may last: until the
grace after ``--max-runtime``, and ``STOP_GRACE`` seconds after a SIGINT or SIGTERM. A
delivery still under way then is left (the process ends with it): what no channel accepted is
still owed, and the next run or the server delivers it. In ``serve`` the deliveries never
touch the triage path: the queue's worker only records them and wakes the delivery thread, so
ordinary tickets are noted within their usual seconds while PagerDuty hangs or a mail relay
trickles.

It runs in the passes' ``write`` round, with the helpdesk still open (a page's ticket is read
for its status), never for a dry or shadow run: those write nothing, state included. Each
outcome is an ``alert`` event in the run's log (``condition`` names the channel).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..models import Helpdesk
from ..passes.planner import ChangePlanner
from ..passes.protocol import Pass, RunEnd
from ..resilience.deadline import RunDeadline
from ..resilience.stopping import StopFlag
from .channels import ChannelOutcome, Channels, Escalated, PagedIncident
from .escalation import EscalationWatch

Escalations = Mapping[int, tuple[str, tuple[str, ...]]]
T = TypeVar("T")

STOP_GRACE = 5.0  # seconds a delivery under way may finish after SIGINT / SIGTERM
RUN_LOCK_WAIT = 10.0  # seconds a run waits for the server's delivery pass to end
SERVE_LOCK_WAIT = 5.0  # ... and the server for a run's (it tries again soon after)
SERVE_POLL = 60.0  # seconds between the server's looks at what is owed, when nothing wakes it


class EscalationChannelsPass(Pass):
    """Hands the run's escalations to the channels (``channels``: built when the pass runs;
    ``escalated``: ticket id -> redacted subject and routes, ``escalation.escalated_tickets``);
    ``deadline`` and ``stop``: the run's bound and its SIGINT / SIGTERM."""

    name = "escalation channels"

    def __init__(
        self,
        channels: Callable[[], Channels],
        escalated: Callable[[], Escalations],
        helpdesk: Helpdesk,
        incidents: Callable[[], Sequence[PagedIncident] | None] = lambda: None,
        *,
        deadline: RunDeadline | None = None,
        stop: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.channels, self.escalated, self.helpdesk = channels, escalated, helpdesk
        self.incidents = incidents
        self.deadline, self.stop = deadline, stop

    def write(self, end: RunEnd) -> None:
        if not end.writes:
            return
        channels = self.channels()
        if not channels.configured:
            return
        if not record(channels, self.escalated(), self.helpdesk, end.log):
            end.summary.warnings.append(
                "escalations not recorded (the state directory's escalations.sqlite3 could "
                "not be written): the channels get nothing from this run"
            )
            return
        # The incidents' book is read only for PagerDuty, the one channel that pages them.
        incidents = self.incidents() if channels.pagerduty is not None else None
        wait = RUN_LOCK_WAIT if self.deadline is None else self.deadline.cap(RUN_LOCK_WAIT)
        try:
            outcomes = within(
                lambda: deliver(
                    channels,
                    self.helpdesk,
                    end.log,
                    run_id=end.run_id,
                    incidents=incidents,
                    lock_wait=wait,
                ),
                deadline=self.deadline,
                stop=self.stop,
            )
        except (sqlite3.Error, OSError) as exc:
            end.log.emit("escalation_delivery_failed", level="warning", error=str(exc))
            end.summary.warnings.append(
                f"escalation channels not delivered ({type(exc).__name__}): the next run "
                "tries again"
            )
            return
        if outcomes is None:
            end.summary.warnings.append(
                "escalation channels still delivering when the run had to end "
                + ("(SIGINT / SIGTERM)" if self.stop() else "(--max-runtime)")
                + ": what they did not take is delivered by the next run or serve"
            )
            return
        _log(end.log, outcomes)
        # Said with the run's summary, not only in the log: a page that did not go out is
        # what the person reading the run's output needs to know.
        end.summary.warnings.extend(undelivered(outcomes))


class ServedEscalations:
    """The tickets ``serve`` escalated, delivered to the channels as a cron run's pass delivers
    its own (the same channels from the run's builder and the same outbox in the state
    directory: a ticket the server paged is not paged again by the next run), on a thread of
    its own. ``watch``: the server's event log, which notes each escalation once it is
    written; ``flag``: the channels' stop (their waits end when it is set)."""

    def __init__(
        self,
        channels: Channels,
        watch: EscalationWatch,
        planner: ChangePlanner,
        helpdesk: Helpdesk,
        *,
        run_id: str,
        flag: StopFlag,
        poll: float = SERVE_POLL,
    ) -> None:
        self.channels, self.watch, self.planner = channels, watch, planner
        self.helpdesk, self.run_id = helpdesk, run_id
        self._flag, self._poll = flag, poll
        self._wake = threading.Event()
        self._new = threading.Event()  # escalations recorded since the last pass
        self._thread: threading.Thread | None = None
        if channels.configured:
            # A server killed while it delivered left what it owed: the first pass sends it.
            self._thread = threading.Thread(
                target=self._loop, name="serve-escalations", daemon=True
            )
            self._thread.start()

    def deliver_new(self) -> None:
        """Record the escalations written since the last call, and wake the delivery thread
        (none: nothing is read). Quick: a few rows in a local database."""
        new = self.watch.take_new()
        if not new or not self.channels.configured:
            return
        escalated = {}
        for ticket_id, matched in sorted(new.items()):
            known = self.planner.escalation(ticket_id)
            escalated[ticket_id] = (known.subject, known.routes) if known else ("", matched)
        if record(self.channels, escalated, self.helpdesk, self.watch):
            self._new.set()
            self._wake.set()

    def stalled(self) -> dict[str, dict[str, Any]]:
        """The channels backed off now (``Channels.stalled``)."""
        return self.channels.stalled()

    def close(self, grace: float = STOP_GRACE) -> None:
        """Stop delivering: a delivery under way gets ``grace`` seconds, then is left (what
        it did not deliver stays owed, for the restart or the next run)."""
        self._flag.set("SIGTERM")
        self._wake.set()
        if self._thread is not None:
            self._thread.join(grace)

    def _loop(self) -> None:
        while not self._flag():
            self._wake.clear()
            fresh = self._new.is_set()
            self._new.clear()
            outcomes: list[ChannelOutcome] = []
            try:
                outcomes = deliver(
                    self.channels,
                    self.helpdesk,
                    self.watch,
                    run_id=self.run_id,
                    lock_wait=SERVE_LOCK_WAIT,
                    resolve=fresh,  # the pages' tickets are read when there is news only
                )
            except Exception as exc:  # noqa: BLE001 - the thread must outlive a bad pass
                self.watch.emit(
                    "escalation_delivery_failed",
                    level="warning",
                    error_type=type(exc).__name__,
                    error=str(exc),
                )
            else:
                _log(self.watch, outcomes)
            # A backed-off channel is tried again when its back-off ends; a refusal waits for
            # the next look (it would be refused again at once).
            now = self.channels.monotonic()
            closed = [w for g in list(self.channels.gates.values()) if (w := g.wait(now)) > 0]
            wait = min(self._poll, max(1.0, min(closed))) if closed else self._poll
            self._wake.wait(wait)


def record(channels: Channels, escalated: Escalations, helpdesk: Helpdesk, log: EventSink) -> bool:
    """Write ``escalated`` (ticket id -> its redacted subject, the routes that escalated it)
    to the outbox, with what each channel is owed; False when it could not be written."""
    tickets = [
        Escalated(ticket_id, subject, routes, helpdesk.ticket_url(ticket_id))
        for ticket_id, (subject, routes) in sorted(escalated.items())
    ]
    try:
        channels.record(tickets)
    except (sqlite3.Error, OSError) as exc:
        log.emit(
            "escalations_unrecorded",
            level="warning",
            tickets=[t.ticket_id for t in tickets],
            error_type=type(exc).__name__,
            error=str(exc),
        )
        return False
    return True


def deliver(
    channels: Channels,
    helpdesk: Helpdesk,
    log: EventSink,
    *,
    run_id: str,
    incidents: Sequence[PagedIncident] | None = None,
    lock_wait: float = RUN_LOCK_WAIT,
    resolve: bool = True,
) -> list[ChannelOutcome]:
    """Deliver what the channels owe, holding the delivery lock (another process holding it
    delivers it: nothing here); ``incidents``: the open incidents alerted so far (None:
    incidents are off, or their book could not be read, and their pages are left as they
    are); ``resolve``: resolve the pages of tickets now ended."""
    if not channels.configured:
        return []
    with channels.delivering(lock_wait) as held:
        if not held:
            log.emit(
                "escalations_left_to_another",
                reason="another process is delivering; it delivers what this one recorded",
            )
            return []
        outcomes: list[ChannelOutcome] = []
        paged = channels.open_pages() if resolve else ()
        if paged:
            try:
                now = helpdesk.tickets(paged)
            except TicketBotError as exc:
                # Unknown is not ended: the pages stay open until a run can read their tickets.
                log.emit("escalation_status_unread", level="warning", error=str(exc))
            else:
                outcomes += channels.resolve_ended({t.id: t.status for t in now})
        outcomes += channels.deliver_owed(run_id=run_id)
        if incidents is not None:
            outcomes += channels.incidents(incidents, run_id=run_id)
        summary = channels.daily_summary(ticket_url=helpdesk.ticket_url)
        if summary is not None:
            outcomes.append(summary)
    return outcomes


def within(
    work: Callable[[], T],
    *,
    deadline: RunDeadline | None,
    stop: Callable[[], str | None],
    grace: float = STOP_GRACE,
    poll: float = 0.2,
) -> T | None:
    """``work()`` on a thread of its own, waited for until ``deadline``'s grace ends or
    ``grace`` seconds after ``stop`` says stop; None when it was left running (it holds no
    lock the process keeps: the OS drops the delivery lock when the process ends)."""
    box: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name="escalation-delivery", daemon=True).start()
    stopped_at: float | None = None
    while not done.wait(poll):
        if deadline is not None and deadline.left() == 0:
            return None
        if stop():
            stopped_at = time.monotonic() if stopped_at is None else stopped_at
            if time.monotonic() - stopped_at >= grace:
                return None
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def undelivered(outcomes: Sequence[ChannelOutcome]) -> list[str]:
    """One warning per channel that failed, naming its tickets and why (no secret: the
    channels' failures never carry a key or a password)."""
    failed: dict[str, tuple[list[int], str]] = {}
    for outcome in outcomes:
        if outcome.outcome == "failed":
            tickets, _ = failed.get(outcome.channel, ([], ""))
            failed[outcome.channel] = ([*tickets, *outcome.tickets], outcome.detail or "")
    return [
        f"escalation channel {channel} not delivered"
        + (f" (tickets {', '.join(map(str, sorted(tickets)))})" if tickets else "")
        + (f": {detail}" if detail else "")
        + "; the next run tries again"
        for channel, (tickets, detail) in failed.items()
    ]


def _log(log: EventSink, outcomes: Sequence[ChannelOutcome]) -> None:
    for outcome in outcomes:
        log.emit(
            "alert",
            condition=f"escalated:{outcome.channel}",
            outcome=outcome.outcome,
            tickets=list(outcome.tickets),
            detail=outcome.detail,
            **({"level": "warning"} if outcome.outcome == "failed" else {}),
        )
