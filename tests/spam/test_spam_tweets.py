"""A customer's tweet is not gated for its link, on each sandbox, through the CLI.

Twitter wraps every link of a tweet in ``t.co``: a customer's screenshot, a photo of the plane's
seat and a news site's headline alike. Read as the ``link`` lure, it made a stranger's tweet
the head was sure of two signals that agree, and gated it (54 of 900 customers' tweets to
airlines in the dev set). A ``t.co`` link is the channel's, not a lure; any other link still
is one.
"""

from __future__ import annotations

import pytest
from support.answers_desk import status
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.spam.lures import lure_families

GATED = ("ai_spam", "ai_phishing", "ai_auto_sender")

# Written for this test: customers' tweets, each with the link Twitter wraps.
TWEETS = (
    NewTicket(
        "",
        "@NorthwindAir Loved the new lounge in Lisbon, great coffee! https://t.co/3FqYb8nNcK",
        sender="traveller.anna@example.org",
    ),
    NewTicket(
        "",
        "@NorthwindAir 3 hours on the tarmac and no water. This is my view right now "
        "https://t.co/7HbN2kPqXa",
        sender="jm.okafor@example.org",
    ),
)


def test_a_t_co_link_is_not_a_lure_and_any_other_link_is() -> None:
    assert "link" not in lure_families("great coffee! https://t.co/3FqYb8nNcK")
    assert "link" not in lure_families("see http : / / t . co / 3FqYb8nNcK")
    assert "link" in lure_families("great coffee! https://tco-lounge.example/3FqYb8nNcK")
    assert "link" in lure_families("verify at http://t.com.example.net/login")
    assert "link" in lure_families("visit www.example.com today")


@pytest.mark.desk(configure=True)
def test_a_customer_s_tweet_is_not_gated_for_its_link(desk: Desk) -> None:
    ids = desk.create(list(TWEETS))
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    for ticket_id in ids:
        tags = desk.snapshot(ticket_id).tags
        assert not [tag for tag in tags if tag in GATED], tags
        assert status(desk, ticket_id) not in ("solved", "closed")
