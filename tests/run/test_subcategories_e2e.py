"""Subcategories end to end, on each sandbox: ``ticketbot run`` with the sample taxonomy that
gives categories subcategories, the LLM stand-in answering through its json_schema, and a route
on ``subcategory``. Every ticket's subcategory tag belongs to its category tag; a model answer
that pairs a category with another category's subcategory is refused and the ticket falls back
to the local engines, still with a pair that belongs together."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.triage.taxonomy import load_taxonomy

pytestmark = pytest.mark.desk(configure=True)

SAMPLE = Path(str(resources.files("ticket_processor") / "samples" / "taxonomy_subcategories.toml"))
TAXONOMY = load_taxonomy(SAMPLE)
TICKETS = [
    NewTicket("Refund", "I want to request a refund for my last order."),
    NewTicket("Where is it", "Please track my order, it has been a week."),
    NewTicket("Password", "I forgot my password and need to recover it."),
    NewTicket("Hello", "We would like to talk about a partnership."),
]
ROUTES = '[[route]]\nwhen = { subcategory = "request_refund" }\nadd_tags = ["refunds_desk"]\n'


def pairs(tags: list[str]) -> tuple[str | None, str | None]:
    category = next(
        (t.removeprefix("ai_category_") for t in tags if t.startswith("ai_category_")), None
    )
    sub = next(
        (t.removeprefix("ai_subcategory_") for t in tags if t.startswith("ai_subcategory_")), None
    )
    return category, sub


@pytest.fixture
def llm() -> Iterator[RunningStandin]:
    with serve_in_thread(StandinConfig(seed=3)) as running:
        yield running


def configure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, llm_url: str) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_TAXONOMY", str(SAMPLE))
    monkeypatch.setenv("TICKETBOT_ROUTES", str(routes))


def test_the_llm_names_a_subcategory_of_its_category_and_routes_match_it(
    desk: Desk, llm: RunningStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, llm.url)
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    found = {}
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        category, sub = pairs(snap.tags)
        assert category is not None, snap.tags
        assert sub is None or sub in TAXONOMY.subcategories_of(category), (category, sub)
        assert "ai_fallback" not in snap.tags
        found[ticket_id] = (category, sub, snap)
    category, sub, snap = found[ids[0]]
    assert (category, sub) == ("refund", "request_refund")
    assert "ai_refunds_desk" in snap.tags  # the route on the subcategory
    [note] = snap.notes
    assert "Subcategory: request_refund" in note
    assert "subcategory=request_refund" in note.splitlines()[-1]
    assert found[ids[1]][:2] == ("shipping", "track_order")
    assert "ai_refunds_desk" not in found[ids[1]][2].tags
    assert found[ids[3]][1] is None  # "other" that names no subcategory: none
    requests = list(llm.received)
    assert requests
    assert all("subcategory" in str(body["response_format"]) for body in requests)


def mismatched(subject: str, body: str) -> dict[str, Any]:
    """A model that pairs refund with a shipping subcategory, whatever it is asked."""
    return {
        "category": "refund",
        "subcategory": "card_arrival",
        "urgency": "low",
        "sentiment": "neutral",
        "language": "en",
        "summary": "A refund.",
        "confidence": 0.9,
    }


@pytest.mark.slow
def test_a_pair_that_does_not_belong_is_refused_and_the_ticket_falls_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with serve_in_thread(StandinConfig(seed=3, answer=mismatched)) as bad:
        configure(monkeypatch, tmp_path, bad.url)
        ids = desk.create(TICKETS[:2])
        ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    for ticket_id in ids:
        snap = desk.snapshot(ticket_id)
        assert "ai_fallback" in snap.tags
        category, sub = pairs(snap.tags)
        assert category is not None
        assert sub != "card_arrival" or category == "shipping"
        assert sub is None or sub in TAXONOMY.subcategories_of(category), (category, sub)
    assert pairs(desk.snapshot(ids[0]).tags) == ("refund", "request_refund")
