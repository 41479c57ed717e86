"""A ticket a guard refused first, and no public source answers, is an article to write, on
each sandbox: "Articles to write" listed only tickets refused for want of a source, so one
refused first for another reason (here: an angry customer) with nothing in the help
centre on its topic was never listed."""

from __future__ import annotations

import pytest
from support.answers_desk import create_tickets, publish_help_centre
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk

OWN = {
    "subject": "Drone firmware bricked my quadcopter",
    "description": "This is TERRIBLE!!! Your quadcopter drone firmware bricked my drone, it "
    "will not boot any more!!! I am furious. What do I do with my drone now?!",
    "kind": "answerable",
}


@pytest.mark.desk(configure=True)
def test_a_guarded_ticket_with_no_public_source_is_listed_to_write(desk: Desk) -> None:
    publish_help_centre(desk)
    create_tickets(desk, [OWN])
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    assert "answers_refused_by=negative:1" in ran.output  # a guard refused it first
    report = invoke("report")
    assert report.exit_code == 0, report.output
    assert "bricked / drone / firmware" in report.output  # listed, named by its words
