"""After a run: its categories join the counts of the days their tickets were created, and a
category far above its own baseline is reported once (``topics.rising`` states the rule), in
the log and through the alert webhook.

From the first day: counts with less history than the rule's baseline are seeded from the
helpdesk's tickets of the last ``BASELINE_DAYS`` days (``common.baseline``), each counted under
the category ticketbot tagged it with, else the run's local engine's (the learned model or the
rules: never the LLM for a backlog). When the incident grouping reads its window in the same
run, the seed takes its tickets from that reading (``IncidentPass`` hands them over): one
reading a run. At most ``SEED_MAX_TICKETS`` a run; a reading cut short resumes next run.

A rise the tickets of an open incident explain (``explain``) is named in that incident's alert
and logged as explained, not alerted again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from ..alerts.alerter import Alerter, AlertOutcome, log_alert
from ..common.baseline import RecentReading, moment, read_recent
from ..common.eventlog import EventSink
from ..errors import StateFileRefused, TicketBotError
from ..models import Cursor, Helpdesk, Ticket, sanitise_tag
from ..passes.protocol import Pass, RunEnd
from ..triage.chain import TriageEngine
from ..triage.prepare import PreparedTicket, prepare_ticket
from ..triage.taxonomy import Taxonomy
from .rising import (
    BASELINE_DAYS,
    DailyCounts,
    Rise,
    explained_today,
    load_counts,
    mark_reported,
    residual_rises,
    rising,
    save_counts,
)

SEED_MAX_TICKETS = 20_000  # a run's share of a seed read alone; the rest waits for the next run
Categorise = Callable[[Sequence[Ticket]], "list[tuple[str, str | None]]"]


def categoriser(
    taxonomy: Taxonomy,
    prefix: str,
    engines: Sequence[TriageEngine],
    prime: Callable[[list[str]], object] | None = None,
    forget: Callable[[list[str]], object] | None = None,
) -> Categorise:
    """Each ticket's category (and subcategory): from the tags ticketbot wrote on it, else from
    the first of ``engines`` (local ones, the rules last) that can judge its prepared text.
    ``prime`` (the encoder, when the learned model judges) encodes a page's untagged texts
    together first, so the model finds each vector in the encoder's memo; ``forget`` then
    drops them from it (the run's memory stays that of one page)."""
    categories = {sanitise_tag(f"{prefix}category_{name}"): name for name in taxonomy.names}
    subs = {
        name: {sanitise_tag(f"{prefix}subcategory_{s}"): s for s in taxonomy.subcategories_of(name)}
        for name in taxonomy.names
    }

    def judged(prepared: PreparedTicket) -> tuple[str, str | None]:
        for engine in engines[:-1]:
            try:
                analysis = engine.analyse(prepared).analysis
            except TicketBotError:  # an unusable model file: the next engine judges
                continue
            return analysis.category, analysis.subcategory
        analysis = engines[-1].analyse(prepared).analysis
        return analysis.category, analysis.subcategory

    def categorise(tickets: Sequence[Ticket]) -> list[tuple[str, str | None]]:
        found: list[tuple[str, str | None] | PreparedTicket] = []
        for ticket in tickets:
            tagged = next((categories[t] for t in ticket.tags if t in categories), None)
            if tagged is not None:
                sub = next((subs[tagged][t] for t in ticket.tags if t in subs[tagged]), None)
                found.append((tagged, sub))
            else:
                found.append(prepare_ticket(ticket.subject, ticket.description, max_tokens=2000))
        texts = [f"{p.subject}\n{p.body}" for p in found if isinstance(p, PreparedTicket)]
        if prime is not None and texts:
            prime(texts)
        judgements = [judged(p) if isinstance(p, PreparedTicket) else p for p in found]
        if forget is not None and texts:
            forget(texts)
        return judgements

    return categorise


@dataclass
class RisingWatch:
    """Today's counts with the run's tickets in, seeded when they lack history, and the rises
    open incidents explain."""

    counts: DailyCounts
    today: date
    categorise: Categorise
    seed_tickets: int = 0
    seed_read: bool = False  # a reading fed the seed this run (shared or its own)
    seed_error: str | None = None  # what stopped that reading, if anything did
    _by_incident: dict[int, tuple[str, dict[str, int]]] = field(default_factory=dict)
    newly_explained: list[tuple[Rise, int]] = field(default_factory=list)
    explained_now: set[str] = field(default_factory=set)  # keys open incidents explain now
    incidents_checked: bool = False  # the incident pass weighed every open incident this run

    @property
    def _start(self) -> datetime:
        return datetime.combine(self.today, time(), UTC)

    def wanted(self) -> tuple[int, Cursor | None] | None:
        if self.seed_read or not self.counts.needs_seed(self.today):
            return None
        saved = self.counts.seed_cursor
        start = self._start - timedelta(days=BASELINE_DAYS)
        return int(start.timestamp()), Cursor(**saved) if saved else None

    def take(self, tickets: Sequence[Ticket]) -> None:
        """Count the tickets created before today (today's are the runs' to count)."""
        first, end = self._start - timedelta(days=BASELINE_DAYS), self._start.timestamp()
        kept = [
            (t, c)
            for t in tickets
            if (c := moment(t.created_at)) is not None and first.timestamp() <= c < end
        ]
        for (_, created), (category, sub) in zip(
            kept, self.categorise([t for t, _ in kept]), strict=True
        ):
            keys = {category: 1, **({f"{category}/{sub}": 1} if sub else {})}
            self.counts.seed_add(datetime.fromtimestamp(created, UTC).date(), keys)
            self.seed_tickets += 1

    def finish(self, reading: RecentReading) -> None:
        self.seed_read, self.seed_error = True, reading.error
        if reading.complete:
            self.counts.seed_complete(self.today - timedelta(days=BASELINE_DAYS), self.today)
        else:
            self.counts.seed_cursor = asdict(reading.cursor) if reading.cursor else None
            if self.counts.seed_cursor is None:  # nothing to resume from: start again
                self.counts.pending = {}

    def read_alone(self, helpdesk: Helpdesk) -> RecentReading | None:
        """The seed's own reading, when no other reading of this run fed it."""
        wanted = self.wanted()
        if wanted is None:
            return None
        reading = read_recent(
            helpdesk,
            since=wanted[0],
            cursor=wanted[1],
            takers=[self.take],
            max_tickets=SEED_MAX_TICKETS,
        )
        self.finish(reading)
        return reading

    def explain(self, incident: int, title: str, today_counts: Mapping[str, int]) -> list[Rise]:
        """The rises this incident explains: no longer rising without its tickets of today (and
        those of the incidents weighed before it in this run). A rise is recorded against the
        first incident that explains it, and logged once a day (``note_rising``)."""
        self._by_incident[incident] = (title, dict(today_counts))
        removed: dict[str, int] = {}
        for _, counts in self._by_incident.values():
            for key, n in counts.items():
                removed[key] = removed.get(key, 0) + n
        found = rising(self.counts, self.today)
        still = {r.key for r in residual_rises(self.counts, found, removed, self.today)}
        known = explained_today(self.counts, self.today)
        mine = []
        for rise in found:
            if rise.key in still:
                continue
            self.explained_now.add(rise.key)
            if rise.key in known:
                if known[rise.key].get("incident") == incident:
                    mine.append(rise)
                continue
            self.counts.explained[rise.key] = {
                "day": self.today.isoformat(),
                "incident": incident,
                "title": title[:120],
            }
            self.newly_explained.append((rise, incident))
            mine.append(rise)
        return mine

    def explain_all(self, incidents: Sequence[tuple[int, str, Mapping[str, int]]]) -> None:
        """Every open incident weighed (those alerted this run were already)."""
        for key, title, today_counts in incidents:
            self.explain(key, title, today_counts)
        self.incidents_checked = True


def open_watch(
    state_dir: Path,
    created: Mapping[str | None, Mapping[str, int]],
    categorise: Categorise,
    *,
    today: date,
    past: bool = True,
) -> RisingWatch:
    """The counts with the run's tickets added, each under the day it was created (``created``:
    ISO day, or None when not known, to counts; saved by ``note_rising``). ``past`` off (a
    backfill): only the tickets of today join them."""
    counts = load_counts(state_dir)
    for day, keys in created.items():
        counts.add_created(date.fromisoformat(day) if day else None, keys, today, past=past)
    return RisingWatch(counts, today, categorise)


def note_rising(
    state_dir: Path, watch: RisingWatch, alerter: Alerter, log: EventSink
) -> list[tuple[Rise, AlertOutcome]]:
    """Report what rose and no open incident explains; a failed delivery is tried next run."""
    today = watch.today
    counts = watch.counts
    try:
        for rise, incident in watch.newly_explained:
            log.emit(
                "category_rising",
                level="warning",
                key=rise.key,
                today=rise.today,
                baseline=round(rise.baseline, 2),
                alert="explained",
                incident=incident,
            )
        # Without an incident pass this run, what one explained earlier today still stands.
        explained = (
            watch.explained_now if watch.incidents_checked else set(explained_today(counts, today))
        )
        told = []
        for rise in rising(counts, today):
            if rise.key in explained:
                continue
            outcome = alerter.rising(rise.key, rise.describe())
            log.emit(
                "category_rising",
                level="warning",
                key=rise.key,
                today=rise.today,
                baseline=round(rise.baseline, 2),
                alert=outcome.outcome,
            )
            told.append((rise, outcome))
        mark_reported(counts, [r for r, o in told if o.outcome != "failed"], today)
        save_counts(state_dir, counts)
    except (OSError, StateFileRefused) as exc:
        log.emit("category_counts_unsaved", level="warning", detail=str(exc)[:200])
        return []
    return told


class RisingPass(Pass):
    """The rising categories' pass: the daily counts with the batch's tickets in (plan: none
    for a dry or shadow run; ``open_counts`` builds them), their seed read from the helpdesk
    unless the incident pass shares its reading of the window (write), and what rose that no
    open incident explains alerted once a day (after)."""

    name = "rising categories"

    def __init__(
        self,
        open_counts: Callable[[RunEnd], RisingWatch | None],
        helpdesk: Helpdesk,
        state_dir: Path,
        alerter: Alerter,
        *,
        shared: bool,
    ) -> None:
        self.open_counts, self.helpdesk = open_counts, helpdesk
        self.state_dir, self.alerter, self.shared = state_dir, alerter, shared
        self.watch: RisingWatch | None = None

    def plan(self, end: RunEnd) -> None:
        self.watch = self.open_counts(end)

    def write(self, end: RunEnd) -> None:
        watch = self.watch
        if watch is None:
            return
        if not self.shared or end.aborted:  # no incident pass read the window for it
            watch.read_alone(self.helpdesk)
        if watch.seed_read:
            end.log.emit(
                "rising_seed",
                tickets=watch.seed_tickets,
                complete=watch.counts.seeded,
                error=watch.seed_error,
                shared=self.shared,
            )

    def after(self, end: RunEnd) -> None:
        if end.dry_run or self.watch is None:
            return
        for _, outcome in note_rising(self.state_dir, self.watch, self.alerter, end.log):
            log_alert(end.log, outcome)
