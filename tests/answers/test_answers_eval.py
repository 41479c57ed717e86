"""``ticketbot eval FILE`` on rows naming the answering article, and ``answers calibrate``,
against the synced help centre of a sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.answers_desk import publish_help_centre, rows
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk


@pytest.mark.desk(kinds=("zendesk",), configure=True)
def test_eval_scores_answers_and_calibrate_keeps_a_calibration(desk: Desk, tmp_path: Path) -> None:
    ids = publish_help_centre(desk)
    assert invoke("kb", "sync").exit_code == 0
    labelled = tmp_path / "answers.jsonl"
    lines = []
    for row in rows("answers_tickets.jsonl"):
        key = row["answer_article"]
        article = None if key is None else sorted(ids[key])
        lines.append(
            json.dumps(
                {
                    "subject": row["subject"],
                    "description": row["description"],
                    "answer_article": article,
                }
            )
        )
    labelled.write_text("\n".join(lines) + "\n", "utf-8")

    scored = invoke("eval", str(labelled))
    assert scored.exit_code == 0, scored.output
    figures = json.loads(scored.stdout)
    assert figures["rows"] == 60
    assert figures["false_sends"] == 0
    assert figures["sent"] >= 12
    assert figures["sent_wrong"] <= 1

    fitted = invoke("answers", "calibrate", str(labelled))
    assert fitted.exit_code == 0, fitted.output
    assert (tmp_path / "state" / "answers_calibration.json").is_file()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"subject": "x"}\n', "utf-8")
    refused = invoke("answers", "eval", str(bad))
    assert refused.exit_code == 2
    assert 'needs "answer_article"' in refused.output


@pytest.mark.desk(configure=True)
def test_eval_says_when_the_files_article_labels_match_no_article(
    desk: Desk, tmp_path: Path
) -> None:
    """tests/data/answers_tickets.jsonl labels by article key: scored as it is against a synced
    help centre, every send was wrong (precision 0.0) and nothing said why."""
    ids = publish_help_centre(desk)
    assert invoke("kb", "sync").exit_code == 0
    given = Path(__file__).parents[1] / "data" / "answers_tickets.jsonl"

    refused = invoke("eval", str(given))
    assert refused.exit_code == 2, refused.output
    assert "article labels (answer_article) match no article" in refused.output
    first = min(
        json.dumps(r["answer_article"])
        for r in rows("answers_tickets.jsonl")
        if r["answer_article"]
    )
    assert first in refused.output  # the labels it could not match are shown
    assert "python -m scripts.figures answers_figures" in refused.output

    # Half of the labels made ids: scored, with a warning naming how many did not match.
    mixed = tmp_path / "mixed.jsonl"
    lines = []
    for n, row in enumerate(rows("answers_tickets.jsonl")):
        key = row["answer_article"]
        if key is not None and n % 2 == 0:
            row = {**row, "answer_article": sorted(ids[key])}
        lines.append(json.dumps(row))
    mixed.write_text("\n".join(lines) + "\n", "utf-8")
    keys = [json.loads(line)["answer_article"] for line in lines]
    unmatched = sum(isinstance(k, str) for k in keys)
    labelled = sum(k is not None for k in keys)
    scored = invoke("eval", str(mixed))
    assert scored.exit_code == 0, scored.output
    assert f"{unmatched} of {labelled} article labels" in scored.stderr
    assert json.loads(scored.stdout)["rows"] == 60
