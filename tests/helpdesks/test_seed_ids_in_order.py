"""The sample tickets get their ids in the samples' order on each sandbox, however long each
create takes: the tutorial and the demo name a ticket by its id ("ticket 15 'Charged twice for
March subscription'", "answer ticket 1"). Freshdesk's seed made four tickets at once, so a slow
answer let a later sample take an earlier id (the demo's "Charged twice" was 14 on one run and 15
on the next). The sandbox's latency and jitter stand in for a busy machine."""

from __future__ import annotations

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.sandbox.desks import Desk

COUNT = 24


@pytest.mark.desk(seed=None, configure=True)
def test_the_samples_ids_follow_their_order(desk: Desk) -> None:
    config = desk.sandbox.config
    config.latency_ms, config.jitter_ms = 10.0, 9.0
    seeded = invoke("seed", "--count", str(COUNT))
    assert seeded.exit_code == 0, seeded.output
    subject = {ticket.id: ticket.subject for ticket in desk.asked()}
    subjects = [subject[desk.first_id + n] for n in range(COUNT)]
    assert subjects == [sample.subject for sample in load_samples()[:COUNT]]
    assert subjects[14] == "Charged twice for March subscription"  # the tutorial's ticket 15
