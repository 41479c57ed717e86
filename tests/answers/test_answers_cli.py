"""``ticketbot answers check / status / promote`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import invoke

from ticket_processor.answers.book import AnswerBook
from ticket_processor.answers.vocab import AnswerPlan

POLICY = """
[ladder]
drafts = 2
target = 0.5
[categories.how_to]
mode = "auto"
[categories.billing]
mode = "draft"
threshold = 0.97
"""


def env(tmp_path: Path) -> dict[str, str | None]:
    (tmp_path / "answers.toml").write_text(POLICY, "utf-8")
    return {
        "TICKETBOT_ANSWERS": str(tmp_path / "answers.toml"),
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
    }


def test_check_shows_each_category_and_names_a_mistake(tmp_path: Path) -> None:
    found = invoke("answers", "check", env=env(tmp_path))
    assert found.exit_code == 0, found.output
    assert "how_to: auto, threshold 0.9" in found.output
    assert "billing: draft, threshold 0.97" in found.output
    (tmp_path / "bad.toml").write_text('[categories.billing]\nmode = "loud"\n', "utf-8")
    bad = invoke("answers", "check", str(tmp_path / "bad.toml"), env=env(tmp_path))
    assert bad.exit_code == 2
    assert "must be one of off, draft, send, auto" in bad.output


def draft(ticket_id: int) -> AnswerPlan:
    return AnswerPlan(
        ticket_id=ticket_id,
        delivery="draft",
        category="how_to",
        article_id=3,
        article_url="https://h.example/3",
        language="en",
        probability=0.95,
        body="text",
    )


def test_promote_refuses_below_the_target_then_moves_the_category_to_send(
    tmp_path: Path,
) -> None:
    variables = env(tmp_path)
    refused = invoke("answers", "promote", "how_to", env=variables)
    assert refused.exit_code == 1
    assert "0 judged draft(s), the ladder needs 2" in refused.output
    book = AnswerBook(tmp_path / "state")
    for n in (1, 2):
        book.drafted(draft(n), float(n))
    book.judge_draft(1, True)
    book.judge_draft(2, False)
    refused = invoke("answers", "promote", "how_to", env=variables)
    assert refused.exit_code == 1
    assert "acceptance 50% over the last 2 drafts is not above the target 50%" in refused.output
    for n in (3, 4):
        book.drafted(draft(n), float(n))
        book.judge_draft(n, True)
    promoted = invoke("answers", "promote", "how_to", env=variables)
    assert promoted.exit_code == 0, promoted.output
    status = invoke("answers", "status", "--json", env=variables)
    rows = {r["category"]: r for r in json.loads(status.stdout)["categories"]}
    assert rows["how_to"]["rung"] == "send"
    assert rows["how_to"]["acceptance"] == 1.0
    not_auto = invoke("answers", "promote", "billing", env=variables)
    assert not_auto.exit_code == 2


def test_promote_of_a_category_the_taxonomy_lacks_names_the_known_ones(tmp_path: Path) -> None:
    # A typo was refused as "nosuch answers in mode send, not auto", which sent the user to the
    # answers file instead of to the spelling.
    refused = invoke("answers", "promote", "nosuch", env=env(tmp_path))
    assert refused.exit_code == 2
    said = " ".join(refused.output.split())
    assert "no category 'nosuch' in the taxonomy; the categories are:" in said
    assert "how_to" in said
    assert "billing" in said
    assert "not auto" not in said
