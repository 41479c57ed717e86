"""``discover --from-helpdesk`` named by an LLM that chats instead of naming, on each sandbox.

The OpenAI-compatible stand-in answers a request without a response format the way chatty
models do ("Here is the analysis:" and a block of JSON). That is not a name: every topic keeps
the name its words make, and the taxonomy fragment gets no ``[categories.here_is_the]``. The
people the helpdesk names on the tickets (the Vandermeer family writes about coupons) reach
neither the LLM nor the topics' words.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.topics.naming import clean_name

CHATTER = 'Here is the analysis:\n```json\n{"category": "billing"}\n```\nLet me know if needed.'
TICKETS = [
    NewTicket(
        "Coupon rejected",
        "Griselda Vandermeer here: my coupon code SAVE10 is rejected at checkout.",
        requester_name="Griselda Vandermeer",
    ),
    NewTicket(
        "Discount code invalid",
        "This is Ottokar Vandermeer, the discount coupon code says invalid when I pay.",
        requester_name="Ottokar Vandermeer",
    ),
    NewTicket(
        "Promo code",
        "Hello, Philippa Vandermeer writing: your promo coupon code does not apply to my cart.",
        requester_name="Philippa Vandermeer",
    ),
    NewTicket("Parcel late", "My parcel has not arrived, tracking shows nothing since Monday."),
    NewTicket("Where is my package", "The package is late and the parcel tracking is stuck."),
    NewTicket("Delivery delayed", "Delivery of my parcel is delayed, tracking not updated."),
]


def test_a_chatty_answer_is_not_a_name() -> None:
    assert clean_name(CHATTER) is None
    assert clean_name("Here is the analysis") is None
    assert clean_name("Sure, coupon codes") is None
    assert clean_name("Name: Coupon codes") == "Coupon codes"
    assert clean_name("Rejected coupon codes") == "Rejected coupon codes"


@pytest.fixture
def chatty(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=1)) as running:
        monkeypatch.setenv("OPENAI_BASE_URL", running.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
        yield running


@pytest.mark.slow
@pytest.mark.desk(seed=2, configure=True)
def test_chatter_is_never_a_topic_name_and_names_stay_in_the_helpdesk(
    desk: Desk, chatty: RunningStandin, tmp_path: Path
) -> None:
    desk.create(TICKETS)
    fragment = tmp_path / "proposed.toml"
    result = invoke(
        "discover", "--from-helpdesk", "--since", "1d", "--json", "--taxonomy-out", str(fragment)
    )
    assert result.exit_code == 0, result.output
    topics = json.loads(result.stdout)["topics"]
    assert topics
    assert chatty.received, "the LLM was asked to name the topics"
    for topic in topics:
        assert topic["named_by"] == "words", topic
        assert "here" not in topic["name"].lower(), topic
        assert "vandermeer" not in " ".join([topic["name"], *topic["words"]]).lower(), topic
    written = fragment.read_text("utf-8")
    assert "here_is" not in written
    assert "analysis" not in written
    assert "vandermeer" not in written.lower()
    sent = json.dumps(chatty.received)
    assert "coupon" in sent  # the topics' words went; the people did not
    for person in ("Vandermeer", "Griselda", "Ottokar", "Philippa"):
        assert person not in sent
