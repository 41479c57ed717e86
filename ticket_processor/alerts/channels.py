"""Where a run's escalations go besides the Slack list: PagerDuty, e-mail, Teams, the signed
JSON webhook; and the daily summary mail.

By default an escalated ticket reaches every channel configured; the routes that escalated it
may narrow that (``channels = ["email"]`` in routes.toml, ``triage.routing
.escalation_channels``). PagerDuty gets a trigger per ticket (its dedup key stable per ticket,
``pagerduty.dedup_key``), the recipients a mail per ticket (its ``Message-ID`` stable per
escalation), Teams cards and the JSON webhook events listing the escalations not yet taken, cut
under Teams' size limit (``teams.split_cards``).

``record`` writes each escalation, and what each channel is owed for it, to the state
directory's outbox (``outbox``) before anything is sent; ``deliver_owed`` sends what is owed —
this run's escalations, and those a killed process, an earlier run or the server could not
deliver, for ``RETRY_HOURS`` — and clears each delivery once its channel accepted it, so a
second run or the server sends nothing twice that a channel took. A page is resolved once its
ticket is solved or closed (``resolve_ended``), and the memory of a ticket is dropped
``KEEP_DAYS`` after its escalation once its page is resolved or it had none. An open incident
(``incidents``) is paged once, as critical, and resolved when it is no longer open. The memory
also holds the day of the last summary, so the summary goes once a day across cron runs.

Each channel tries each delivery once per exchange; a channel that asks to wait (429,
``Retry-After``), fails (5xx) or does not answer backs off as a whole (``ChannelGate``): the
rest of its deliveries wait with it, instead of each ticket being retried in turn. Within a
run it is tried again after short waits only (``PASS_WAIT``); ``serve`` keeps its gates, and
``stalled`` says which channel is backed off and why (``/readyz``). What each says is in
``messages``.

A channel's failure is logged and returned, never raised: an alert is a courtesy to people,
never a reason to fail a run. Messages carry no secret (``delivery``, ``mail``).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import RunOutOfTime
from ..resilience.deadline import RunDeadline
from .delivery import ChannelGate, Undelivered, stalled
from .messages import SUBJECT_MAX, escalation_mail, plain, summary_mail
from .outbox import Outbox, Owed, Recorded
from .pagerduty import PagerDuty, dedup_key
from .signed_webhook import SignedWebhook
from .teams import CardLine, Teams, split_cards, teams_escape

if TYPE_CHECKING:
    # A type only: ``alerts.setup`` imports the mailer when mail is configured, so a run
    # without it loads neither ``.mail`` nor smtplib.
    from .mail import Mailer

KEEP_DAYS = 30
DAY = 86400.0
# How long an escalation no channel could take is delivered again by later runs: after a day
# the ticket has most likely been seen by a person, and a late page would only be noise.
RETRY_HOURS = 24
ENDED = frozenset({"solved", "closed"})
# Within one delivery pass, a backed-off channel is waited for only this long, and at most
# PASS_TRIES busy answers are taken from it; the rest is owed to the next pass.
PASS_WAIT = 8.0
PASS_TRIES = 3
WEBHOOK_BATCH = 100  # tickets in one webhook event
GROUPED = frozenset({"teams", "webhook"})  # channels that take several tickets a post
LOCK_WAIT = 30.0  # seconds a deliverer waits for another's delivery pass to end

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Escalated:
    """A ticket a run escalated: ``subject`` is redacted (the planner's), ``url`` its page."""

    ticket_id: int
    subject: str
    routes: tuple[str, ...]
    url: str


@dataclass(frozen=True)
class PagedIncident:
    """An open incident that has been alerted: ``key`` its group ticket, ``title`` from its
    reports' subjects (redacted for triage), ``reports`` how many customers."""

    key: int
    title: str
    reports: int
    url: str


@dataclass(frozen=True)
class ChannelOutcome:
    """What became of one delivery; ``detail`` says why it failed (never a secret)."""

    channel: str
    outcome: str  # "sent" or "failed"
    tickets: tuple[int, ...] = ()
    detail: str = ""


@dataclass(frozen=True)
class _Post:
    """One post of a channel's: the tickets it carries and how to send it."""

    tickets: tuple[int, ...]
    send: Callable[[], Undelivered | None]
    paged: str | None = None
    refused: int = 0  # times its channel refused it before (a post of one ticket)


@dataclass
class Channels:
    """The configured channels (None: not configured) and the memory of what they owe.

    ``narrowed`` gives the channels a ticket's escalating routes allow (None: all of them).
    ``deadline`` and ``sleep``: the run's (a wait in a pass never outlives the run).
    """

    state_dir: Path
    helpdesk_url: str
    source: str
    pagerduty: PagerDuty | None = None
    mailer: Mailer | None = None
    teams: Teams | None = None
    webhook: SignedWebhook | None = None
    narrowed: Callable[[Collection[str]], frozenset[str] | None] = lambda routes: None
    clock: Callable[[], float] = field(default=lambda: datetime.now(UTC).timestamp())
    deadline: RunDeadline | None = None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    stop: Callable[[], str | None] = lambda: None
    gates: dict[str, ChannelGate] = field(default_factory=dict)
    _outbox: Outbox | None = field(default=None, repr=False)

    @property
    def configured(self) -> tuple[str, ...]:
        named = {
            "pagerduty": self.pagerduty,
            "email": self.mailer,
            "teams": self.teams,
            "webhook": self.webhook,
        }
        return tuple(name for name, channel in named.items() if channel is not None)

    @property
    def outbox(self) -> Outbox:
        """The memory, an earlier version's file migrated into it on first use."""
        if self._outbox is None:
            outbox = Outbox(self.state_dir)
            outbox.migrate(
                lambda item, sent: [n for n in self._reaches(item.routes) if n not in sent]
            )
            self._outbox = outbox
        return self._outbox

    def _reaches(self, routes: Collection[str]) -> list[str]:
        allowed = self.narrowed(routes)
        return [name for name in self.configured if allowed is None or name in allowed]

    # -- escalations ---------------------------------------------------------------------

    def record(self, tickets: Sequence[Escalated]) -> list[int]:
        """Write each new escalation and what each channel it should reach is owed for it,
        before anything is sent; the tickets new to the memory."""
        if not self.configured or not tickets:
            return []
        now = self.clock()
        items = [
            Recorded(t.ticket_id, now, t.subject, t.url, tuple(t.routes))
            for t in sorted(tickets, key=lambda t: t.ticket_id)
        ]
        return self.outbox.record(items, lambda item: self._reaches(item.routes))

    def delivering(self, wait: float) -> AbstractContextManager[bool]:
        """The delivery lock (``outbox.Outbox.delivering``): a context that says if held."""
        return self.outbox.delivering(wait)

    def escalated(self, tickets: Sequence[Escalated], *, run_id: str) -> list[ChannelOutcome]:
        """Record ``tickets`` and deliver what is owed, theirs and what earlier runs or the
        server left (for ``RETRY_HOURS``), holding the delivery lock; a process that does not
        get it within ``LOCK_WAIT`` seconds leaves the deliveries to the holder."""
        if not self.configured:
            return []
        self.record(tickets)
        with self.delivering(LOCK_WAIT) as held:
            if not held:
                return []
            return self.deliver_owed(run_id=run_id)

    def deliver_owed(self, *, run_id: str) -> list[ChannelOutcome]:
        """Send what the configured channels owe (call it holding the delivery lock)."""
        if not self.configured:
            return []
        now = self.clock()
        owed = self.outbox.owed(self.configured, since=now - RETRY_HOURS * 3600)
        outcomes: list[ChannelOutcome] = []
        for name in self.configured:
            items = [item for item in owed if item.channel == name]
            if items:
                outcomes += self._deliver(name, self._posts(name, items, run_id))
        self.outbox.forget(before=now - KEEP_DAYS * DAY)
        return outcomes

    def _deliver(self, name: str, posts: Sequence[_Post]) -> list[ChannelOutcome]:
        """Send ``posts`` in order through one channel, the channel backing off as a whole."""
        gate = self.gates.setdefault(name, ChannelGate())
        outcomes: list[ChannelOutcome] = []
        busy = 0
        for index, post in enumerate(posts):
            while True:
                why = self._held_back(gate, busy)
                if why is not None:
                    left = tuple(t for p in posts[index:] for t in p.tickets)
                    log.warning("escalation not delivered to %s: %s", name, why)
                    return [*outcomes, ChannelOutcome(name, "failed", left, why)]
                failure = post.send()
                if failure is None:
                    gate.passed()
                    self.outbox.accepted(name, post.tickets, paged=post.paged)
                    outcomes.append(ChannelOutcome(name, "sent", post.tickets))
                    break
                if failure.busy:
                    gate.failed(failure, self.monotonic(), self.clock())
                    # No answer after the post went: it may have been taken; not again at once.
                    busy = PASS_TRIES if failure.unanswered else busy + 1
                    continue
                detail = failure.detail
                if self._refused(name, post):
                    detail += " (refused alone too: given up, not posted again)"
                log.warning("escalation not delivered to %s: %s", name, detail)
                outcomes.append(ChannelOutcome(name, "failed", post.tickets, detail))
                break
        return outcomes

    def _held_back(self, gate: ChannelGate, busy: int) -> str | None:
        """None when the channel may be tried now (after a short wait, if need be); else why
        what is left waits for the next pass."""
        if self.stop():
            return "the run is stopping; left to the next run"
        wait = gate.wait(self.monotonic())
        if wait <= 0:
            return None
        left = self.deadline.left() if self.deadline is not None else None
        if busy >= PASS_TRIES or wait > PASS_WAIT or (left is not None and wait >= left):
            return f"{gate.reason}; the channel backs off, what is left is delivered later"
        try:
            self.sleep(wait)
        except RunOutOfTime:
            return f"{gate.reason}; the run's time is spent, what is left is delivered later"
        return None

    def _refused(self, name: str, post: _Post) -> bool:
        """A refusal (a 4xx) is tried again by later passes, within ``RETRY_HOURS``; a post of
        several tickets refused is posted ticket by ticket after it, so one ticket's content
        cannot hold back the others, and a single one refused twice is given up (True)."""
        if name in GROUPED and len(post.tickets) == 1 and post.refused:
            self.outbox.given_up(name, post.tickets)
            return True
        self.outbox.refused(name, post.tickets)
        return False

    def _posts(self, name: str, items: Sequence[Owed], run_id: str) -> list[_Post]:
        tickets = [item.escalation for item in items]
        if name == "pagerduty":
            return [self._page(t, run_id) for t in tickets]
        if name == "email":
            return [self._mail(t) for t in tickets]
        # Those refused before go one a post; the others together, cut to size.
        together = [item.escalation for item in items if not item.refused]
        if name == "teams":
            posts = [self._card(group, run_id) for group in self._cards(together, run_id)]
        else:
            posts = [
                self._event(together[i : i + WEBHOOK_BATCH], run_id)
                for i in range(0, len(together), WEBHOOK_BATCH)
            ]
        for item in items:
            if item.refused:
                one = [item.escalation]
                post = self._card(one, run_id) if name == "teams" else self._event(one, run_id)
                posts.append(replace(post, refused=item.refused))
        return posts

    def open_pages(self) -> tuple[int, ...]:
        """The tickets whose PagerDuty alert is open: the run asks the helpdesk their status."""
        if self.pagerduty is None:
            return ()
        return tuple(sorted(self.outbox.open_pages()))

    def resolve_ended(self, statuses: Mapping[int, str]) -> list[ChannelOutcome]:
        """Resolve the open pages of the tickets now solved or closed (``statuses``: the
        helpdesk's status of each ticket asked; a ticket gone from the helpdesk is ended)."""
        if self.pagerduty is None:
            return []
        pagerduty = self.pagerduty
        posts = [
            _Post((ticket_id,), functools.partial(pagerduty.resolve, key))
            for ticket_id, key in sorted(self.outbox.open_pages().items())
            if statuses.get(ticket_id, "gone") in ENDED | {"gone"}
        ]
        outcomes = []
        for outcome in self._send_all("pagerduty", posts):
            if outcome.outcome == "sent":
                for ticket_id in outcome.tickets:
                    self.outbox.page_resolved(ticket_id)
            outcomes.append(ChannelOutcome("pagerduty_resolve", *_rest(outcome)))
        return outcomes

    def incidents(self, open_now: Sequence[PagedIncident], *, run_id: str) -> list[ChannelOutcome]:
        """Page each open incident once (severity ``critical``: many customers), and resolve
        the page of an incident no longer open (its group ticket solved, or it left the book)."""
        if self.pagerduty is None:
            return []
        pagerduty = self.pagerduty
        pages = self.outbox.incident_pages()
        now = self.clock()
        outcomes = []
        for incident in open_now:
            known = pages.get(incident.key)
            if known is not None and not known[1]:
                continue
            key = dedup_key(self.helpdesk_url, f"incident:{incident.key}")
            post = _Post(
                (incident.key,),
                functools.partial(
                    pagerduty.trigger,
                    key,
                    f"Incident: {incident.reports} customers report {plain(incident.title)}",
                    source=self.source,
                    severity="critical",
                    details={
                        "group_ticket": incident.key,
                        "reports": incident.reports,
                        "run": run_id,
                    },
                    links=[(incident.url, f"Ticket #{incident.key}")],
                ),
            )
            (outcome,) = self._send_all("pagerduty", [post])
            if outcome.outcome == "sent":
                self.outbox.incident_paged(incident.key, key, now)
            outcomes.append(ChannelOutcome("pagerduty_incident", *_rest(outcome)))
        still = {i.key for i in open_now}
        for group, (paged, resolved) in sorted(pages.items()):
            if group in still or resolved:
                continue
            post = _Post((group,), functools.partial(pagerduty.resolve, paged))
            for outcome in self._send_all("pagerduty", [post]):
                if outcome.outcome == "sent":
                    self.outbox.incident_resolved(group)
                outcomes.append(ChannelOutcome("pagerduty_incident_resolve", *_rest(outcome)))
        return outcomes

    def _send_all(self, name: str, posts: Sequence[_Post]) -> list[ChannelOutcome]:
        """``posts`` through the channel's gate, one outcome each (none owed in the outbox)."""
        gate = self.gates.setdefault(name, ChannelGate())
        outcomes = []
        busy = 0
        for post in posts:
            why = self._held_back(gate, busy)
            if why is not None:
                outcomes.append(ChannelOutcome(name, "failed", post.tickets, why))
                continue
            failure = post.send()
            if failure is None:
                gate.passed()
                outcomes.append(ChannelOutcome(name, "sent", post.tickets))
                continue
            if failure.busy:
                gate.failed(failure, self.monotonic(), self.clock())
                busy = PASS_TRIES if failure.unanswered else busy + 1
            log.warning("%s not delivered: %s", name, failure.detail)
            outcomes.append(ChannelOutcome(name, "failed", post.tickets, failure.detail))
        return outcomes

    def stalled(self) -> dict[str, dict[str, Any]]:
        """The channels backed off now, and why (``/readyz``; ``delivery.stalled``)."""
        return stalled(self.gates, self.monotonic())

    # -- the daily summary ---------------------------------------------------------------

    def daily_summary(self, *, ticket_url: Callable[[int], str]) -> ChannelOutcome | None:
        """Once a UTC day, a mail listing the escalations since the last summary; None when
        not due (the first run ever only notes the day: there is nothing to sum up yet)."""
        if self.mailer is None:
            return None
        outbox = self.outbox
        now = self.clock()
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        last = outbox.note("summary_day")
        if last == today:
            return None
        if last is None:
            outbox.set_notes(summary_day=today, summary_at=str(now))
            return None
        try:
            since = float(outbox.note("summary_at") or now - DAY)
        except ValueError:
            since = now - DAY
        recent = [
            (
                item.ticket_id,
                {"routes": list(item.routes), "paged": item.paged, "resolved": item.resolved},
            )
            for item in outbox.escalated_since(since)
        ]
        mail = summary_mail(recent, since=since, source=self.source, ticket_url=ticket_url)
        failure = self.mailer.send(mail)
        if failure is not None:
            log.warning("daily summary not delivered: %s", failure.detail)
            return ChannelOutcome("email_summary", "failed", detail=failure.detail)
        outbox.set_notes(summary_day=today, summary_at=str(now))
        return ChannelOutcome("email_summary", "sent", tuple(key for key, _ in recent))

    # -- the channels' posts -------------------------------------------------------------

    def _page(self, ticket: Recorded, run_id: str) -> _Post:
        pagerduty = self.pagerduty
        assert pagerduty is not None
        key = dedup_key(self.helpdesk_url, f"ticket:{ticket.ticket_id}")
        return _Post(
            (ticket.ticket_id,),
            lambda: pagerduty.trigger(
                key,
                f"Ticket #{ticket.ticket_id} escalated: {plain(ticket.subject) or '(no subject)'}",
                source=self.source,
                details={"ticket": ticket.ticket_id, "routes": list(ticket.routes), "run": run_id},
                links=[(ticket.url, f"Ticket #{ticket.ticket_id}")],
            ),
            paged=key,
        )

    def _mail(self, ticket: Recorded) -> _Post:
        mailer = self.mailer
        assert mailer is not None
        # Stable per escalation: a mail sent again (a process killed before the 250 was
        # noted) is the same message to a client or an archive that de-duplicates.
        local = dedup_key(self.helpdesk_url, f"ticket:{ticket.ticket_id}").replace(":", ".")
        domain = mailer.sender.rpartition("@")[2] or "localhost"
        message_id = f"<{local}.{int(ticket.at)}@{domain}>"
        mail = escalation_mail(ticket, source=self.source, message_id=message_id)
        return _Post((ticket.ticket_id,), lambda: mailer.send(mail))

    def _cards(self, tickets: Sequence[Recorded], run_id: str) -> list[list[Recorded]]:
        """``tickets`` cut into the groups whose card is under Teams' limit."""
        lines = [self._line(t) for t in tickets]
        groups = split_cards(lambda count: self._title(count, run_id), lines)
        order = iter(tickets)
        return [[next(order) for _ in group] for group in groups]

    def _line(self, t: Recorded) -> CardLine:
        subject = plain(t.subject)[:SUBJECT_MAX] or "(no subject)"
        return CardLine(
            f"**#{t.ticket_id}** {teams_escape(subject)} — route: "
            f"{teams_escape(', '.join(t.routes) or '?')}",
            t.url,
        )

    def _title(self, count: int, run_id: str) -> str:
        return teams_escape(
            f"{count} ticket{'s' if count != 1 else ''} escalated (ticketbot@{self.source}, "
            f"run {run_id})"
        )

    def _card(self, tickets: Sequence[Recorded], run_id: str) -> _Post:
        teams = self.teams
        assert teams is not None
        # Cut to size again: a line too large for any card comes back shortened.
        cut = split_cards(
            lambda count: self._title(count, run_id), [self._line(t) for t in tickets]
        )
        lines = [line for group in cut for line in group]
        title = self._title(len(tickets), run_id)
        return _Post(tuple(t.ticket_id for t in tickets), lambda: teams.post(title, lines))

    def _event(self, tickets: Sequence[Recorded], run_id: str) -> _Post:
        webhook = self.webhook
        assert webhook is not None
        event = {
            "event": "tickets_escalated",
            "run_id": run_id,
            "source": self.source,
            "tickets": [
                {"id": t.ticket_id, "subject": t.subject, "routes": list(t.routes), "url": t.url}
                for t in tickets
            ],
        }
        return _Post(tuple(t.ticket_id for t in tickets), lambda: webhook.post(event))


def _rest(outcome: ChannelOutcome) -> tuple[str, tuple[int, ...], str]:
    return outcome.outcome, outcome.tickets, outcome.detail
