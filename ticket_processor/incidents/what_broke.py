"""Pure: whether a group of reports is one fault or many complaints about one product.

Where every ticket is about one product (a thermostat, a smart lock, a music service), its
customers' one-off complaints (a flickering display, a battery warning, a grinding motor) sit
close together in the encoder's space: what they share is the product, which every ticket of
the helpdesk names. The reports of one outage share more: what broke. So the group's vectors
are read with the product's common ground taken out (``apart``: the mean of the helpdesk's
other tickets subtracted, the rest made unit length again, as a term every document holds says
nothing in a term weighting), and the group must have a core there (``shared_core``): at least
``min_reports`` reports with ``shared_neighbours`` others of the group within
``shared_similarity``, counted as texts rather than copies (``texts``: reports as alike as
``merge_at``, where two tickets are one said twice, count once), or one text sent by
``min_reports`` customers (one fault, whose copies alone stay). Its members are then those within
``shared_gather`` of that core's centre (``shared_gather_short`` on a first day, where no week
tests them): a report in another language or in three words is still near the core's centre in
the encoder's space, an unrelated complaint about the product is not.

A product's everyday complaints can share more than the product, though ("won't play" for a VPN,
a download that expired, a film abroad), and form a core too. With a week of history the week is
their yardstick, read the same way (``week_beside``): a core the week brings about as often in
such an hour is the product's everyday, and a member the week is dense around is one of those
complaints beside an outage, not a report of it.

The vectors are the window's, the ones every other test reads: no second encoder pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .policy import ROUNDING, IncidentPolicy
from .window import Window, quantise

# Fewer tickets than this outside the group say too little of what the product's tickets share:
# the test is skipped (the other tests still hold).
MIN_BACKGROUND = 10


def background(
    window: Window, group: npt.NDArray[np.int64], start: int, policy: IncidentPolicy
) -> npt.NDArray[np.int64]:
    """The helpdesk's other tickets: the latest ``shared_background`` of the window before the
    hour and the hour's tickets outside the group, of any kind (the requests name the product
    too). On a first day the hour alone gives them."""
    earlier = np.flatnonzero(window.created < start)
    if len(earlier) > policy.shared_background:
        latest = np.argsort(window.created[earlier], kind="stable")[-policy.shared_background :]
        earlier = earlier[latest]
    hour = np.setdiff1d(np.flatnonzero(window.created >= start), group)
    return np.concatenate([earlier, hour]).astype(np.int64)


def common_ground(window: Window, others: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
    """The mean of ``others`` as unit vectors: what every ticket of the helpdesk shares."""
    common = np.zeros(window.vectors.shape[1], np.float32)
    for at in range(0, len(others), 4096):  # a large window's mean without a float copy of it
        chunk = window.vectors[others[at : at + 4096]].astype(np.float32)
        common += (chunk / np.maximum(np.linalg.norm(chunk, axis=1, keepdims=True), 1e-6)).sum(0)
    common /= max(len(others), 1)
    return common


def apart(
    window: Window, rows: npt.NDArray[np.int64], common: npt.NDArray[np.float32]
) -> npt.NDArray[np.float32]:
    """The unit vectors of ``rows`` with ``common`` (``common_ground``) taken out."""
    vectors = window.vectors[rows].astype(np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
    vectors -= common
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-6)
    return vectors


@dataclass(frozen=True)
class SharedCore:
    """What a group shares with the product's common ground taken out: how many texts its
    core holds (``reports``; copies of one text count once, ``texts``; for a core of one text,
    the customers who sent it), which members stay
    beside it (``kept``), the core's centre and the common ground taken out (``apart``), for
    the week to be measured the same way."""

    reports: int
    kept: npt.NDArray[np.bool_]
    centre: npt.NDArray[np.float32]
    common: npt.NDArray[np.float32]


def shared_core(
    window: Window,
    group: npt.NDArray[np.int64],
    start: int,
    policy: IncidentPolicy,
    short: bool = False,
) -> SharedCore | None:
    """How many of the group's reports share what broke (the core, with the product's common
    ground taken out), and which members stay beside that core (within ``shared_gather`` of
    its centre; ``shared_gather_short`` with less than a week of history). ``None`` when the
    helpdesk has too few other tickets to say what its product's tickets share: the group is
    judged as before. A core under ``min_reports`` (``_core``) is many complaints, not one
    fault: no member stays."""
    others = background(window, group, start, policy)
    if policy.shared_neighbours <= 0 or len(others) < MIN_BACKGROUND:
        return None
    common = common_ground(window, others)
    vectors = apart(window, group, common)
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -1.0)
    text = texts(window, group, policy)
    core, reports = _core(window, group, text, sims, policy)
    if reports < policy.min_reports:
        none = np.zeros(len(group), np.bool_)
        return SharedCore(reports, none, np.zeros_like(common), common)
    centre = vectors[core].mean(axis=0)
    centre /= max(float(np.linalg.norm(centre)), 1e-6)
    # With a week, the other-kind tests (``grouping._other_kind``) already keep out what the
    # week brings anyway; on a first day this is the only test of a member, and asks more.
    gather = policy.shared_gather_short if short else policy.shared_gather
    kept: npt.NDArray[np.bool_] = vectors @ centre >= gather
    if len(np.unique(text[core])) == 1:
        # One text's copies lie at one point: a core with no spread says nothing of how far
        # its fault's other reports lie, and the radius around it took other faults' texts
        # (the seed's samples, after a week). Its copies stay, the rest leave.
        kept = core
    return SharedCore(reports, kept, centre, common)


def _core(
    window: Window,
    group: npt.NDArray[np.int64],
    text: npt.NDArray[np.int64],
    sims: npt.NDArray[np.float32],
    policy: IncidentPolicy,
) -> tuple[npt.NDArray[np.bool_], int]:
    """The group's core (``sims``: its reports' similarities with the common ground taken out,
    the diagonal below any bar) and how many it holds: the reports near ``shared_neighbours``
    other texts (``texts``), counted as texts; or, where those are too few, the text the most
    customers sent, when at least ``min_reports`` did (its copies say the same: one fault),
    counted as its customers."""
    count = int(text.max()) + 1
    # How many reports of each text each report is near, its own text left out: a report's
    # copies are not others beside it.
    onehot = np.zeros((len(group), count), np.int32)
    onehot[np.arange(len(group)), text] = 1
    near = (sims >= policy.shared_similarity).astype(np.int32) @ onehot
    near[np.arange(len(group)), text] = 0
    # A group of just ``min_reports`` has fewer others than that: each beside all the rest.
    needed = min(policy.shared_neighbours, count - 1)
    core: npt.NDArray[np.bool_] = (near > 0).sum(axis=1) >= needed
    reports = len(np.unique(text[core]))
    if reports >= policy.min_reports:
        return core, reports
    senders = [len(np.unique(window.requesters[group[text == t]])) for t in range(count)]
    most = int(np.argmax(senders))
    if senders[most] < policy.min_reports:
        return core, reports
    return text == most, senders[most]


def texts(
    window: Window, group: npt.NDArray[np.int64], policy: IncidentPolicy
) -> npt.NDArray[np.int64]:
    """Which text each of the group's reports is (numbered from 0): reports as alike as
    ``merge_at`` (where ticketbot takes two tickets for one said twice), directly or through
    others, are one text.

    The core test counts the reports near each report, and a text several customers send
    (a template, a forwarded mail, the sample tickets ``seed`` cycles) brings each copy its
    copies as neighbours: an hour of many faults, each told a few times over, made a core of
    all of them, whose centre is none of them and gathered half the hour. The reports of one
    outage are told in words of their own, far below ``merge_at`` of each other, so counting
    each text once leaves them as they were."""
    same = window.similarity(window.vectors[group], group) >= policy.merge_at
    np.fill_diagonal(same, True)
    label = np.arange(len(group))
    while True:  # each report takes the lowest label among those it is the same text as
        spread = np.where(same, label[None, :], len(group)).min(axis=1)
        if np.array_equal(spread, label):
            break
        label = spread
    numbered: npt.NDArray[np.int64] = np.unique(label, return_inverse=True)[1].astype(np.int64)
    return numbered


@dataclass(frozen=True)
class WeekBeside:
    """The group's core against the window's earlier reports, read as the core was (``apart``):
    how many lie within ``shared_gather`` of its centre (``seen``), and which members stay
    beside the core (``stays``: of those it kept, the ones with fewer than ``shared_rank`` of
    them closer than the core's centre is)."""

    seen: int
    stays: npt.NDArray[np.bool_]

    def expects(self, hours: float, busy: float, policy: IncidentPolicy) -> float:
        """The reports of the core's kind an hour as busy as this one brings, at the window's
        rate (plus one half, as the group's kind is counted)."""
        return (self.seen + 0.5) / hours * (policy.burst_seconds / 3600.0) * busy


def week_beside(
    window: Window,
    shared: SharedCore,
    group: npt.NDArray[np.int64],
    older: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> WeekBeside:
    """The week as the yardstick of what the core says broke (``group``: its rows, in the order
    of ``shared.kept``; ``older``: the window's earlier reports, those in an incident left
    out). One product's everyday complaints (a film that will not play on one TV, a download
    that expired) come every hour and form a core as an outage does: a core the week brings as
    often is the product's everyday, not a fault of this hour. And a member the week holds
    several tickets more like than the core is (where the week is dense around it) is one of
    those everyday complaints beside the outage, not a report of it."""
    plain = older[window.incident[older] == 0]
    vectors = apart(window, group, shared.common)
    to_centre = vectors @ shared.centre
    seen, closer = 0, np.zeros(len(group), np.int64)
    for at in range(0, len(plain), 4096):  # a large window in slices: memory stays flat
        week = apart(window, plain[at : at + 4096], shared.common)
        seen += int((week @ shared.centre >= policy.shared_gather).sum())
        closer += (vectors @ week.T > to_centre[:, None] + ROUNDING).sum(axis=1)
    crowded = closer >= policy.shared_rank if policy.shared_rank > 0 else closer < 0
    return WeekBeside(seen, shared.kept & ~crowded)


def beside_core(
    window: Window,
    members: npt.NDArray[np.int64],
    gathered: npt.NDArray[np.int64],
    shared: SharedCore | None,
    older: npt.NDArray[np.int64],
    short: bool,
    policy: IncidentPolicy,
) -> tuple[npt.NDArray[np.int64], WeekBeside | None]:
    """The members (indices into the hour's rows; ``gathered``: their window rows, as
    ``shared`` read them) that stay beside the group's core, and with a week, the core against
    the week (``week_beside``). Where none would stay, the group stays whole: its reading says
    it is no incident."""
    if shared is None or not shared.kept.any():
        return members, None
    week = None if short else week_beside(window, shared, gathered, older, policy)
    stays = week.stays if week is not None and week.stays.any() else shared.kept
    return members[stays], week


def near_core(
    window: Window,
    recent: npt.NDArray[np.int64],
    members: npt.NDArray[np.int64],
    policy: IncidentPolicy,
) -> npt.NDArray[np.int64]:
    """With no week to test members against (``_other_kind``), the members of a group with a
    core (``one_fault``) that are far from the core's centre: another fault's report gathered by
    the centre of everything the group holds, not by what its core says broke."""
    core = one_fault(window, [int(r) for r in recent[members]], policy)
    if core.sum() < policy.min_reports:
        return members
    centre = quantise(window.vectors[recent[members[core]]].astype(np.float32).mean(axis=0)[None])
    kept: npt.NDArray[np.int64] = members[
        window.similarity(centre, recent[members])[0] >= policy.core_gather
    ]
    return kept


def one_fault(window: Window, rows: Sequence[int], policy: IncidentPolicy) -> npt.NDArray[np.bool_]:
    """Which of the group's reports have ``core_neighbours`` others of the group within
    ``similarity``. The reports of one outage say what broke in words near each other's, so
    many of them have several close; unrelated "it does not work" tickets (a brake, a light,
    a chain) gathered around the centre of what they have in common have few. With a week of
    history the other-kind tests tell those apart against the week; without one, this does."""
    if len(rows) <= policy.core_neighbours:
        return np.zeros(len(rows), np.bool_)
    picked = np.asarray(rows, np.int64)
    sims = window.similarity(window.vectors[picked], picked)
    np.fill_diagonal(sims, -1.0)
    core: npt.NDArray[np.bool_] = (sims >= policy.similarity).sum(axis=1) >= policy.core_neighbours
    return core
