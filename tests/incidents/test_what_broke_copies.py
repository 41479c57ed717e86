"""The one-fault test (``what_broke.shared_core``) on plain vectors, on a first day: in an hour
of six faults, each sent by six customers in the same words (as ``ticketbot seed`` cycles its
samples), a copy's copies do not vouch for the other faults: the core is one fault's text,
never several; eight customers telling one outage in words of their own are a core."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.what_broke import shared_core, texts
from ticket_processor.incidents.window import DIMENSIONS, Row, Window

NOW = 1_800_000_000
HOUR = 3600


def _ticket(
    rng: np.random.Generator, about: int, own: int | None = None
) -> npt.NDArray[np.float32]:
    """The product's direction (0), what the ticket is about, the customer's own words (``own``,
    or none: a copy of a text) and a little noise."""
    vector = np.zeros(DIMENSIONS, np.float32)
    vector[0] = 1.0
    vector[about] += 0.8
    if own is not None:
        vector[own] += 0.7
    return vector + rng.normal(0.0, 0.01, DIMENSIONS).astype(np.float32)


def _hour() -> tuple[Window, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """An hour: six faults (directions 10-15) sent six times each in the same words, an outage
    (direction 2) told by eight customers in words of their own (directions 50-57), and twenty
    other tickets. Returns the window and the rows of the copies and of the outage."""
    rng = np.random.default_rng(3)
    vectors = [_ticket(rng, 10 + fault) for fault in range(6) for _ in range(6)]
    vectors += [_ticket(rng, 2, 50 + i) for i in range(8)]
    vectors += [_ticket(rng, 100 + i) for i in range(20)]
    window = Window()
    rows = [Row(i + 1, i + 1, NOW - HOUR + 60 + i, "", True) for i in range(len(vectors))]
    window.add(rows, np.asarray(vectors, np.float32))
    return window, np.arange(36, dtype=np.int64), np.arange(36, 44, dtype=np.int64)


def test_copies_of_one_text_are_one_text() -> None:
    window, copies, outage = _hour()
    numbered = texts(window, np.concatenate([copies, outage]), IncidentPolicy())
    assert numbered.tolist() == [f for f in range(6) for _ in range(6)] + list(range(6, 14))


def test_faults_told_in_the_same_words_are_one_faults_core_and_an_outage_is_its_own() -> None:
    window, copies, outage = _hour()
    policy = IncidentPolicy()
    many = shared_core(window, copies, NOW - HOUR, policy, short=True)
    assert many is not None
    assert many.reports == 6  # the six customers of one text
    assert {int(row) // 6 for row in copies[many.kept]} == {0}  # one fault's copies only
    one = shared_core(window, outage, NOW - HOUR, policy, short=True)
    assert one is not None
    assert one.reports == len(outage)
    assert one.kept.all()
