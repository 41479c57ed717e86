"""``learn --risk FILE`` and ``eval --risk FILE``: the head learned from one labelled file is
scored on another (other tickets of the same kinds, another seed); without a head only the
rules are scored. Rows: ``test_risk_learn``'s templates, written as ``learn``'s files are."""

from __future__ import annotations

import json
from pathlib import Path

from support.cli import invoke
from test_risk_learn import solved_tickets


def _write(path: Path, seed: int, count: int) -> Path:
    lines = [
        json.dumps(
            {
                "subject": t.subject,
                "description": t.body,
                "outcome": {
                    "satisfaction": t.satisfaction,
                    "reopens": t.reopens,
                    "escalated": t.escalated,
                },
            }
        )
        for t in solved_tickets(count, seed=seed)
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_eval_scores_the_rules_then_the_learned_head(tmp_path: Path) -> None:
    train = _write(tmp_path / "train.jsonl", 1, 300)
    held = _write(tmp_path / "held.jsonl", 2, 200)
    env = {"TICKETBOT_STATE_DIR": str(tmp_path / "state")}
    before = invoke("eval", "--risk", str(held), "--json", env=env)
    assert before.exit_code == 0, before.output
    rules_only = json.loads(before.output)
    assert rules_only["head"]["auc"] is None
    assert rules_only["rows"] == 200
    learned = invoke("learn", "--risk", str(train), env=env)
    assert learned.exit_code == 0, learned.output
    assert "risk head written to" in learned.output
    after = json.loads(invoke("eval", "--risk", str(held), "--json", env=env).output)
    assert after["rules"] == rules_only["rules"]
    assert after["head"]["auc"] > after["rules"]["auc"] + 0.05, after  # 0.81 at most here
    assert after["head"]["ece"] <= 0.1, after
    print(json.dumps(after))
