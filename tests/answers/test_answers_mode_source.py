"""``answers status`` and ``answers explain`` say where the answer mode they print comes from,
and, where it is off here while a run sent answers in the last day, name that run, on each
sandbox. A run reads ``TICKETBOT_ANSWER_MODE`` in its own environment (cron's): before, a shell
without it printed "mode off" for the categories whose answers had just gone out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, publish_help_centre, rows
from support.cli import invoke
from support.e2e import events

from ticket_processor.answers.explain_mode import last_answering_run
from ticket_processor.sandbox.desks import Desk

NOT_SET = "TICKETBOT_ANSWER_MODE is not set here"
LAST = "the last run that answered had mode send: run "


@pytest.mark.desk(configure=True)
def test_the_mode_says_its_source_and_the_run_that_answered(desk: Desk, tmp_path: Path) -> None:
    publish_help_centre(desk)
    create_tickets(desk, rows("answers_tickets.jsonl")[:20])

    before = invoke("answers", "status")
    assert before.exit_code == 0, before.output
    assert LAST not in before.output  # nothing answered yet: no run to name

    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": "send"})
    assert ran.exit_code == 0, ran.output
    sent = [e for e in events(tmp_path / "logs") if e.get("event") == "answer_sent"]
    assert sent, ran.output
    run_id, category, ticket = sent[0]["run_id"], sent[0]["category"], sent[0]["ticket_id"]

    # This shell has no TICKETBOT_ANSWER_MODE: off here, said as such, and the run named.
    status = invoke("answers", "status")
    assert status.exit_code == 0, status.output
    [row] = [line for line in status.output.splitlines() if line.startswith(f"{category}:")]
    assert f"mode off ({NOT_SET}; now off)" in row
    [named] = [line for line in status.output.splitlines() if line.startswith(LAST)]
    assert named.startswith(f"{LAST}{run_id} sent {len(sent)} answer(s)")
    found = json.loads(invoke("answers", "status", "--json").stdout)
    assert found["last_answering_run"]["run_id"] == run_id
    assert {r["category"]: r["mode_source"] for r in found["categories"]}[category] == NOT_SET

    explained = invoke("answers", "explain", str(ticket))
    assert explained.exit_code == 0, explained.output
    first, second = explained.output.splitlines()[:2]
    assert f"mode off ({NOT_SET})" in first
    assert second.startswith(f"{LAST}{run_id}")

    # With the run's mode here, the mode is said as set here, and no run needs naming.
    env = {"TICKETBOT_ANSWER_MODE": "send"}
    status = invoke("answers", "status", env=env)
    [row] = [line for line in status.output.splitlines() if line.startswith(f"{category}:")]
    assert "mode send (TICKETBOT_ANSWER_MODE here; now send)" in row
    assert LAST not in status.output
    explained = invoke("answers", "explain", str(ticket), env=env)
    assert "mode off" not in explained.output
    assert LAST not in explained.output


def test_a_leads_send_and_an_older_run_are_not_the_last_run_that_answered() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

    def sent(run_id: str, hours_ago: float, **extra: object) -> dict[str, object]:
        at = (now - timedelta(hours=hours_ago)).isoformat().replace("+00:00", "Z")
        return {"event": "answer_sent", "run_id": run_id, "ts": at, **extra}

    logged: list[dict[str, object]] = [
        sent("last-week", 30),
        sent("cron", 5),
        sent("cron", 4),
        sent("review", 1, reviewer="lead@example.com"),
        {"event": "ticket_triaged", "run_id": "later", "ts": now.isoformat()},
    ]
    found = last_answering_run(logged, now - timedelta(days=1))
    assert found is not None
    assert (found.run_id, found.sent) == ("cron", 2)
    assert last_answering_run(logged[:1], now - timedelta(days=1)) is None
