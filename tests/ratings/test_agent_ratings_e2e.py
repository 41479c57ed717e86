"""Agents rate what ticketbot did, on each sandbox: twenty tickets triaged by a real run; an
agent tags each with a feedback tag (``ai_feedback_helped``, ``..._not_helped``,
``..._wrong_category``), the next run reads them, and a tag added again is still one rating;
twenty ratings made on the dashboard's ticket pages (the real command, over HTTP), each clicked
twice, are one each; a forged one without the CSRF token is refused. The store holds forty;
the page shows them; ``report --json``'s ``ratings.agents`` counts them; a "wrong category"
rating that names the right category is a label ``learn`` trains on (``dashboard
--export-reviews``)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from support.cli import invoke
from support.dashboard import TOKEN, bearer, rate, start_dashboard

from ticket_processor.audit.schema import ratings
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

VERDICTS = ("helped", "not_helped", "wrong_category")
BODIES = (
    ("Refund please", "I want a refund for my order, send my money back."),
    ("Cannot log in", "I forgot my password and cannot log in to my account."),
    ("Parcel late", "Where is my parcel? The delivery is late and tracking is stuck."),
    ("Double charge", "My invoice shows a double charge on my card this month."),
)


def _stored() -> list[dict[str, Any]]:
    settings = load_settings(dict(os.environ), env_file=None)
    with open_store(settings) as store, store.engine.connect() as conn:
        return [dict(r) for r in conn.execute(ratings.select()).mappings()]


def _tag_all(desk: Desk, ids: list[int]) -> dict[int, str]:
    given = {tid: VERDICTS[i % 3] for i, tid in enumerate(ids)}
    for tid, verdict in given.items():
        desk.agent_edit(tid, f"ai_feedback_{verdict}", "high")
    return given


def test_agents_rate_by_tag_and_on_the_page_once_each(desk: Desk, tmp_path: Path) -> None:
    ids = desk.create([NewTicket(*BODIES[i % len(BODIES)]) for i in range(20)])
    assert invoke("run", "--engine", "rules").exit_code == 0

    given = _tag_all(desk, ids)
    assert invoke("run", "--engine", "rules").exit_code == 0
    _tag_all(desk, ids)  # added again (the ticket changed again): the same ratings
    assert invoke("run", "--engine", "rules").exit_code == 0
    tagged = [r for r in _stored() if r["source"] == "tag"]
    assert sorted((r["ticket_id"], r["verdict"]) for r in tagged) == sorted(given.items())

    with start_dashboard(env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)
        first = client.get(f"/tickets/{ids[0]}").text
        category = re.search(r'<span class="pill cat">([^<]+)</span>', first)
        assert category is not None
        other = next(c for c in ("billing", "refund", "shipping") if c != category.group(1))
        for i, tid in enumerate(ids):
            verdict = VERDICTS[(i + 1) % 3]
            value = other if tid == ids[0] else ""
            verdict = "wrong_category" if tid == ids[0] else verdict
            for _click in range(2):  # a double click
                assert (
                    rate(client, tid, "analysis", verdict, reason="checked by hand", value=value)
                    == 303
                )
        forged = client.post(
            f"/tickets/{ids[1]}/ratings",
            data={"target": "analysis", "item": "", "verdict": "helped"},
        )
        assert forged.status_code == 403
        unknown = rate(client, ids[1], "analysis", "perhaps")
        assert unknown == 400
        page = client.get(f"/tickets/{ids[0]}").text
        shown = re.findall(r'<li data-verdict="(\w+)" data-source="(\w+)">', page)
        assert ("wrong_category", "dashboard") in shown
        assert (given[ids[0]], "tag") in shown
        assert f"(should be {other})" in page

    on_page = [r for r in _stored() if r["source"] == "dashboard"]
    assert len(on_page) == 20
    assert sorted(r["ticket_id"] for r in on_page) == sorted(ids)
    assert {r["rater"] for r in on_page} == {"lead"}

    report = invoke("report", "--json", "--since", "1d")
    assert report.exit_code == 0, report.output
    agents = json.loads(report.output)["ratings"]["agents"]
    everything = [*tagged, *on_page]
    for verdict in VERDICTS:
        assert agents[verdict] == sum(1 for r in everything if r["verdict"] == verdict)
    assert agents["by_source"]["tag"]["helped"] == sum(1 for v in given.values() if v == "helped")

    out = tmp_path / "reviews.jsonl"
    exported = invoke("dashboard", "--export-reviews", str(out))
    assert exported.exit_code == 0, exported.output
    labelled = {row.id: row.labels for row in load_labelled(out)}
    assert labelled[str(ids[0])]["category"] == other
