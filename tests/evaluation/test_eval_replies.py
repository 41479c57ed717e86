"""``ticketbot eval`` on a file of customers' replies: it scores the reply kind (and the
replies' sentiment and urgency) and prints the reply-kind macro-F1 with the engine that judged
it; ``--predictions`` rows carry the kind. The rows are ``tests/data/replies.jsonl``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.cli import invoke

DATA = Path(__file__).resolve().parents[1] / "data" / "replies.jsonl"


@pytest.mark.parametrize("engine", ["rules", "learned"])
def test_eval_prints_the_reply_kind_figure(engine: str, tmp_path: Path) -> None:
    predictions = tmp_path / "predictions.jsonl"
    result = invoke(
        "eval", str(DATA), "--engine", engine, "--predictions", str(predictions),
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    found = re.search(r"reply kind macro-F1 (\d\.\d{3}) \((\w+);", result.output)
    assert found is not None, result.output
    assert float(found.group(1)) >= 0.90
    assert found.group(2) == engine
    rows = [json.loads(line) for line in predictions.read_text("utf-8").splitlines()]
    assert {row["reply_kind"] for row in rows} == {"actionable", "thanks", "auto_reply"}


def test_eval_json_has_the_reply_kind_per_language() -> None:
    result = invoke("eval", str(DATA), "--engine", "rules", "--json")
    assert result.exit_code == 0, result.output
    fields = json.loads(result.stdout)["fields"]
    assert "reply_kind" in fields
    assert "sentiment" in fields
    assert json.dumps(fields["reply_kind"]).count("macro_f1") >= 4  # pooled and per language


def test_other_spellings_of_a_replys_text_and_kind_are_read(tmp_path: Path) -> None:
    rows = [
        {
            "id": "1",
            "body": "Automatic reply: away.",
            "labels": {"reply_kind": "auto"},
        },
        {"id": "2", "reply": "Thanks, that solved it!", "labels": {"reply_kind": "Thank-you"}},
        {"id": "3", "message": "Still broken.", "labels": {"reply_kind": "actionable"}},
    ]
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows), "utf-8")
    result = invoke("eval", str(path), "--json")
    assert result.exit_code == 0, result.output
    pooled = json.loads(result.stdout)["fields"]["reply_kind"]
    assert "1.0" in json.dumps(pooled)
