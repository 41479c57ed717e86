"""Pure: which recent tickets are one incident, and which are a customer's repeat ticket.

``judge`` applies the rule stated in ``policy``: within the last hour (by ``created_at``) and among
the fault reports only (``fault``), a greedy grouping by cosine similarity (the ticket with the
most neighbours above ``similarity`` and those neighbours, grown to the reports near their centre;
then again among the rest), each group judged against the window's baseline (``Reading``). A report
the head is unsure of (``maybe_fault``: a question that reports a fault, a short one) never seeds a
group and joins one only beside several of its fault reports, closer to them than to the hour's
requests. A report (a fault report or a maybe) further from the centre or its reports joins when
most of its nearest tickets in the window are the group's (``vote``); when no report has enough
others near it to seed a group, those neighbourhoods may seed one, and a member whose nearest
tickets are all the hour's requests leaves (``vote``).
Recent tickets close to a known incident's centre, and beside its reports (``joiners``), join it
instead. ``repeats`` finds, for each new ticket, the candidate: an earlier open ticket of the same
requester in the window at cosine at least ``repeat_similarity``, or ``follow_up_similarity``
within the hour. The cosine is not the whole rule: below ``repeat_similarity`` a candidate is a
repeat only when the new ticket says it follows up (``follow_up.follow_ups``, which the run calls,
with ``follow_up_needs_sign``: a reply subject, words that continue, the ticket's number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from ..common.baseline import poisson_tail
from .fault import FaultHead, weigh_views
from .first_day import marked
from .joiners import beside_reports
from .policy import ROUNDING, IncidentPolicy
from .vote import Neighbourhoods, among_requests, seed_by_neighbours, vote_in
from .what_broke import SharedCore, WeekBeside, beside_core, near_core, one_fault, shared_core
from .window import Window, quantise


@dataclass(frozen=True)
class Reading:
    """How a group measured against the baseline: the figures its verdict rests on."""

    reports: int  # different requesters in the group
    expected: float  # reports that kind brings in such an hour, busy-adjusted
    kind_in_window: int  # earlier tickets of the window within reach of the group's centre
    window_hours: float
    busy: float  # the hour's other tickets against the window's hourly rate of other tickets
    p_value: float
    incident: bool
    # Less than ``link_after`` of history: a prior is the baseline, one fault (``core``) a must.
    short_history: bool = False
    # Reports of the group with at least ``core_neighbours`` others of it within
    # ``similarity``: the reports that share what broke (``one_fault``).
    core: int = 0
    # Reports that share what broke with the product's common ground taken out, copies of one
    # text counted once (``what_broke.shared_core``); under ``min_reports``: many complaints.
    shared: int = 0
    # With a week: the window's earlier reports near that core, and the reports of the core's
    # kind they make usual in such an hour (``what_broke.week_beside``).
    shared_in_window: int = 0
    shared_expected: float = 0.0
    hour_others: int = 0  # a first day's: the hour's other tickets (``first_day_expected``)


@dataclass(frozen=True)
class Asked:
    """The requests (tickets the fault head calls no fault report) of the hour and of the
    window before it: how busy an hour is, read where an outage does not reach."""

    hour: int = 0
    window: int = 0


@dataclass
class Burst:
    """A group of recent tickets judged (``rows``: window row numbers), an incident or not."""

    rows: list[int]
    centre: npt.NDArray[np.int8]
    reading: Reading


@dataclass
class Known:
    """An incident found before: its key (the problem or tracker ticket) and its centre."""

    key: int
    centre: npt.NDArray[np.int8]


@dataclass
class Findings:
    bursts: list[Burst] = field(default_factory=list)
    joins: dict[int, list[int]] = field(default_factory=dict)  # known key -> rows joining it
    readings: list[Reading] = field(default_factory=list)  # every group judged, kept or not
    declined: list[Burst] = field(default_factory=list)  # the groups judged no incident
    requests: list[int] = field(default_factory=list)  # recent rows the fault head called requests
    # Recent rows the head calls fault reports and the LLM requests: kept out of every group,
    # and set aside when how busy the hour is is read (``_reading``).
    kept_out: list[int] = field(default_factory=list)
    # How the fault head and the LLM's view agreed on the recent rows (``fault.weigh_views``);
    # empty when no ticket had the LLM's view.
    agreement: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Repeat:
    row: int  # the new ticket's row
    earlier: int  # the earlier ticket's row
    similarity: float


def judge(
    window: Window,
    now: int,
    policy: IncidentPolicy,
    known: Sequence[Known] = (),
    fault: FaultHead | None = None,
    history_from: int | None = None,
) -> Findings:
    """The incidents among the window's recent rows not linked yet, and the rows that join a
    known incident. With a ``fault`` head, only the rows it calls fault reports are grouped or
    join an incident: a burst of requests is never an incident, however rare its kind.
    Where the LLM gave its view (``window.views``), a ticket it calls a request is kept out
    whatever the head says (``fault.weigh_views``).

    ``history_from``: the helpdesk's earliest ticket, as far back as the baseline spans; with
    less than ``link_after`` of it a prior is (``first_day_expected``) and a group must be one
    fault (``one_fault``; members far from its core leave, ``near_core``)."""
    findings = Findings()
    start = now - policy.burst_seconds
    in_hour = window.created >= start
    # The hour's volume counts every ticket of the hour, linked ones too: how busy the hour is
    # does not change because an earlier run linked part of it.
    hour_rows = np.flatnonzero(in_hour)
    every = (len(hour_rows), int((window.created < start).sum()))  # before faults are told
    recent = np.flatnonzero(in_hour & (window.incident == 0))
    recent, sure, asks = _reports(window, recent, fault, policy, findings)
    if len(recent) == 0:
        return findings
    vectors = window.vectors[recent]
    free = np.ones(len(recent), np.bool_)
    older = np.flatnonzero(window.created < start)
    window_from = max(window.baseline_from, now - policy.window_seconds)
    if len(older):
        window_from = max(window_from, int(window.created[older].min()))
    if history_from is not None:
        window_from = max(window_from, history_from)
    hours = max(1.0, (start - window_from) / 3600.0)
    short = history_from is not None and now - history_from < policy.link_after
    measured = fault is None  # the window's faults found (only once a group is to be judged)
    if known:
        centres = np.stack([k.centre for k in known])
        to_known = window.similarity(centres, recent)  # known x recent
        best = to_known.argmax(axis=0)
        closest = to_known[best, np.arange(len(recent))]
        # A maybe has no members to stand beside here (a known incident keeps its centre):
        # it joins only as close to the centre as two reports must be to seed a group.
        joining = np.flatnonzero(closest >= np.where(sure, policy.gather_at, policy.similarity))
        if len(joining) and fault is not None and not measured:
            older, hour_rows = _faults(window, fault, older, hour_rows)
            measured = True
        for k in sorted({int(b) for b in best[joining]}):
            picked = joining[best[joining] == k]
            centre = known[k].centre[None, :]
            picked = picked[~_other_kind(window, centre, recent[picked], older, policy)]
            picked = picked[beside_reports(window, known[k].key, recent[picked], policy)]
            findings.joins.setdefault(known[k].key, []).extend(int(recent[j]) for j in picked)
            free[picked] = False
    sims = (vectors.astype(np.float32) / 127.0) @ (vectors.astype(np.float32) / 127.0).T
    near = sims >= policy.similarity
    maybes = _Maybes.of(window, recent, sure, asks, sims, policy)
    around = Neighbourhoods(window, policy.vote_neighbours)
    while True:
        seed, first = _seed(near, free, sure, around, recent, policy)
        if len(first) == 0:
            break
        if not measured and fault is not None:
            older, hour_rows = _faults(window, fault, older, hour_rows)
            measured = True
        members = _gather(window, recent, vectors, first, free, policy, maybes)
        members = vote_in(around, recent, members, np.flatnonzero(free), policy)
        members = members[~among_requests(around, recent[members], asks)]
        if len(members):
            centre = quantise(vectors[members].astype(np.float32).mean(axis=0, keepdims=True))
            members = members[~_other_kind(window, centre, recent[members], older, policy)]
        if len(members) == 0:
            members = np.array([seed])
        if short:
            members = near_core(window, recent, members, policy)
        shared = shared_core(window, recent[members], start, policy, short)
        gathered = recent[members]  # by the group's centre: no sign of a busy hour (_reading)
        members, week = beside_core(window, members, gathered, shared, older, short, policy)
        free[members] = False
        centre = quantise(vectors[members].astype(np.float32).mean(axis=0, keepdims=True))
        rows = [int(recent[m]) for m in members]
        loose = recent[free]  # the hour's reports no group, incident or known one took
        asked = Asked(every[0] - len(hour_rows), every[1] - len(older))
        aside = np.union1d(gathered, np.asarray(findings.kept_out, np.int64))  # kind or LLM
        reading = _reading(
            window, rows, centre, older, hour_rows, loose, hours, policy, short, asked, aside
        )
        if shared is not None:
            reading = _one_fault_reading(reading, shared, week, policy)
        findings.readings.append(reading)
        rows = marked(window, rows, fault, policy, short and reading.incident)  # first_day
        (findings.bursts if reading.incident else findings.declined).append(
            Burst(rows, centre, reading)
        )
    return findings


def _one_fault_reading(
    reading: Reading, shared: SharedCore, week: WeekBeside | None, policy: IncidentPolicy
) -> Reading:
    """The reading with the one-fault test's verdict: a core under ``min_reports`` is many
    complaints; with a week, a core the week brings about as often (``week_beside``, against
    the same ``rate_factor`` and ``p_value`` as the group's kind) is the product's everyday."""
    many = shared.reports < policy.min_reports
    reading = replace(reading, shared=shared.reports, incident=reading.incident and not many)
    if week is None or many:
        return reading
    usual, reports = week.expects(reading.window_hours, reading.busy, policy), reading.reports
    rare = reports >= policy.rate_factor * usual and poisson_tail(reports, usual) <= policy.p_value
    incident = reading.incident and rare and bool(week.stays.any())
    return replace(reading, shared_in_window=week.seen, shared_expected=usual, incident=incident)


def _reports(
    window: Window,
    recent: npt.NDArray[np.int64],
    fault: FaultHead | None,
    policy: IncidentPolicy,
    findings: Findings,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.int64]]:
    """The hour's rows that may be grouped (fault reports and maybes), which of them are sure
    fault reports (the rest may join, never seed), and the hour's requests. Without a fault
    head or the LLM's views, every row is a sure report."""
    views = window.views[recent]
    if not ((fault is not None or views.any()) and len(recent)):
        return recent, np.ones(len(recent), np.bool_), recent[:0]
    chance = np.ones(len(recent), np.float32)
    if fault is not None:
        chance = fault.probability(window.vectors, recent)
    is_fault = chance >= (fault.threshold if fault is not None else 0.0)
    if views.any():
        by_head = is_fault
        is_fault, findings.agreement = weigh_views(is_fault, views)
        findings.kept_out = [int(r) for r in recent[by_head & ~is_fault]]
    findings.requests = [int(r) for r in recent[~is_fault]]
    # A report the head is unsure of (a question that reports a fault, a short one) is
    # kept as a maybe: it joins a group only beside several of its fault reports.
    maybe = ~is_fault & (chance >= policy.maybe_fault) & (views >= 0)
    return recent[is_fault | maybe], is_fault[is_fault | maybe], recent[~is_fault & ~maybe]


def _seed(
    near: npt.NDArray[np.bool_],
    free: npt.NDArray[np.bool_],
    sure: npt.NDArray[np.bool_],
    around: Neighbourhoods,
    recent: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> tuple[int, npt.NDArray[np.int64]]:
    """The next group's seed and first members (indices into ``recent``; none when no group is
    left to form): the free fault report with the most free fault reports within
    ``similarity`` and those, when it has ``min_reports``. When none has, an outage each
    customer tells in words of their own may still be one by its reports' neighbourhoods
    (``seed_by_neighbours``)."""
    seeding = free & sure
    degree = (near & seeding[None, :] & seeding[:, None]).sum(axis=1)
    seed = int(degree.argmax())
    if seeding[seed] and degree[seed] >= policy.min_reports:
        return seed, np.flatnonzero(near[seed] & seeding)
    first = seed_by_neighbours(around, recent, free, sure, policy)
    return (int(first[0]) if len(first) else -1), first


def _gather(
    window: Window,
    recent: npt.NDArray[np.int64],
    vectors: npt.NDArray[np.int8],
    members: npt.NDArray[np.int64],
    free: npt.NDArray[np.bool_],
    policy: IncidentPolicy,
    maybes: _Maybes,
) -> npt.NDArray[np.int64]:
    """The free rows close to the group's centre, the centre moved to them, until the group
    stops changing (a few rounds): reports of one fault in other words or languages are closer
    to the centre of many reports than to the seed's own words. A maybe (``_Maybes``) among
    them stays only beside ``maybe_support`` of the group's fault reports."""
    for _ in range(policy.gather_rounds):
        centre = quantise(vectors[members].astype(np.float32).mean(axis=0, keepdims=True))
        to_centre = window.similarity(centre, recent)[0]
        grown = maybes.backed(np.flatnonzero((to_centre >= policy.gather_at) & free), policy)
        if len(grown) == 0 or np.array_equal(grown, members):
            return grown
        members = grown
    return members


@dataclass(frozen=True)
class _Maybes:
    """Which of the grouped rows are fault reports (``sure``; the rest are the head's maybes),
    and how close a maybe must be to a group's fault reports to count beside them (``bar``)."""

    sure: npt.NDArray[np.bool_]
    sims: npt.NDArray[np.float32]
    bar: npt.NDArray[np.float32]

    @classmethod
    def of(
        cls,
        window: Window,
        rows: npt.NDArray[np.int64],
        sure: npt.NDArray[np.bool_],
        asks: npt.NDArray[np.int64],
        sims: npt.NDArray[np.float32],
        policy: IncidentPolicy,
    ) -> _Maybes:
        """A maybe's bar is ``similarity``, or its ``maybe_support``-th closest request of
        the hour (of those not near several fault reports) when that is closer: a question
        asked by many this hour (where to enter the newsletter's code) stays with the
        questions, not with the outage it resembles."""
        bar = np.full(len(rows), policy.similarity, np.float32)
        doubted = np.flatnonzero(~sure)
        if len(doubted) and len(asks) >= policy.maybe_support and sure.any():
            # A question near several fault reports is one the head got wrong ("why was my
            # transfer declined?"), no evidence against a maybe that is near them too.
            alike = window.similarity(window.vectors[asks], rows[sure]) >= policy.similarity
            asks = asks[alike.sum(axis=1) < policy.maybe_support]
        if len(doubted) and len(asks) >= policy.maybe_support:
            to_asks = window.similarity(window.vectors[rows[doubted]], asks)
            kth = -np.sort(-to_asks, axis=1)[:, policy.maybe_support - 1]
            bar[doubted] = np.maximum(bar[doubted], kth)
        return cls(sure, sims, bar)

    def backed(self, rows: npt.NDArray[np.int64], policy: IncidentPolicy) -> npt.NDArray[np.int64]:
        """``rows`` without the maybes that are close (``bar``) to fewer than
        ``maybe_support`` of the fault reports among them."""
        sure = rows[self.sure[rows]]
        support = (self.sims[np.ix_(rows, sure)] >= self.bar[rows, None]).sum(axis=1)
        kept: npt.NDArray[np.int64] = rows[self.sure[rows] | (support >= policy.maybe_support)]
        return kept


def _faults(
    window: Window,
    fault: FaultHead,
    older: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The window's earlier fault reports, and the hour's. Faults are measured against the
    window's faults: the week's questions are no baseline for a kind of breakage, nor the
    hour's requests for how busy it is. Scoring a window of 100,000 takes a second: only in an
    hour with a group, or reports joining a known incident."""
    return older[fault.is_fault(window.vectors, older)], hour[fault.is_fault(window.vectors, hour)]


def _other_kind(
    window: Window,
    centre: npt.NDArray[np.int8],
    rows: npt.NDArray[np.int64],
    older: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` (joining the group or known incident whose centre is ``centre``) are
    another kind of ticket the window sees anyway, by either of two tests against the earlier
    reports (of ``older``, outside any incident):

    - at least ``other_kind_rank`` of them are closer to the row than the centre is, and are
      themselves not of the group's kind (below ``similarity`` to its centre). Lookalikes of
      the group's own kind do not count, so a week with many one-off checkout problems keeps a
      checkout outage's reports in it;
    - its ``lookalike_rank``-th closest of them, of any kind, is closer to it than the centre
      is by at least ``lookalike_margin``: the row is much more like last week's tickets than
      like this hour's outage, though they are near the outage too (the app logging a customer
      out, beside the app crashing at start).

    A password-reset mail beside a checkout outage, a card declined in an hour of failed
    top-ups."""
    out = np.zeros(len(rows), np.bool_)
    rank, lookalike = policy.other_kind_rank, policy.lookalike_rank
    plain = older[window.incident[older] == 0]
    if (rank <= 0 and lookalike <= 0) or len(rows) == 0 or len(plain) < max(rank, lookalike):
        return out
    other = window.similarity(centre, plain)[0] < policy.similarity
    to_centre = window.similarity(centre, rows)[0]
    for start in range(0, len(rows), 64):  # 64 rows x the window at once: memory stays flat
        sims = window.similarity(window.vectors[rows[start : start + 64]], plain)
        near = to_centre[start : start + 64, None]
        if rank > 0:
            closer = (sims > near + ROUNDING) & other[None, :]
            out[start : start + 64] = closer.sum(axis=1) >= rank
        if lookalike > 0:
            kth = -np.partition(-sims, lookalike - 1, axis=1)[:, lookalike - 1]
            out[start : start + 64] |= kth >= near[:, 0] + policy.lookalike_margin
    return out


def _reading(
    window: Window,
    rows: list[int],
    centre: npt.NDArray[np.int8],
    older: npt.NDArray[np.int64],
    hour: npt.NDArray[np.int64],
    loose: npt.NDArray[np.int64],
    hours: float,
    policy: IncidentPolicy,
    short: bool = False,
    asked: Asked = Asked(),
    gathered: npt.NDArray[np.int64] | None = None,
) -> Reading:
    """The group against the window: the kind's hourly rate (earlier tickets within
    ``similarity`` of the centre) scaled by how busy the hour is (``hour``: the hour's tickets
    it counts). Busyness compares the other tickets with the other tickets, leaving the kind out
    on both sides: the hour's tickets of the group's kind that nothing took (``loose``: an
    outage's reports that stayed out of its group) are the outage, not a busy hour that would
    make it look ordinary. Tickets another group or incident of the hour took are that one's
    business, and count as the hour's volume as they always did: a group of an outage's
    leftovers is measured against the outage, not beside it.

    A group that took all the hour's fault reports (one product's ordinary complaints, close
    in the encoder's space) leaves none to say how busy the hour is. An outage adds fault
    reports to an hour, a busy hour adds requests too: with no more fault reports than its
    requests (``asked``) bring at the window's share, busy is read from the requests as well."""
    reports = len({int(window.requesters[r]) for r in rows})
    burst_hours = policy.burst_seconds / 3600.0
    kind = 0
    if len(older):
        kind = int((window.similarity(centre, older)[0] >= policy.similarity).sum())
    kind_rate = (kind + 0.5) / hours
    others_rate = (len(older) - kind) / hours
    own = np.isin(hour, rows)
    # Gathered, then left out as not sharing what broke: the kind's. So are the reports the
    # LLM kept out (``Findings.kept_out``): its view only keeps tickets out of a group. As the
    # hour's other tickets they would make the hour look busy and a genuine outage ordinary,
    # the veto turned into evidence against the group; the window's earlier tickets they are
    # compared with are counted by the head alone, which called them reports. Where the head
    # alone would have counted some as other tickets, the hour reads a little less busy.
    if gathered is not None:
        own |= np.isin(hour, gathered)
    if len(hour):
        own |= np.isin(hour, loose) & (window.similarity(centre, hour)[0] >= policy.similarity)
    others_now = int((~own).sum())
    busy = max(1.0, (others_now + 0.5) / (others_rate * burst_hours + 0.5))
    no_extra = len(hour) * (asked.window + 0.5) <= asked.hour * (len(older) + 0.5)
    if asked.window and no_extra and not short:
        busy = max(busy, (asked.hour + 0.5) / (asked.window / hours * burst_hours + 0.5))
    expected, hour_others = kind_rate * burst_hours * busy, 0
    if short and hours * 3600 < policy.first_day_seconds:  # too little before it for rates
        hour_others = others_now + asked.hour  # the hour's volume only: busy reads 1
        expected, busy = policy.first_day_expected(kind_rate * burst_hours, hour_others), 1.0
    p_value = poisson_tail(reports, expected)
    factor = policy.short_rate_factor if short else policy.rate_factor
    core = int(one_fault(window, rows, policy).sum()) if short else 0
    incident = (
        reports >= policy.min_reports
        and reports >= factor * expected
        and p_value <= policy.p_value
        and (not short or core >= policy.min_reports)
    )
    found = Reading(reports, expected, kind, hours, busy, p_value, incident, short, core)
    return replace(found, hour_others=hour_others)


def repeats(window: Window, new_rows: Sequence[int], policy: IncidentPolicy) -> list[Repeat]:
    """For each new row, the most similar earlier open ticket of its requester in the window
    (created before it, or with a lower id at the same second), when close enough: a
    candidate, which ``follow_up.follow_ups`` keeps below ``repeat_similarity`` only with a
    follow-up sign."""
    found: list[Repeat] = []
    for row in new_rows:
        requester = int(window.requesters[row])
        if requester <= 0:
            continue
        created, ticket_id = int(window.created[row]), int(window.ids[row])
        mine = np.flatnonzero(
            (window.requesters == requester)
            & window.open
            & (
                (window.created < created)
                | ((window.created == created) & (window.ids < ticket_id))
            )
        )
        if len(mine) == 0:
            continue
        sims = window.similarity(window.vectors[row : row + 1], mine)[0]
        # A follow-up within the hour needs less: it adds to the first, it does not restate it.
        recent = created - window.created[mine] <= policy.follow_up_seconds
        bar = np.where(
            recent,
            min(policy.repeat_similarity, policy.follow_up_similarity),
            policy.repeat_similarity,
        )
        passing = np.flatnonzero(sims >= bar)
        if len(passing):
            best = int(passing[sims[passing].argmax()])  # the closest of those close enough
            found.append(Repeat(row, int(mine[best]), float(sims[best])))
    return found
