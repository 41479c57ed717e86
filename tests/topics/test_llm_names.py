"""Topic names from the LLM: it sees only redacted text, and an answer that is not a short name
(a sentence, a link, an error) leaves the topic its words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
from ticket_processor.topics.naming import clean_name

TICKETS = [
    ("Coupon rejected", "My coupon code SAVE10 is rejected. Mail me at ann.lee@example.com"),
    ("Discount code", "The discount coupon code says invalid at checkout, call +44 20 7946 0958"),
    ("Promo coupon", "Your promo coupon code does not apply to my cart"),
    ("Parcel late", "My parcel has not arrived, tracking shows nothing since Monday"),
    ("Package lost", "The package is late and the parcel tracking is stuck"),
    ("Delivery delayed", "Delivery of my parcel is delayed, the tracking is not updated"),
]


def test_clean_name() -> None:
    assert clean_name("Coupon codes rejected\n") == "Coupon codes rejected"
    assert clean_name('"Late parcels."') == "Late parcels"
    assert clean_name("See https://evil.example now") is None
    assert clean_name("This is a very long sentence and not a name at all") is None
    assert clean_name("  ") is None


@pytest.mark.slow
def test_the_llm_names_topics_from_redacted_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": str(i), "subject": s, "description": d}) + "\n"
            for i, (s, d) in enumerate(TICKETS)
        )
    )
    script: list[dict[str, object] | str] = [
        {"content": "Rejected coupon codes"},
        {"content": "Click https://evil.example for a name"},
    ]
    with serve_in_thread(StandinConfig(seed=1, script=script)) as standin:
        monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
        result = invoke("discover", str(path), "--json")
        assert result.exit_code == 0, result.output
        sent = json.dumps(standin.received)
    topics = json.loads(result.output)["topics"]
    assert len(topics) == 2
    by = {t["named_by"]: t["name"] for t in topics}
    assert by["llm"] == "Rejected coupon codes"
    assert "evil" not in by["words"]
    assert "ann.lee@example.com" not in sent
    assert "7946" not in sent
    assert "coupon" in sent
