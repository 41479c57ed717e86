"""The grouping's rule on plain data: a burst well above its kind's busy-adjusted baseline is
an incident, a busy hour of a common question is not; repeats are the same requester's open
earlier ticket about the same thing; the window keeps its size bound and survives a damaged
file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from support.word_encoder import encode

from ticket_processor.common.baseline import poisson_tail
from ticket_processor.incidents.fault import FaultHead
from ticket_processor.incidents.grouping import Known, judge, repeats
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.vote import nearest
from ticket_processor.incidents.window import (
    FILE_NAME,
    Row,
    Window,
    load_window,
    quantise,
    save_window,
)

NOW = 1_800_000_000
HOUR = 3600
POLICY = IncidentPolicy(similarity=0.6, repeat_similarity=0.6)


def _window(rows: list[tuple[int, int, str, bool]]) -> Window:
    """rows: (requester, seconds before NOW, text, open)."""
    window = Window()
    window.add(
        [Row(i + 1, r, NOW - ago, "x", is_open) for i, (r, ago, _, is_open) in enumerate(rows)],
        encode([text for _, _, text, _ in rows]),
    )
    window.baseline_from = NOW - 7 * 86400
    return window


def _week(cancel_share: int = 10) -> list[tuple[int, int, str, bool]]:
    """A steady week: 600 tickets, one in ``cancel_share`` a cancellation question."""
    rows = []
    for i in range(600):
        ago = 2 * HOUR + (i * 997) % (7 * 86400 - 3 * HOUR)
        if i % cancel_share == 0:
            text = "how do i cancel my order please"
        else:
            text = f"w{i}a w{i}b w{i}c w{i % 37}d"  # ordinary: each about its own thing
        rows.append((10_000 + i, ago, text, False))
    return rows


def test_an_outage_is_an_incident_and_a_busy_hour_of_questions_is_not() -> None:
    rows = _week()
    rows += [
        (i, 60 + i, "checkout error 502 upstream unavailable when i pay", True) for i in range(25)
    ]
    rows += [(100 + i, 90 + i, "how do i cancel my order please", True) for i in range(20)]
    rows += [(200 + i, 120 + i, f"r{i}a r{i}b r{i}c", True) for i in range(30)]
    window = _window(rows)
    findings = judge(window, NOW, POLICY)
    [burst] = findings.bursts
    assert {int(window.ids[r]) for r in burst.rows} == set(range(601, 626))
    cancel = [r for r in findings.readings if r.reports == 20]
    assert cancel
    assert not cancel[0].incident  # busy: its rate scaled with the hour's volume
    assert cancel[0].expected > 20 / POLICY.rate_factor


def test_one_customer_writing_many_times_is_not_an_outage() -> None:
    rows = _week() + [(7, 60 + i, "checkout error 502 upstream", True) for i in range(25)]
    assert judge(_window(rows), NOW, POLICY).bursts == []


def test_a_known_incident_takes_its_later_reports() -> None:
    rows = _week() + [
        (i, 60 + i, "checkout error 502 upstream unavailable", True) for i in range(3)
    ]
    window = _window(rows)
    centre = window.vectors[600]
    findings = judge(window, NOW, POLICY, [Known(42, centre)])
    assert sorted(findings.joins[42]) == [600, 601, 602]
    assert findings.bursts == []


def test_repeats_are_the_same_requesters_open_ticket_about_the_same_thing() -> None:
    rows = _week()
    rows += [
        (1, 86400, "refund for my returned jacket order 123456", True),
        (1, 100, "still no refund for my returned jacket order 123456", True),
        (2, 86400, "do you ship to norway", True),
        (2, 100, "my discount code spring10 is refused", True),
        (3, 86400, "password reset email never arrives", False),  # solved since
        (3, 100, "password reset email never arrives still", True),
    ]
    window = _window(rows)
    new = [601, 603, 605]
    found = repeats(window, new, POLICY)
    assert [(r.row, r.earlier) for r in found] == [(601, 600)]


def test_poisson_tail() -> None:
    assert poisson_tail(0, 3.0) == 1.0
    assert abs(poisson_tail(1, 2.0) - (1 - np.exp(-2.0))) < 1e-12
    assert poisson_tail(25, 0.07) < 1e-30


def test_the_window_is_bounded_saved_whole_and_a_damaged_one_set_aside(tmp_path: Path) -> None:
    window = _window(_week())
    before = {int(t): window.vectors[i].copy() for i, t in enumerate(window.ids)}
    assert window.prune(NOW, 7 * 86400, max_records=100) == 500
    for i, ticket_id in enumerate(window.ids):  # compacted in place, each row its own vector
        assert np.array_equal(window.vectors[i], before[int(ticket_id)])
    assert len(window) == 100
    assert window.created.min() >= np.sort(np.array([NOW - r[1] for r in _week()]))[-100]
    save_window(tmp_path, window)
    loaded, why = load_window(tmp_path)
    assert why is None
    assert loaded is not None
    assert loaded.ids.tolist() == window.ids.tolist()
    assert np.array_equal(loaded.vectors, window.vectors)
    loaded.add([Row(9999, 1, NOW, "x", True)], encode(["one more"]))  # room to grow
    assert len(loaded) == len(loaded.vectors) == 101
    assert [p.name for p in tmp_path.iterdir()] == [FILE_NAME]  # no temp file left behind
    (tmp_path / FILE_NAME).write_bytes(b"not a zip")
    again, why = load_window(tmp_path)
    assert again is None
    assert why is not None
    assert "set aside" in why
    assert any(p.name.startswith(f"{FILE_NAME}.bad-") for p in tmp_path.iterdir())


def test_a_ticket_seen_twice_keeps_one_row() -> None:
    window = Window()
    vectors = encode(["first words", "other words", "first words again"])
    window.add(
        [Row(1, 1, NOW, "a", True), Row(2, 2, NOW, "b", True), Row(1, 1, NOW, "c", False)], vectors
    )
    window.add([Row(2, 2, NOW, "d", False)], vectors[:1])
    assert window.ids.tolist() == [2, 1]
    assert [window.category(i) for i in range(2)] == ["d", "c"]
    assert window.open.tolist() == [False, False]


def test_quantised_cosine_is_close_to_the_real_one() -> None:
    vectors = encode(["checkout error 502", "checkout error 502 again", "cancel my order"])
    window = Window()
    window.add([Row(i, i, NOW, "x", True) for i in range(3)], vectors)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    real = unit @ unit.T
    assert np.abs(window.similarity(window.vectors) - real).max() < 0.02


def test_a_report_the_head_doubts_never_seeds_and_joins_a_known_incident_only_close_by() -> None:
    """With a head that doubts every ticket (a probability of 0.3: a maybe), 25 identical
    reports form no incident, and a known incident takes only those within ``similarity`` of
    its centre (a sure report would join at ``gather_similarity``)."""
    doubting = FaultHead(np.zeros(512, np.float32), float(np.log(0.3 / 0.7)))
    same = [(i, 60 + i, "checkout error 502 upstream unavailable", True) for i in range(25)]
    assert judge(_window(_week() + same), NOW, POLICY, fault=doubting).bursts == []
    window = _window(
        [
            *_week(),
            (1, 60, "checkout error 502 upstream unavailable", True),
            (2, 61, "checkout error 502 upstream unavailable again", True),
            (3, 62, "checkout error 502 slow page shown", True),  # about 0.45 to the centre
        ]
    )
    centre = window.vectors[600]
    near = window.similarity(centre[None, :], np.arange(600, 603))[0]
    assert near[2] < POLICY.similarity <= near[1]
    assert near[2] >= POLICY.gather_at
    assert judge(window, NOW, POLICY, [Known(42, centre)], doubting).joins[42] == [600, 601]
    sure = FaultHead(np.zeros(512, np.float32), float(np.log(0.9 / 0.1)))
    assert judge(window, NOW, POLICY, [Known(42, centre)], sure).joins[42] == [600, 601, 602]


def _stragglers_hour(outage: int, stragglers: int) -> list[tuple[int, int, str, bool]]:
    """A week in which one ticket in five is a password-reset mail that never came, then an
    hour of ``outage`` reports of it in words of their own, ``stragglers`` more in the week's
    words (more like last week's tickets than like the outage: they stay out of its group)
    and three ordinary tickets, about a normal hour's worth."""
    rows = []
    for i in range(600):
        ago = 2 * HOUR + (i * 997) % (7 * 86400 - 3 * HOUR)
        text = "password reset email never arrives" if i % 5 == 0 else f"w{i}a w{i}b w{i}c"
        rows.append((10_000 + i, ago, text, False))
    outage_words = "password reset email never arrives today again outage"
    rows += [(i, 60 + i, outage_words, True) for i in range(outage)]
    week_words = "password reset email never arrives"
    rows += [(100 + i, 90 + i, week_words, True) for i in range(stragglers)]
    rows += [(200 + i, 120 + i, f"r{i}a r{i}b r{i}c", True) for i in range(3)]
    return rows


def test_an_outages_reports_outside_its_group_do_not_make_the_hour_look_busy() -> None:
    """Busyness leaves the group's kind out of the hour as the baseline leaves it out of the
    week: the six reports that stayed out of the group are the outage, not six other tickets
    that would make its twelve look like a busy hour's share of a common kind."""
    window = _window(_stragglers_hour(12, 6))
    findings = judge(window, NOW, POLICY)
    [burst] = findings.bursts
    assert sorted(burst.rows) == list(range(600, 612))
    assert burst.reading.busy < 1.1  # the hour's three ordinary tickets are a normal hour's
    assert burst.reading.kind_in_window == 120


def test_a_group_of_an_outages_leftovers_is_measured_against_the_outage() -> None:
    """Ten reports left out of a twenty-report outage group among themselves: the outage the
    hour holds counts as the hour's volume for them, as it always did, and they are not a
    second incident of the same fault."""
    window = _window(_stragglers_hour(20, 10))
    findings = judge(window, NOW, POLICY)
    [burst] = findings.bursts
    assert sorted(burst.rows) == list(range(600, 620))
    [leftovers] = [r for r in findings.readings if r.reports == 10]
    assert not leftovers.incident


def test_an_outage_still_makes_the_hour_busy_for_a_neighbouring_problems_handful() -> None:
    """Only the group's own kind leaves the hour's count: beside a 25-report outage, five
    tickets of a problem the week brings (one in thirty) are measured against an hour the
    outage made busy, and stay a handful, not a second incident (counting the hour without
    its other groups made them one)."""
    everything_a_fault = FaultHead(np.zeros(512, np.float32), 10.0)
    rows = []
    for i in range(600):
        ago = 2 * HOUR + (i * 997) % (7 * 86400 - 3 * HOUR)
        text = "app logs me out every time" if i % 30 == 0 else f"w{i}a w{i}b w{i}c"
        rows.append((10_000 + i, ago, text, False))
    rows += [(i, 60 + i, "checkout error 502 upstream unavailable", True) for i in range(25)]
    rows += [(100 + i, 90 + i, "app logs me out every time", True) for i in range(5)]
    rows += [(200 + i, 120 + i, f"r{i}a r{i}b r{i}c", True) for i in range(3)]
    findings = judge(_window(rows), NOW, POLICY, fault=everything_a_fault)
    [burst] = findings.bursts
    assert sorted(burst.rows) == list(range(600, 625))
    [handful] = [r for r in findings.readings if r.reports == 5]
    assert not handful.incident
    assert handful.busy > 5


def test_reports_whose_nearest_tickets_are_the_outages_join_it_far_from_its_reports() -> None:
    """A report of the outage in words of its own sits further than ``gather_similarity`` from
    the group's centre, and a report the head doubts (a maybe) is not within ``similarity`` of
    3 of its reports; but the nearest tickets of either in the window are the outage's
    reports: both join by the vote of their neighbourhood. A report that shares words with the
    outage but whose nearest tickets are the week's (a parcel whose tracking stopped) stays
    out."""
    rows = []
    for i in range(600):
        ago = 2 * HOUR + (i * 997) % (7 * 86400 - 3 * HOUR)
        text = "parcel tracking page not updated" if i % 20 == 0 else f"w{i}a w{i}b w{i}c"
        rows.append((10_000 + i, ago, text, False))
    outage = "checkout error 502 upstream unavailable"
    # Each customer with a word of their own: copies of one text are one text to the one-fault
    # test (``what_broke.texts``), as the seed's samples sent by five customers are.
    rows += [
        (i, 60 + i, f"{outage} {('pay', 'basket', 'card')[i % 3]} o{i}", True) for i in range(20)
    ]
    rows += [
        (50, 100, "checkout error page spinning forever since noon", True),
        (51, 101, "parcel tracking page not updated checkout error", True),
        (52, 102, "checkout error 502 huh nothing loads", True),
    ]
    rows += [(200 + i, 120 + i, f"r{i}a r{i}b r{i}c", True) for i in range(3)]
    window = _window(rows)
    own_words, parcel, doubted = 620, 621, 622
    # A head sure of every ticket (0.9) but the one saying "huh" (0.3: a maybe).
    weights = np.zeros(512, np.float32)
    huh = encode(["huh"])[0].argmax()
    unit = window.vectors[doubted].astype(np.float32) / 127.0
    weights[huh] = (np.log(0.3 / 0.7) - np.log(0.9 / 0.1)) / unit[huh]
    head = FaultHead(weights, float(np.log(0.9 / 0.1)))
    chance = head.probability(window.vectors, np.array([600, own_words, parcel, doubted]))
    assert chance[:3].min() > 0.85
    assert POLICY.maybe_fault <= chance[3] < 0.5
    centre = quantise(window.vectors[600:620].astype(np.float32).mean(axis=0, keepdims=True))
    to_centre = window.similarity(centre, np.array([own_words, parcel]))[0]
    assert (to_centre < POLICY.gather_at).all()
    to_reports = window.similarity(window.vectors[doubted : doubted + 1], np.arange(600, 620))
    assert (to_reports < POLICY.similarity).all()
    [burst] = judge(window, NOW, POLICY, fault=head).bursts
    assert parcel not in burst.rows
    assert sorted(burst.rows) == [*range(600, 620), own_words, doubted]
    [before] = judge(window, NOW, replace(POLICY, vote_neighbours=0), fault=head).bursts
    assert sorted(before.rows) == list(range(600, 620))


def _told_apart_hour() -> list[tuple[int, int, str, bool]]:
    """An outage of 20 reports each told in words of its own: any two share 2 of their 5
    words (cosine 0.4, below ``similarity`` but for a few the encoder's hashing brings
    closer), and each shares nothing with the week's tickets
    or the hour's others (each made of two of the week's)."""
    rows = []
    for i in range(600):
        ago = 2 * HOUR + (i * 997) % (7 * 86400 - 3 * HOUR)
        rows.append((10_000 + i, ago, f"w{i}a w{i}b w{i}c", False))
    rows += [(i, 60 + i, f"orders empty o{i}a o{i}b o{i}c", True) for i in range(20)]
    rows += [(200 + i, 120 + i, f"w{i}a w{i}b w{i + 300}a w{i + 300}b", True) for i in range(10)]
    return rows


def test_reports_each_in_words_of_their_own_seed_a_group_by_their_neighbours() -> None:
    """No report has enough of the outage's others within ``similarity`` to seed a group
    by distance; but each report's nearest tickets of the window are the outage's other
    reports, and that neighbourhood seeds it. The hour's other tickets, whose nearest tickets
    are the week's, stay out; without the vote (``vote_neighbours`` 0) nothing forms."""
    window = _window(_told_apart_hour())
    outage = np.arange(600, 620)
    close = (window.similarity(window.vectors[outage], outage) >= POLICY.similarity).sum(axis=1)
    assert (close < POLICY.min_reports).all()  # itself and at most 3 others
    [burst] = judge(window, NOW, POLICY).bursts
    assert sorted(burst.rows) == outage.tolist()
    assert judge(window, NOW, replace(POLICY, vote_neighbours=0)).bursts == []


def test_a_report_whose_nearest_tickets_are_the_hours_requests_stays_with_them() -> None:
    """A customer asking about a refund in words close to an outage's ("refund return item
    orders empty"), which the head calls a fault report, sits within the gather bar of
    the outage's centre; but all its nearest tickets of the window are the hour's refund
    requests (the head's requests, below ``maybe_fault``): it is one of them, and is not linked
    into the outage (where it would be closed unanswered with it)."""
    rows = _told_apart_hour()
    rows[600:620] = [(i, 60 + i, f"orders empty page blank o{i}", True) for i in range(20)]
    rows += [(300 + i, 150 + i, f"please refund return item q{i}", True) for i in range(20)]
    rows += [(400, 200, "refund return item orders empty", True)]
    window = _window(rows)
    question = len(rows) - 1
    # A head sure of every ticket (0.9) but the ones saying "please" (requests, below 0.2).
    weights = np.zeros(512, np.float32)
    please = encode(["please"])[0].argmax()
    unit = window.vectors[640].astype(np.float32) / 127.0
    weights[please] = (np.log(0.1 / 0.9) - np.log(0.9 / 0.1)) / unit[please]
    head = FaultHead(weights, float(np.log(0.9 / 0.1)))
    chance = head.probability(window.vectors, np.array([600, 640, question]))
    assert chance[0] > 0.85
    assert chance[1] < POLICY.maybe_fault
    assert chance[2] > 0.85
    centre = quantise(window.vectors[600:620].astype(np.float32).mean(axis=0, keepdims=True))
    assert window.similarity(centre, np.array([question]))[0][0] >= POLICY.gather_at
    assert sorted(nearest(window, np.array([question]), 3)[0]) == [647, 648, 649]
    [burst] = judge(window, NOW, POLICY, fault=head).bursts
    assert sorted(burst.rows) == list(range(600, 620))


def test_the_nearest_tickets_among_copies_are_the_latest_on_every_machine() -> None:
    """Copies of one text tie in distance; numpy's ``argpartition`` left the tie to its
    selection algorithm, which it picks by the processor. The tie goes to the tickets added
    last, wherever it runs."""
    rows = [(10_000 + i, 7200 + i, "password reset email never arrives", False) for i in range(40)]
    window = _window([*rows, (1, 60, "password reset email never arrives", True)])
    [found] = nearest(window, np.array([40]), 5)
    assert sorted(found.tolist()) == [35, 36, 37, 38, 39]
