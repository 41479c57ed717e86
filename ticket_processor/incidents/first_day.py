"""Pure: which of a first day's tickets the fault head is sure enough of to group.

With a week, a member of a group is tested against the week (``grouping._other_kind``,
``what_broke.week_beside``): a product's everyday complaints are there to compare with. On a
first day only the hour is, and a product's one-off complaints lie close to an outage of that
product in the encoder's space: "my ride stopped by itself and I had to pay the unlock fee
again" beside "unlock failed on every bike", "one playlist vanished, can you get it back?"
beside "no song plays". Those the head calls fault reports only just (below
``first_day_fault``) read as much as a request as a report, and on a first day they are taken
for requests: a request suggested as an outage's report is the worse mistake there, and an
outage's reports say plainly that something broke. An LLM's view that the ticket reports a
fault settles the head's doubt (the same question, asked of a reader of the text).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .fault import FaultHead
from .policy import IncidentPolicy


def by_head_on_day(
    chance: npt.NDArray[np.float32],
    views: npt.NDArray[np.int8],
    fault: FaultHead | None,
    policy: IncidentPolicy,
    short: bool,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Which rows the head calls fault reports (``chance``: its probabilities, at or above its
    threshold; every row without a head) and which of those it doubts on a first day
    (``short``: below ``first_day_fault``, where the LLM gave no view that it is a fault:
    ``views``), the doubted ones taken out of the first."""
    threshold = fault.threshold if fault is not None else 0.0
    doubt = np.zeros(len(chance), np.bool_)
    if short and fault is not None:
        doubt = (chance >= threshold) & (chance < policy.first_day_fault) & (views <= 0)
    is_fault: npt.NDArray[np.bool_] = (chance >= threshold) & ~doubt
    return is_fault, doubt
