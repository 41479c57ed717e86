"""Pure: the reports of the hour whose nearest neighbours are a group's members.

A group gathers the fault reports near its centre (``gather_similarity``), and the maybes near
several of its fault reports. A report of the same fault told in words of its own ("is
something wrong on your side today?", "Website problem: it spins forever"), or a short or
question-shaped one the head doubts ("items vanish from basket", "no confirmation email, is my
order ok?"), can sit further than that from the centre of many reports, and further than
``similarity`` from each of them, while still being nearer to the outage's reports than to
anything else the window holds: its closest tickets of the whole window (the week's and the
hour's, of any kind: the hour's requests too) are mostly the group's. That is a vote of its
neighbourhood, not a distance to one point, and it does not depend on how long the report is or
which language it is in. A question asked by many this hour has those questions for neighbours,
and a report of a kind the week brings has the week's tickets: neither joins.

A report joins when a majority of its ``vote_neighbours`` nearest tickets in the window are
members; the vote is taken again while the group grows (up to ``gather_rounds`` times), since a
report that joined is one more member beside the next. ``vote_neighbours`` is the maybes' 3
(``maybe_support``: the number of a group's reports a doubtful report must stand beside), taken
for that reason (docs/explanation/measurements/incidents.md gives the figures with 5 too).
The joiners then meet every test a
gathered member meets (the other kind, the lookalike), as the caller applies them to the whole
group.

The same reading seeds a group where distance cannot (``seed_by_neighbours``), and takes out
of a group a member whose nearest tickets are all the hour's requests (``among_requests``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .policy import IncidentPolicy
from .window import Window

_BLOCK = 64  # candidates compared with the window at once: 64 x 50,000 floats are 13 MB


def nearest(window: Window, rows: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int64]:
    """For each of ``rows``, the ``k`` closest other rows of the whole window (``rows`` x k;
    fewer columns when the window is smaller)."""
    k = min(k, len(window) - 1)
    out = np.zeros((len(rows), max(k, 0)), np.int64)
    if k <= 0:
        return out
    for start in range(0, len(rows), _BLOCK):
        block = rows[start : start + _BLOCK]
        sims = window.similarity(window.vectors[block])
        sims[np.arange(len(block)), block] = -np.inf  # a ticket is not its own neighbour
        out[start : start + len(block)] = _top(sims, k)
    return out


def _top(sims: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.int64]:
    """Each row's ``k`` largest columns, a tie at the k-th broken for the later columns (the
    tickets added last). ``argpartition`` leaves a tie to its selection algorithm, which numpy
    picks by the processor: copies of one text had other neighbours on another machine."""
    at = sims.shape[1] - k
    kth = np.partition(sims, at, axis=1)[:, at, None]  # each row's k-th largest
    above, tied = sims > kth, sims == kth
    wanted = k - above.sum(axis=1, keepdims=True)
    later = np.cumsum(tied[:, ::-1], axis=1)[:, ::-1]  # ties from each column to the last
    top: npt.NDArray[np.int64] = np.nonzero(above | (tied & (later <= wanted)))[1]
    return top.reshape(len(sims), k)


class Neighbourhoods:
    """Each row's ``k`` nearest rows of the window, each found once in a judgement: an hour
    with several groups asks for the same free reports' neighbours after every group."""

    def __init__(self, window: Window, k: int) -> None:
        self.window, self.k = window, k
        self._found: dict[int, npt.NDArray[np.int64]] = {}

    def of(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        missing = np.array([r for r in rows.tolist() if r not in self._found], np.int64)
        if len(missing):
            found = nearest(self.window, missing, self.k)
            self._found.update(zip(missing.tolist(), found, strict=True))
        if len(rows) == 0:
            return np.zeros((0, max(0, min(self.k, len(self.window) - 1))), np.int64)
        return np.stack([self._found[r] for r in rows.tolist()])


def vote_in(
    around: Neighbourhoods,
    recent: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
    candidates: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> npt.NDArray[np.int64]:
    """``members`` (indices into ``recent``) with the ``candidates`` (indices into ``recent``:
    the hour's free fault reports and maybes outside the group; never the requests) whose
    nearest tickets of the window (``around``) are mostly members, sorted."""
    k = policy.vote_neighbours
    candidates = np.setdiff1d(candidates, members)
    if k <= 0 or len(candidates) == 0 or len(members) == 0 or len(around.window) <= k:
        return members
    neighbours = around.of(recent[candidates])
    majority = k // 2 + 1
    inside = np.zeros(len(around.window), np.bool_)
    inside[recent[members]] = True
    joined = np.zeros(len(candidates), np.bool_)
    for _ in range(policy.gather_rounds):
        votes = inside[neighbours].sum(axis=1)
        fresh = ~joined & (votes >= majority)
        if not fresh.any():
            break
        joined |= fresh
        inside[recent[candidates[fresh]]] = True
    grown: npt.NDArray[np.int64] = np.union1d(members, candidates[joined])
    return grown


def seed_by_neighbours(
    around: Neighbourhoods,
    recent: npt.NDArray[np.int64],
    free: npt.NDArray[np.bool_],
    sure: npt.NDArray[np.bool_],
    policy: IncidentPolicy,
) -> npt.NDArray[np.int64]:
    """A group's first members when no fault report has ``min_reports`` within ``similarity``
    (indices into ``recent``, fault reports first; empty when none): the vote's reading of a
    seed. The hour's free reports (fault reports and maybes) whose nearest tickets of the
    window are mostly the hour's free reports, linked through those neighbourhoods; the largest
    linked set holding a fault report, when it has ``min_reports``. An outage told by each
    customer in words of their own has no two reports alike enough to seed, yet each report's
    nearest tickets are the others'; a kind the week brings has the week's tickets for
    neighbours, and a question asked by many this hour the hour's questions (never free
    reports: requests are not among ``recent``)."""
    k = policy.vote_neighbours
    pool = np.flatnonzero(free)
    none = pool[:0]
    if k <= 0 or len(pool) < policy.min_reports or len(around.window) <= k:
        return none
    majority = k // 2 + 1
    # Only a report with a majority's worth of the pool within the gather bar is looked up in
    # the whole window (its nearest tickets are the pool's at best then, and gathered with
    # them): every run asks this once the hour's groups are found, and a quiet hour's scattered
    # reports then cost one comparison among themselves, not each one with the whole window.
    window = around.window
    beside = window.similarity(window.vectors[recent[pool]], recent[pool]) >= policy.gather_at
    asked = beside.sum(axis=1) - 1 >= majority
    if asked.sum() < policy.min_reports:
        return none
    where = np.full(len(window), -1, np.int64)
    where[recent[pool]] = np.arange(len(pool))
    links = np.full((len(pool), k), -1, np.int64)  # each report's neighbours in the pool, or -1
    links[asked] = where[around.of(recent[pool[asked]])]
    held = (links >= 0).sum(axis=1) >= majority
    # Linked sets by union-find over the held reports' links to other held reports.
    parent = np.arange(len(pool))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    for i in np.flatnonzero(held).tolist():
        for j in links[i][links[i] >= 0].tolist():
            if held[j]:
                parent[root(i)] = root(j)
    roots = np.array([root(i) for i in range(len(pool))])
    best = none
    for r in np.unique(roots[held]).tolist():
        members = np.flatnonzero(held & (roots == r))
        if sure[pool[members]].any() and len(members) > len(best):
            best = members
    if len(best) < policy.min_reports:
        return none
    chosen = pool[best]
    ordered: npt.NDArray[np.int64] = chosen[np.argsort(~sure[chosen], kind="stable")]
    return ordered


def among_requests(
    around: Neighbourhoods, rows: npt.NDArray[np.int64], asks: npt.NDArray[np.int64]
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` (window rows) have only the hour's requests (``asks``) for their
    nearest tickets of the window: one of a question asked by many this hour, which stays with
    the questions however close it is to an outage's centre and whatever the head makes of it
    ("the refund was confirmed but my bank shows nothing" beside an outage of pages showing
    nothing). All of them, not most: a report of the outage that mentions what the hour's
    questions ask about ("the order won't go through", beside customers asking to cancel)
    has them for some of its neighbours, and stays."""
    k = around.k
    if k <= 0 or len(rows) == 0 or len(asks) == 0 or len(around.window) <= k:
        return np.zeros(len(rows), np.bool_)
    asking = np.zeros(len(around.window), np.bool_)
    asking[asks] = True
    out: npt.NDArray[np.bool_] = asking[around.of(rows)].sum(axis=1) >= k  # all of them
    return out
