"""A public answer on ServiceNow, through the CLI on the sandbox: with answers on (send mode)
an answerable incident gets one ``comments`` entry by ticketbot's user, is put On Hold,
Awaiting Caller, and labelled ``ai_answered``; a rerun sends nothing; with answers off none is
sent. The help centre is the sample articles published as ``kb_knowledge``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from support.answers_desk import rows
from support.cli import invoke

from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.sandbox.desks import NewTicket

TABLE_API = "/api/now/table"


@pytest.fixture
def sn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[ServiceNowDesk]:
    with serve(seed=5) as running:
        env = {
            **running.env(),
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield running


def api(sn: ServiceNowDesk, method: str, path: str, **kw: Any) -> Any:
    config = sn.sandbox.config
    answer = requests.request(
        method, sn.url + path, auth=(config.user, config.password), timeout=10, **kw
    )
    answer.raise_for_status()
    return answer.json()["result"]


def publish_articles(sn: ServiceNowDesk) -> None:
    [base] = api(sn, "GET", f"{TABLE_API}/kb_knowledge_base", params={"sysparm_limit": "1"})
    for article in rows("answers_articles.jsonl"):
        if not article["locale"].startswith("en"):
            continue
        body = {
            "short_description": article["title"],
            "text": article["body"],
            "workflow_state": "published",
            "kb_knowledge_base": base["sys_id"],
        }
        api(sn, "POST", f"{TABLE_API}/kb_knowledge", json=body)


def comments_by_ticketbot(sn: ServiceNowDesk, ticket_id: int) -> list[str]:
    sys_id = sn.sandbox.sandbox.record_of("incident", ticket_id) or ""
    user = sn.sandbox.config.user
    return [
        e["value"]
        for e in sn.sandbox.store.journal("incident", sys_id)
        if e["element"] == "comments" and e["sys_created_by"] == user
    ]


def record(sn: ServiceNowDesk, ticket_id: int) -> dict[str, str]:
    sys_id = sn.sandbox.sandbox.record_of("incident", ticket_id) or ""
    return dict(sn.sandbox.store.find("incident", sys_id) or {})


def answerable(sn: ServiceNowDesk) -> list[int]:
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"][:8]
    return sn.create([NewTicket(c["subject"], c["description"]) for c in cases])


def run(mode: str) -> None:
    ran = invoke("run", "--engine", "rules", env={"TICKETBOT_ANSWER_MODE": mode})
    assert ran.exit_code == 0, ran.output


def test_an_answer_is_one_public_comment_and_the_incident_awaits_the_caller(
    sn: ServiceNowDesk,
) -> None:
    publish_articles(sn)
    ids = answerable(sn)
    run("send")
    answered = [i for i in ids if comments_by_ticketbot(sn, i)]
    assert answered, "no answerable incident was answered"
    for ticket_id in answered:
        assert len(comments_by_ticketbot(sn, ticket_id)) == 1
        now = record(sn, ticket_id)
        assert (now["state"], now["hold_reason"]) == ("3", "1")  # On Hold, Awaiting Caller
        assert "ai_answered" in sn.snapshot(ticket_id).tags
    run("send")
    assert [len(comments_by_ticketbot(sn, i)) for i in answered] == [1] * len(answered)


def test_no_public_comment_where_answers_are_off(sn: ServiceNowDesk) -> None:
    publish_articles(sn)
    ids = answerable(sn)
    run("off")
    assert all(comments_by_ticketbot(sn, i) == [] for i in ids)
    assert all(len(sn.snapshot(i).notes) == 1 for i in ids)
