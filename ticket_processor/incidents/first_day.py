"""Pure: which of a first day's incident's reports are marked as its reports.

With a week, a member of a group is tested against the week (``grouping._other_kind``,
``what_broke.week_beside``): a product's everyday complaints are there to compare with. On a
first day only the hour is, and a product's one-off complaints lie close to an outage of that
product in the encoder's space: "my ride stopped by itself and I had to pay the unlock fee
again" beside "unlock failed on every bike", "one playlist vanished, can you get it back?"
beside "no song plays". Whether the hour holds an outage is judged on the whole group, as
before; which of its tickets are marked as the outage's reports (``marked``) asks more: a
member the fault head is not sure reports a fault (below ``first_day_fault``: it reads as much
as a request as a report) and that few of the group's reports stand close to (fewer than
``first_day_neighbours`` within ``similarity``) is left unmarked. An outage told in questions
("is the tracking page down?") scores low throughout, but each of its reports has many others
of it close by; a one-off complaint has few. A request suggested as an outage's report is the
worse mistake on a first day. An LLM's view that the ticket reports a fault settles the head's
doubt (the same question, asked of a reader of the text).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from .fault import FaultHead
from .policy import IncidentPolicy
from .window import Window


def marked(
    window: Window,
    rows: list[int],
    fault: FaultHead | None,
    policy: IncidentPolicy,
    short: bool,
) -> list[int]:
    """The incident's ``rows`` (window rows) marked as its reports: on a first day
    (``short``), those not ``doubted``; every one with a week or without a head, and every one
    where fewer than ``min_reports`` would be left (no outage's reports to stand beside)."""
    if not short or fault is None or len(rows) == 0:
        return rows
    out = doubted(window, rows, fault, policy)
    kept = [r for r, doubt in zip(rows, out, strict=True) if not doubt]
    return kept if len(kept) >= policy.min_reports else rows


def doubted(
    window: Window, rows: Sequence[int], fault: FaultHead, policy: IncidentPolicy
) -> npt.NDArray[np.bool_]:
    """Which of an incident's ``rows`` are left unmarked on a first day: below
    ``first_day_fault`` by the head, with fewer than ``first_day_neighbours`` others of the
    group within ``similarity``, and no view of the LLM that it is a fault."""
    picked = np.asarray(rows, np.int64)
    unsure = fault.probability(window.vectors, picked) < policy.first_day_fault
    near = window.similarity(window.vectors[picked], picked) >= policy.similarity
    np.fill_diagonal(near, False)
    alone = near.sum(axis=1) < policy.first_day_neighbours
    out: npt.NDArray[np.bool_] = unsure & alone & (window.views[picked] <= 0)
    return out
