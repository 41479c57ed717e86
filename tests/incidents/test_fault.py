"""Faults, not requests: the fault head on the real encoder's vectors tells a report of
something broken from a request, in several languages and in few words, and the grouping
takes only the faults, so a burst of requests is never an incident however rare its kind;
the head's file is plain numbers, and a damaged one is refused."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from support.incident_dev_hours import write_dev_hour
from support.incident_hours import hour

from ticket_processor.errors import ConfigError
from ticket_processor.incidents.fault import FaultHead, load_fault_head
from ticket_processor.incidents.grouping import judge
from ticket_processor.incidents.labelled import predict, read_labelled, score
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import Row, Window
from ticket_processor.learned.embed import Encoder

FAULTS = [
    "checkout broken??\n",
    "Zahlung geht nicht\n",
    "Le site plante\nImpossible de payer, la page affiche une erreur.",
    "Error 500\nThe order page gives error 500 since this morning.",
    "app keeps crashing\n",
]
REQUESTS = [
    "How do I cancel my order?\nI ordered by mistake.",
    "Refund for my return\nI sent the shoes back last week, when do I get my money?",
    "Lieferadresse ändern\nKann ich die Adresse noch ändern?",
    "Can you explain my invoice?\nWhat is the second line?",
    "¿Puedo cambiar la talla?\n",
]


def test_the_head_tells_faults_from_requests_in_several_languages() -> None:
    head = load_fault_head()
    vectors = np.asarray(Encoder().encode(FAULTS + REQUESTS), np.float32)
    said = head.is_fault(vectors).tolist()
    assert said == [True] * len(FAULTS) + [False] * len(REQUESTS)


REPO = Path(__file__).parents[2]


def test_the_shipped_head_is_fitted_on_the_shipped_examples() -> None:
    examples = REPO / "tests" / "data" / "fault_examples.jsonl"
    assert load_fault_head().examples_sha256 == hashlib.sha256(examples.read_bytes()).hexdigest(), (
        "fault_examples.jsonl changed: rebuild the head with "
        "python -m scripts.figures train_fault_head"
    )


@pytest.mark.slow
def test_the_script_rebuilds_the_shipped_head() -> None:
    """The weights too, not only the rows' fingerprint: refitted on the same rows, the head is
    the shipped one (a hand-edited file, or one fitted on other rows, fails)."""
    done = subprocess.run(
        [sys.executable, "-m", "scripts.figures", "train_fault_head", "--check"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_head_file_is_plain_numbers_and_a_damaged_one_is_refused(tmp_path: Path) -> None:
    head = load_fault_head()
    again = FaultHead.from_json(head.to_json())
    vectors = np.random.default_rng(1).normal(size=(4, 512)).astype(np.float32)
    assert np.allclose(again.probability(vectors), head.probability(vectors), atol=1e-5)
    short = tmp_path / "short.json"
    short.write_text(json.dumps({"version": 1, "bias": 0, "threshold": 0.5, "weights": [1.0]}))
    with pytest.raises(ConfigError, match="512 weights"):
        load_fault_head(short)
    pickled = tmp_path / "pickled.json"
    pickled.write_bytes(b"\x80\x04\x95")
    with pytest.raises(ConfigError, match="unreadable"):
        load_fault_head(pickled)


def _judged(burst: str, fault: bool) -> Counter[str]:
    """The hour's tickets an incident took, by label (a week of 150 ordinary tickets)."""
    now = int(time.time())
    specs = hour(150, now=now, outage="checkout", burst=burst)
    requesters: dict[str, int] = {}
    window = Window()
    window.add(
        [
            Row(i + 1, requesters.setdefault(s.email, len(requesters) + 1), s.created_at, "", True)
            for i, s in enumerate(specs)
        ],
        np.asarray(Encoder().encode([f"{s.subject}\n{s.body}" for s in specs]), np.float32),
    )
    window.baseline_from = now - 7 * 86400
    head = load_fault_head() if fault else None
    # Without the head, the rule before it: volume alone, at its similarity then.
    policy = IncidentPolicy() if fault else IncidentPolicy(similarity=0.62)
    found = judge(window, now, policy, fault=head)
    return Counter(specs[int(window.ids[r]) - 1].label for b in found.bursts for r in b.rows)


def test_a_burst_of_refund_questions_is_no_incident_and_the_outage_is_one() -> None:
    assert _judged("refund", fault=False)["refund"] >= 5  # volume alone made it one
    taken = _judged("refund", fault=True)
    assert taken["refund"] == 0
    assert taken["outage"] >= 22
    # (the end-to-end test holds the hour to at most 2 others; a week of 150 knows less)
    assert sum(taken.values()) - taken["outage"] <= 3


def test_a_report_of_another_kind_the_week_brings_leaves_the_outage() -> None:
    """The checkout hour (in-sample): a customer's second mail about a password reset that
    never arrives sits within 0.4 of the outage's centre, but last week's password tickets are
    closer to it: another kind, not a report of the outage. Either test takes it out (five
    such tickets closer than the centre; three much closer); without both it joins. (The
    one-fault test, ``what_broke``, is off here: it keeps the ticket out too, and one report
    of the outage with it.)"""
    path = Path(__file__).parents[1] / "data" / "incident_hour_checkout.jsonl"
    encode = Encoder().encode
    rows = read_labelled(path)
    default = IncidentPolicy(shared_neighbours=0)
    for rank, lookalike, strangers in (
        (0, 0, 1),
        (default.other_kind_rank, 0, 0),
        (0, default.lookalike_rank, 0),
    ):
        taken: set[int] = set()
        policy = replace(default, other_kind_rank=rank, lookalike_rank=lookalike)
        result = score(rows, predict(rows, encode, policy, load_fault_head(), taken), taken)
        assert result.others_in_incidents == strangers
        assert result.per_group["outage"] == 1.0
        assert result.forms == {"short": (5, 5), "foreign": (5, 5)}


def test_a_report_the_head_doubts_joins_its_outage_but_the_hours_questions_stay_out(
    tmp_path: Path,
) -> None:
    """A dev hour (every discount code rejected, beside 20 customers asking where to enter the
    newsletter's code): the head doubts some reports ("discount code broken??", a voucher
    "rejected with 'error'"), which join the outage beside its sure reports; the questions,
    as close to the outage, stay with the hour's other questions."""
    path = write_dev_hour("codes", tmp_path / "codes.jsonl", now=1_800_000_000)
    rows, encode = read_labelled(path), Encoder().encode
    kept = {}
    for maybe in (1.0, IncidentPolicy().maybe_fault):
        taken: set[int] = set()
        policy = replace(IncidentPolicy(), maybe_fault=maybe)
        result = score(rows, predict(rows, encode, policy, load_fault_head(), taken), taken)
        kept[maybe] = result.per_group["codes"]
        assert result.requests_in_incidents == 0
        assert result.others_in_incidents <= 2
    assert kept[1.0] <= 0.88
    assert kept[IncidentPolicy().maybe_fault] >= 0.96


def test_a_neighbouring_problem_the_week_brings_stays_out_of_the_outage(tmp_path: Path) -> None:
    """A dev hour (the app closing at start): a customer whose app logs them out every time
    sits close to the outage's centre, but three of last week's tickets are much closer to it
    (the app logging customers out is a steady kind): it stays out, the outage's reports in.
    (The one-fault test's week, ``what_broke.week_beside``, is off here: it keeps the ticket
    out too.)"""
    path = write_dev_hour("app", tmp_path / "app.jsonl", now=1_800_000_000)
    rows, encode = read_labelled(path), Encoder().encode
    others = {}
    for lookalike in (0, IncidentPolicy().lookalike_rank):
        taken: set[int] = set()
        policy = replace(IncidentPolicy(), lookalike_rank=lookalike, shared_rank=0)
        result = score(rows, predict(rows, encode, policy, load_fault_head(), taken), taken)
        others[lookalike] = result.others_in_incidents
        assert result.per_group["app"] >= 0.96
    assert others[0] >= 2
    assert others[IncidentPolicy().lookalike_rank] <= 1
