"""A lookup's reply worded by the LLM (``reply_by = "llm"``), on every helpdesk, through the real
openai SDK against the OpenAI-compatible stand-in: the model is shown the record's declared
reply values and the team's reply, never the ticket or the record's other fields; its words are
sent when they say only what those hold, and the team's template is sent when they do not. The
reply takes the answers' one writing call: a ticket gets the triage call and that one."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from support.answers_desk import public_comments
from support.cli import invoke
from support.e2e import events
from support.shop import EXAMPLE, pointed_at, three_orders

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.sandbox.shop import ShopConfig, ShopServer

TOKEN = "shpat_llmreply_0123456789abcdef"
ANALYSIS = {
    "category": "shipping",
    "urgency": "low",
    "sentiment": "neutral",
    "language": "en",
    "summary": "Asks where the order is.",
    "confidence": 0.9,
}
GROUNDED = (
    "Your order #1001 is fulfilled and on its way with UPS, tracking number 1Z999AA10123456784."
)
INVENTED = "Your order #1001 arrives tomorrow; call us at +1 555 0100 for a 20% discount."
TEMPLATE = "Your order #1001 is fulfilled: UPS tracking number 1Z999AA10123456784"


@pytest.fixture
def shop(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ShopServer]:
    worded = EXAMPLE.read_text("utf-8").replace(
        'owner = "email"', 'owner = "email"\nreply_by = "llm"', 1
    )
    actions = tmp_path / "actions.toml"
    actions.write_text(worded, "utf-8")
    with pointed_at(monkeypatch, ShopConfig(token=TOKEN, retry_after=0.1)) as server:
        monkeypatch.setenv("TICKETBOT_ACTIONS", str(actions))
        yield server


@pytest.mark.parametrize(("written", "sent_as_written"), [(GROUNDED, True), (INVENTED, False)])
@pytest.mark.desk(configure=True)
def test_the_llm_words_a_lookups_reply_only_from_its_reply_values(
    desk: Desk,
    shop: ShopServer,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    written: str,
    sent_as_written: bool,
) -> None:
    llm = make_standin(script=[json.dumps(ANALYSIS), written])
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    orders = three_orders(shop)
    assert orders["alice"]["name"] == "#1001"
    [ticket] = desk.create(
        [
            NewTicket(
                "Where is my order?", "Hi, where is my order #1001?", sender="alice@example.com"
            )
        ]
    )
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output
    [sent] = public_comments(desk, ticket)
    assert (written in sent) == sent_as_written
    assert (TEMPLATE in sent) != sent_as_written
    assert "555" not in sent
    planned = [e for e in events(tmp_path / "logs") if e["event"] == "answer_planned"]
    assert [e["text_from"] for e in planned] == ["lookup_llm" if sent_as_written else "lookup"]
    # The writing call saw the reply values, never the ticket nor the record's other fields.
    [asked] = [json.dumps(r) for r in llm.received if "ISO code en" in json.dumps(r)]
    assert "1Z999AA10123456784" in asked
    assert "where is my order" not in asked.lower()
    assert "59.90" not in asked  # the total: shown to agents, not declared for a reply
    assert "alice@example.com" not in asked
