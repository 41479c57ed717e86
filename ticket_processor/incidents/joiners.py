"""Pure: whether a later report stands beside a known incident's own reports.

A report inside a burst joins its group among the hour's other reports of the fault: the group
was seeded by reports within ``similarity`` of one another. A report arriving after the incident
was made has only the incident's centre, and near a centre of many "login fails with error 503"
reports sits any fault told with the same generic words ("the payment page shows error 500":
0.45 to that centre, below 0.5 to every one of its reports). So a joiner must also be within
``similarity`` of ``maybe_support`` of the incident's reports the window still holds, the bar a
maybe meets inside a burst. With none of them left in the window (an incident older than it),
the centre's bar alone stays.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .policy import IncidentPolicy
from .window import Window


def beside_reports(
    window: Window, key: int, rows: npt.NDArray[np.int64], policy: IncidentPolicy
) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` (window rows close to the centre of the incident ``key``) are within
    ``similarity`` of enough of its reports to join it."""
    reports = np.flatnonzero(window.incident == key)
    if len(rows) == 0 or len(reports) == 0:
        return np.ones(len(rows), np.bool_)
    needed = min(max(1, policy.maybe_support), len(reports))
    near = window.similarity(window.vectors[rows], reports) >= policy.similarity
    beside: npt.NDArray[np.bool_] = near.sum(axis=1) >= needed
    return beside
