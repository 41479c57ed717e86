"""The one-fault test's week (``what_broke.week_beside``) on plain vectors: every ticket shares
the product's direction; the week brings one everyday complaint ("won't play", direction 1) at a
steady rate, each for a cause of the customer's own (one of five), and an hour of that complaint
forms a core as an outage's reports do. The week tells them apart."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.what_broke import shared_core, week_beside
from ticket_processor.incidents.window import DIMENSIONS, Row, Window

NOW = 1_800_000_000
HOUR = 3600


def _ticket(
    rng: np.random.Generator, about: int, cause: int | None = None
) -> npt.NDArray[np.float32]:
    """The product's direction (0), the ticket's own words (noise), what it is about and the
    customer's own cause, said in fewer words."""
    vector = np.zeros(DIMENSIONS, np.float32)
    vector[0] = 1.0
    vector[about] += 0.8
    if cause is not None:
        vector[cause] += 0.5
    return vector + rng.normal(0.0, 0.01, DIMENSIONS).astype(np.float32)


def _window() -> tuple[Window, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """A week of 200 tickets (one in four the everyday complaint, for one of five causes; the
    rest about one thing each), then an hour of 8 everyday complaints, 8 reports of an outage
    (direction 2) and 10 other tickets. Returns the window and the hour's two groups' rows."""
    rng = np.random.default_rng(7)
    vectors, created = [], []
    for i in range(200):
        complaint = _ticket(rng, 1, 20 + (i // 4) % 5)
        vectors.append(complaint if i % 4 == 0 else _ticket(rng, 30 + i))
        created.append(NOW - 7 * 86400 + i * 3000)
    kinds = [(1, 20 + j % 5) for j in range(8)] + [(2,)] * 8 + [(k,) for k in range(300, 310)]
    for kind in kinds:
        vectors.append(_ticket(rng, *kind))
        created.append(NOW - HOUR + 60 + len(created) % 3000)
    window = Window()
    rows = [Row(i + 1, i + 1, at, "", True) for i, at in enumerate(created)]
    window.add(rows, np.asarray(vectors, np.float32))
    everyday = np.arange(200, 208, dtype=np.int64)
    outage = np.arange(208, 216, dtype=np.int64)
    return window, everyday, outage


def test_a_core_the_week_brings_as_often_is_expected_and_an_outage_is_not() -> None:
    window, everyday, outage = _window()
    policy = IncidentPolicy()
    start = NOW - HOUR
    older = np.flatnonzero(window.created < start).astype(np.int64)
    found = {}
    # The core counts texts: the everyday complaints' five causes (those with one cause are
    # one text in these plain vectors), and the outage's eight customers of its one text.
    for name, group, reports in (("everyday", everyday, 5), ("outage", outage, 8)):
        core = shared_core(window, group, start, policy)
        assert core is not None, name
        assert core.reports == reports, name
        found[name] = week_beside(window, core, group, older, policy)
    # 50 of the week's 200 are the everyday complaint: about 0.3 an hour, none the outage.
    assert found["everyday"].seen == 50
    assert found["outage"].seen == 0
    hours = 7 * 24.0
    assert found["everyday"].expects(hours, 1.0, policy) > 0.25
    assert found["outage"].expects(hours, 1.0, policy) < 0.01
    # The week is dense around each everyday complaint, never around an outage's report.
    assert not found["everyday"].stays.any()
    assert found["outage"].stays.all()


def test_no_member_is_crowded_out_with_the_rank_off() -> None:
    window, everyday, _ = _window()
    policy = IncidentPolicy(shared_rank=0)
    start = NOW - HOUR
    older = np.flatnonzero(window.created < start).astype(np.int64)
    core = shared_core(window, everyday, start, policy)
    assert core is not None
    assert week_beside(window, core, everyday, older, policy).stays.all()
