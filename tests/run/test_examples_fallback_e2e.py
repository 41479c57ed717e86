"""A ticket that fits none of the team's categories goes to the fallback category, on each
sandbox, on a first run with a taxonomy of the team's own (examples, no LLM): the examples
engine put every ticket in one of the team's categories, however far it stood from all of
them. ``eval`` then says how the fallback fares on a labelled file with fallback rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

SHOP = Path(__file__).resolve().parents[1] / "data" / "examples_taxonomy.toml"
# A bicycle shop's help desk: a parcel is theirs, banana bread and a football score are not.
# Before, the engine named one of the shop's categories for each of these two (returns and
# delivery, as suggestions).
TICKETS = [
    NewTicket("Parcel", "My parcel was due on Friday and the tracking has not moved since."),
    NewTicket("Baking", "What is a good recipe for banana bread without eggs?"),
    NewTicket("Tonight", "Who won the football match last night and what was the score?"),
]


def _taxonomy(tmp_path: Path) -> Path:
    """The shop's taxonomy with a fallback of a description alone, as most teams write it (the
    shop's own ``other`` lists examples of its own, which catch these two already)."""
    text = SHOP.read_text("utf-8")
    path = tmp_path / "taxonomy.toml"
    cut = text.index("[categories.other]")
    path.write_text(text[:cut] + '[categories.other]\ndescription = "Anything else."\n', "utf-8")
    return path


@pytest.mark.desk(configure=True)
def test_a_ticket_far_from_every_category_lands_in_the_fallback(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TICKETBOT_TAXONOMY", str(_taxonomy(tmp_path)))
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    triaged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    assert triaged[ids[0]]["category"] == "delivery"
    for ticket_id in ids[1:]:
        event = triaged[ticket_id]
        assert event["engine"] == "learned"
        assert event["category"] == "other", event
        assert event["decisions"]["category"] == "apply", event
        tags = desk.snapshot(ticket_id).tags
        assert "ai_category_other" in tags, tags


def test_eval_reports_the_fallbacks_recall_and_precision(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TICKETBOT_TAXONOMY", str(_taxonomy(tmp_path)))
    labelled = tmp_path / "labelled.jsonl"
    labels = ("delivery", "other", "other")
    rows = [(t.subject, t.body, c) for t, c in zip(TICKETS, labels, strict=True)]
    labelled.write_text(
        "".join(
            json.dumps({"id": f"r{n}", "subject": s, "description": d, "labels": {"category": c}})
            + "\n"
            for n, (s, d, c) in enumerate(rows)
        ),
        "utf-8",
    )
    shown = invoke("eval", str(labelled), "--json")
    assert shown.exit_code == 0, shown.output
    scope = json.loads(shown.output)["out_of_scope"]
    assert scope == {
        "fallback": "other",
        "rows": 2,
        "predicted": 2,
        "recall": 1.0,
        "precision": 1.0,
    }
    said = invoke("eval", str(labelled))
    assert "out of scope (2 rows labelled 'other'): recall 100.0%" in " ".join(said.output.split())
