"""A first run with a taxonomy of the team's own, with examples, no LLM and no labelled
tickets, on each sandbox: the engine fitted on the taxonomy's examples triages every ticket,
applies the category where its calibrated confidence reaches the threshold its
cross-validation on the examples chose, and suggests it (never applies it) elsewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)
TAXONOMY = Path(__file__).resolve().parents[1] / "data" / "examples_taxonomy.toml"
# Two categories more, near the others (a refund is returns or payment, a size question product
# or returns): the cross-validation on the examples then confuses some, and its calibration has
# a middle step, the confidence at which a category is suggested rather than applied or left.
NEIGHBOURS = """
[categories.payment]
description = "Charges, invoices, payment methods, a payment that failed or was taken twice."
examples = [
  "I was charged twice for the same order.",
  "Can I pay for the bike in instalments?",
  "My card payment failed at checkout but the money left my account.",
  "Please send me an invoice with my company's VAT number.",
  "Why is there an extra fee on my bill?",
]

[categories.product]
description = "Questions about a product before buying: sizes, fit, compatibility, stock."
examples = [
  "Which frame size should I pick if I am 1.80 m tall?",
  "Will this saddle fit a carbon seat post?",
  "When will the gravel bike be back in stock?",
  "Is the rear rack compatible with disc brakes?",
  "Does the helmet come in a larger size?",
]
"""
TICKETS = [
    NewTicket("Parcel", "My parcel was due on Friday and the tracking has not moved since."),
    NewTicket("Passwort", "Ich habe mein Passwort vergessen und kann mich nicht anmelden."),
    NewTicket("Cadena", "La cadena de mi bicicleta se rompió después de una semana."),
    NewTicket("Hello", "Hi there, a quick word about something."),
    NewTicket("Thing", "It does the thing again since yesterday."),
]


def test_a_first_run_applies_where_confident_and_suggests_the_rest(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    taxonomy = tmp_path / "taxonomy.toml"
    taxonomy.write_text(TAXONOMY.read_text("utf-8") + NEIGHBOURS, "utf-8")
    monkeypatch.setenv("TICKETBOT_TAXONOMY", str(taxonomy))
    ids = desk.create(TICKETS)
    ran = invoke("run")
    assert ran.exit_code == 0, ran.output
    assert (
        "learned model: the examples engine, fitted on the taxonomy's descriptions and examples"
        in " ".join(ran.output.split())
    )
    triaged = {
        e["ticket_id"]: e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"
    }
    seen = set()
    for ticket_id in ids:
        event = triaged[ticket_id]
        assert event["engine"] == "learned"
        fate = event["decisions"]["category"]
        seen.add(fate)
        tags = desk.snapshot(ticket_id).tags
        if fate == "apply":
            assert f"ai_category_{event['category']}" in tags
        else:
            assert not any(t.startswith("ai_category_") for t in tags), tags
            assert fate != "suggest" or "ai_suggested_category" in tags
    assert "apply" in seen
    assert seen - {"apply"}  # the vague tickets are not applied
    assert "suggest" in seen  # some only suggested (ai_suggested_category), none applied
    # English examples only; the German and Spanish tickets land in their categories too.
    assert [triaged[i]["category"] for i in ids[:3]] == ["delivery", "account", "repair"]
    assert list((tmp_path / "state").glob("examples-model-*.zip"))  # cached for the next run
