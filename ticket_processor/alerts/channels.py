"""Where a run's escalations go besides the Slack list: PagerDuty, e-mail, Teams, the signed
JSON webhook; and the daily summary mail.

By default an escalated ticket reaches every channel configured; the routes that escalated it
may narrow that (``channels = ["email"]`` in routes.toml, ``triage.routing
.escalation_channels``). PagerDuty gets a trigger per ticket (its dedup key stable per ticket,
``pagerduty.dedup_key``), the recipients a mail per ticket, Teams one card and the JSON webhook
one event per run listing the run's new escalations.

What was delivered is remembered in the state directory (``escalations.json``, per ticket: the
channels that took it, the page's dedup key and whether it is resolved), so a second run — a
customer's reply re-triaged, the same ticket escalated again — sends nothing twice; a channel
that failed is tried again by the next run. A page is resolved once its ticket is solved or
closed (``resolve_ended``, fed the tickets' statuses by the run), and the memory of a ticket is
dropped ``KEEP_DAYS`` after its escalation once its page is resolved or it had none. An open
incident (``incidents``) is paged once, as critical, and resolved when it is no longer open;
its page is kept in the same file. The memory also holds the day of the last summary, so the
summary goes once a day across cron runs.

A channel's failure is logged and returned, never raised: an alert is a courtesy to people,
never a reason to fail a run. Messages carry no secret (``delivery``, ``mail``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape as html_escape
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import orjson

from ..common.atomic import atomic_write_bytes, read_state_bytes
from ..errors import StateFileRefused
from ..state.file_lock import updating
from .mail import Mail, Mailer
from .pagerduty import PagerDuty, dedup_key
from .signed_webhook import SignedWebhook
from .teams import CardLine, Teams, teams_escape

MEMORY_FILE = "escalations.json"

P = ParamSpec("P")
R = TypeVar("R")


def _one_writer(
    method: Callable[Concatenate[Channels, P], R],
) -> Callable[Concatenate[Channels, P], R]:
    """A method that reads the memory, delivers and writes it again, under the memory's lock:
    serve and a cron run deliver at the same moments, and without it both would page a
    ticket neither had seen, or one would write over what the other remembered."""

    @functools.wraps(method)
    def locked(self: Channels, /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not self.configured:  # nothing to deliver, nothing to remember
            return method(self, *args, **kwargs)
        with updating(self.state_dir / MEMORY_FILE) as held:
            if not held:
                log.warning("%s is held by another process: delivering without it", MEMORY_FILE)
            return method(self, *args, **kwargs)

    return locked


KEEP_DAYS = 30
DAY = 86400.0
# How long an escalation no channel could take is delivered again by later runs: after a day
# the ticket has most likely been seen by a person, and a late page would only be noise.
RETRY_HOURS = 24
ENDED = frozenset({"solved", "closed"})

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


@dataclass
class Channels:
    """The configured channels (None: not configured) and the memory of what they took.

    ``narrowed`` gives the channels a ticket's escalating routes allow (None: all of them).
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

    @property
    def configured(self) -> tuple[str, ...]:
        named = {
            "pagerduty": self.pagerduty,
            "email": self.mailer,
            "teams": self.teams,
            "webhook": self.webhook,
        }
        return tuple(name for name, channel in named.items() if channel is not None)

    # -- escalations ---------------------------------------------------------------------

    @_one_writer
    def escalated(self, tickets: Sequence[Escalated], *, run_id: str) -> list[ChannelOutcome]:
        """Deliver each ticket to the channels it should reach and has not reached yet, and
        again to those an earlier run or the server could not reach (a page refused while
        PagerDuty was down is delivered by the next run, for ``RETRY_HOURS``)."""
        if not self.configured:
            return []
        memory = self._read()
        entries: dict[str, dict[str, Any]] = memory.setdefault("tickets", {})
        now = self.clock()
        given = {ticket.ticket_id for ticket in tickets}
        pending = [
            remembered
            for key, entry in sorted(entries.items(), key=lambda item: int(item[0]))
            if int(key) not in given
            and (remembered := self._undelivered(int(key), entry, now)) is not None
        ]
        if not tickets and not pending:
            return []
        due: dict[str, list[Escalated]] = {name: [] for name in self.configured}
        for ticket in sorted(tickets, key=lambda t: t.ticket_id):
            entry = entries.setdefault(
                str(ticket.ticket_id), {"at": now, "routes": list(ticket.routes), "sent": []}
            )
            if entry.get("resolved"):
                # Escalated again after its page was resolved (reopened): a new escalation.
                entry.update(at=now, routes=list(ticket.routes), sent=[], resolved=False)
            # What a later run needs to deliver it again (the subject is the redacted one).
            entry.update(subject=ticket.subject, url=ticket.url)
        for ticket in [*sorted(tickets, key=lambda t: t.ticket_id), *pending]:
            entry = entries[str(ticket.ticket_id)]
            allowed = self.narrowed(ticket.routes)
            for name in self.configured:
                if name not in entry["sent"] and (allowed is None or name in allowed):
                    due[name].append(ticket)
        outcomes: list[ChannelOutcome] = []
        for ticket in due.get("pagerduty", []):
            outcomes.append(self._page(ticket, entries[str(ticket.ticket_id)], run_id))
        for ticket in due.get("email", []):
            outcomes.append(self._mail(ticket))
        if due.get("teams"):
            outcomes.append(self._card(due["teams"], run_id))
        if due.get("webhook"):
            outcomes.append(self._event(due["webhook"], run_id))
        for outcome in outcomes:
            if outcome.outcome == "sent":
                for ticket_id in outcome.tickets:
                    entries[str(ticket_id)]["sent"].append(outcome.channel)
            else:
                log.warning("escalation not delivered to %s: %s", outcome.channel, outcome.detail)
        self._write(memory)
        return outcomes

    def _undelivered(
        self, ticket_id: int, entry: Mapping[str, Any], now: float
    ) -> Escalated | None:
        """A remembered escalation some channel it should reach has not taken, still recent
        enough to deliver (None: delivered, resolved, too old, or remembered by an older
        version without its subject and link)."""
        subject, url = entry.get("subject"), entry.get("url")
        if entry.get("resolved") or not isinstance(subject, str) or not isinstance(url, str):
            return None
        if now - float(entry.get("at", 0)) > RETRY_HOURS * 3600:
            return None
        routes = tuple(str(route) for route in entry.get("routes", ()))
        allowed = self.narrowed(routes)
        sent = entry.get("sent", ())
        missing = [
            name
            for name in self.configured
            if name not in sent and (allowed is None or name in allowed)
        ]
        return Escalated(ticket_id, subject, routes, url) if missing else None

    def open_pages(self) -> tuple[int, ...]:
        """The tickets whose PagerDuty alert is open: the run asks the helpdesk their status."""
        if self.pagerduty is None:
            return ()
        entries = self._read().get("tickets", {})
        return tuple(
            int(key)
            for key, entry in entries.items()
            if entry.get("paged") and not entry.get("resolved")
        )

    @_one_writer
    def resolve_ended(self, statuses: Mapping[int, str]) -> list[ChannelOutcome]:
        """Resolve the open pages of the tickets now solved or closed (``statuses``: the
        helpdesk's status of each ticket asked; a ticket gone from the helpdesk is ended)."""
        if self.pagerduty is None:
            return []
        memory = self._read()
        entries = memory.get("tickets", {})
        outcomes = []
        for key, entry in entries.items():
            if not entry.get("paged") or entry.get("resolved"):
                continue
            status = statuses.get(int(key), "gone")
            if status not in ENDED and status != "gone":
                continue
            failure = self.pagerduty.resolve(str(entry["paged"]))
            if failure is None:
                entry["resolved"] = True
                outcomes.append(ChannelOutcome("pagerduty_resolve", "sent", (int(key),)))
            else:
                log.warning("PagerDuty resolve not delivered: %s", failure)
                outcomes.append(ChannelOutcome("pagerduty_resolve", "failed", (int(key),), failure))
        if outcomes:
            self._write(memory)
        return outcomes

    @_one_writer
    def incidents(self, open_now: Sequence[PagedIncident], *, run_id: str) -> list[ChannelOutcome]:
        """Page each open incident once (severity ``critical``: many customers), and resolve
        the page of an incident no longer open (its group ticket solved, or it left the book)."""
        if self.pagerduty is None:
            return []
        memory = self._read()
        pages: dict[str, dict[str, Any]] = memory.setdefault("incidents", {})
        now = self.clock()
        outcomes = []
        for incident in open_now:
            entry = pages.get(str(incident.key))
            if entry is not None and not entry.get("resolved"):
                continue
            key = dedup_key(self.helpdesk_url, f"incident:{incident.key}")
            failure = self.pagerduty.trigger(
                key,
                f"Incident: {incident.reports} customers report {plain(incident.title)}",
                source=self.source,
                severity="critical",
                details={"group_ticket": incident.key, "reports": incident.reports, "run": run_id},
                links=[(incident.url, f"Ticket #{incident.key}")],
            )
            if failure is None:
                pages[str(incident.key)] = {"paged": key, "at": now}
            outcomes.append(_outcome("pagerduty_incident", incident.key, failure))
        still = {str(i.key) for i in open_now}
        for name, entry in pages.items():
            if name in still or entry.get("resolved"):
                continue
            failure = self.pagerduty.resolve(str(entry["paged"]))
            entry["resolved"] = failure is None
            outcomes.append(_outcome("pagerduty_incident_resolve", int(name), failure))
        if outcomes:
            self._write(memory)
        return outcomes

    # -- the daily summary ---------------------------------------------------------------

    @_one_writer
    def daily_summary(self, *, ticket_url: Callable[[int], str]) -> ChannelOutcome | None:
        """Once a UTC day, a mail listing the escalations since the last summary; None when
        not due (the first run ever only notes the day: there is nothing to sum up yet)."""
        if self.mailer is None:
            return None
        memory = self._read()
        now = self.clock()
        today = datetime.fromtimestamp(now, UTC).date().isoformat()
        last = memory.get("summary_day")
        if last == today:
            return None
        if last is None:
            memory["summary_day"] = today
            memory["summary_at"] = now
            self._write(memory)
            return None
        since = float(memory.get("summary_at", now - DAY))
        recent = sorted(
            (int(key), entry)
            for key, entry in memory.get("tickets", {}).items()
            if float(entry.get("at", 0)) >= since
        )
        mail = summary_mail(recent, since=since, source=self.source, ticket_url=ticket_url)
        failure = self.mailer.send(mail)
        if failure is not None:
            log.warning("daily summary not delivered: %s", failure)
            return ChannelOutcome("email_summary", "failed", detail=failure)
        memory["summary_day"] = today
        memory["summary_at"] = now
        self._write(memory)
        return ChannelOutcome("email_summary", "sent", tuple(key for key, _ in recent))

    # -- the channels --------------------------------------------------------------------

    def _page(self, ticket: Escalated, entry: dict[str, Any], run_id: str) -> ChannelOutcome:
        assert self.pagerduty is not None
        key = dedup_key(self.helpdesk_url, f"ticket:{ticket.ticket_id}")
        failure = self.pagerduty.trigger(
            key,
            f"Ticket #{ticket.ticket_id} escalated: {plain(ticket.subject) or '(no subject)'}",
            source=self.source,
            details={"ticket": ticket.ticket_id, "routes": list(ticket.routes), "run": run_id},
            links=[(ticket.url, f"Ticket #{ticket.ticket_id}")],
        )
        if failure is not None:
            return ChannelOutcome("pagerduty", "failed", (ticket.ticket_id,), failure)
        entry["paged"] = key
        return ChannelOutcome("pagerduty", "sent", (ticket.ticket_id,))

    def _mail(self, ticket: Escalated) -> ChannelOutcome:
        assert self.mailer is not None
        failure = self.mailer.send(escalation_mail(ticket, source=self.source))
        if failure is not None:
            return ChannelOutcome("email", "failed", (ticket.ticket_id,), failure)
        return ChannelOutcome("email", "sent", (ticket.ticket_id,))

    def _card(self, tickets: Sequence[Escalated], run_id: str) -> ChannelOutcome:
        assert self.teams is not None
        ids = tuple(t.ticket_id for t in tickets)
        lines = [
            CardLine(
                f"**#{t.ticket_id}** {teams_escape(t.subject or '(no subject)')} — route: "
                f"{teams_escape(', '.join(t.routes) or '?')}",
                t.url,
            )
            for t in tickets
        ]
        count = len(tickets)
        title = teams_escape(
            f"{count} ticket{'s' if count != 1 else ''} escalated (ticketbot@{self.source}, "
            f"run {run_id})"
        )
        failure = self.teams.post(title, lines)
        if failure is not None:
            return ChannelOutcome("teams", "failed", ids, failure)
        return ChannelOutcome("teams", "sent", ids)

    def _event(self, tickets: Sequence[Escalated], run_id: str) -> ChannelOutcome:
        assert self.webhook is not None
        ids = tuple(t.ticket_id for t in tickets)
        failure = self.webhook.post(
            {
                "event": "tickets_escalated",
                "run_id": run_id,
                "source": self.source,
                "tickets": [
                    {
                        "id": t.ticket_id,
                        "subject": t.subject,
                        "routes": list(t.routes),
                        "url": t.url,
                    }
                    for t in tickets
                ],
            }
        )
        if failure is not None:
            return ChannelOutcome("webhook", "failed", ids, failure)
        return ChannelOutcome("webhook", "sent", ids)

    # -- the memory ----------------------------------------------------------------------

    def _read(self) -> dict[str, Any]:
        try:
            data = orjson.loads(read_state_bytes(self.state_dir / MEMORY_FILE))
        except FileNotFoundError:
            return {}
        except (orjson.JSONDecodeError, StateFileRefused, OSError) as exc:
            # Forgetting means a page or mail may go twice: better than none at all.
            log.warning("%s unreadable, starting afresh: %s", MEMORY_FILE, type(exc).__name__)
            return {}
        if not isinstance(data, dict) or not isinstance(data.get("tickets", {}), dict):
            return {}
        return data

    def _write(self, memory: dict[str, Any]) -> None:
        now = self.clock()
        memory["incidents"] = {
            key: entry
            for key, entry in memory.get("incidents", {}).items()
            if not entry.get("resolved") or now - float(entry.get("at", 0)) < KEEP_DAYS * DAY
        }
        memory["tickets"] = {
            key: entry
            for key, entry in memory.get("tickets", {}).items()
            if now - float(entry.get("at", 0)) < KEEP_DAYS * DAY
            or (entry.get("paged") and not entry.get("resolved"))
        }
        try:
            self.state_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(self.state_dir / MEMORY_FILE, orjson.dumps(memory))
        except OSError as exc:
            log.warning("could not remember the escalations: %s", exc.strerror or exc)


def _outcome(channel: str, key: int, failure: str | None) -> ChannelOutcome:
    if failure is None:
        return ChannelOutcome(channel, "sent", (key,))
    log.warning("%s not delivered: %s", channel, failure)
    return ChannelOutcome(channel, "failed", (key,), failure)


def plain(text: str) -> str:
    """``text`` on one line without control characters: PagerDuty shows its summary as plain
    text, so there is nothing to escape but what would break the line."""
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())


def escalation_mail(ticket: Escalated, *, source: str) -> Mail:
    subject = plain(ticket.subject) or "(no subject)"
    routes = ", ".join(ticket.routes) or "?"
    text = (
        f"Ticket #{ticket.ticket_id} was escalated by ticketbot@{source}.\n\n"
        f"Subject: {subject}\nRoute: {routes}\nOpen it: {ticket.url}\n"
    )
    html = (
        f'<p>Ticket <a href="{html_escape(ticket.url)}">#{ticket.ticket_id}</a> was escalated '
        f"by ticketbot@{html_escape(source)}.</p>"
        f"<p><b>Subject:</b> {html_escape(subject)}<br><b>Route:</b> {html_escape(routes)}</p>"
    )
    return Mail(f"[ticketbot] Ticket #{ticket.ticket_id} escalated: {subject}", text, html)


def summary_mail(
    recent: Sequence[tuple[int, Mapping[str, Any]]],
    *,
    since: float,
    source: str,
    ticket_url: Callable[[int], str],
) -> Mail:
    count = len(recent)
    start = datetime.fromtimestamp(since, UTC).strftime("%Y-%m-%d %H:%M UTC")
    head = f"{count} ticket{'s' if count != 1 else ''} escalated since {start}"
    text_lines = [f"{head} (ticketbot@{source}):", ""]
    html_items = []
    for ticket_id, entry in recent:
        routes = ", ".join(str(r) for r in entry.get("routes", [])) or "?"
        paged = "paged" if entry.get("paged") else ""
        state = "page resolved" if entry.get("resolved") else paged
        text_lines.append(f"- #{ticket_id} ({routes}) {ticket_url(ticket_id)} {state}".rstrip())
        html_items.append(
            f'<li><a href="{html_escape(ticket_url(ticket_id))}">#{ticket_id}</a> '
            f"{html_escape(routes)} {html_escape(state)}</li>"
        )
    html = f"<p>{html_escape(head)} (ticketbot@{html_escape(source)}).</p>"
    if html_items:
        html += "<ul>" + "".join(html_items) + "</ul>"
    return Mail(f"[ticketbot] Daily summary: {head}", "\n".join(text_lines) + "\n", html)
