"""``ticketbot dashboard`` over a store a real run filled, on each sandbox: the real command on
port 0 (uvicorn), spoken to over HTTP. The list's rows and filters match what the run logged;
a ticket's page shows its history and its helpdesk link; hostile subjects are text; a write
without the CSRF token or from another origin is refused; accepting a suggestion writes the
helpdesk through the run's path (revertible), moves the agreement figure and exports as a
labelled example."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from markupsafe import escape
from support.cli import invoke
from support.dashboard import (
    IMG,
    LINK,
    SCRIPT,
    TOKEN,
    bearer,
    calibrated_model,
    csrf_of,
    fill,
    rows_of,
    start_dashboard,
    triaged,
)

from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.sandbox.desks import Desk

pytestmark = [pytest.mark.desk(configure=True), pytest.mark.slow]


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return calibrated_model(tmp_path_factory.mktemp("dashboard-model"))


def test_the_dashboard_over_a_real_run(
    desk: Desk, model: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = fill(desk, monkeypatch, model)
    logged = triaged(tmp_path / "logs")
    suggested = [i for i in ids if logged[i]["decisions"].get("category") == "suggest"]
    applied = [i for i in ids if logged[i]["decisions"].get("category") == "apply"]
    assert suggested, "the run must suggest some categories"
    assert applied, "and apply others"
    with start_dashboard("--review", env={"TICKETBOT_DASHBOARD_TOKEN": TOKEN}) as url:
        client = httpx.Client(base_url=url, headers=bearer(), timeout=30)

        # Every ticket a row: its id, its subject (as text) and its category.
        listed = rows_of(client.get("/tickets").text)
        assert set(ids) <= set(listed)
        for ticket_id in ids:
            row = listed[ticket_id]
            assert f"#{ticket_id}" in row
            assert logged[ticket_id]["category"] in row
        # Filters are the URL's: one category, then only the suggested ones.
        category = logged[suggested[0]]["category"]
        want = {i for i in ids if logged[i]["category"] == category}
        page = client.get("/tickets", params={"category": category})
        assert set(rows_of(page.text)) == want
        page = client.get("/tickets", params={"category": category, "decision": "suggested"})
        assert set(rows_of(page.text)) == want & set(suggested)
        assert set(rows_of(client.get("/tickets?decision=applied").text)) == set(applied)
        bad = client.get("/tickets?decision=perhaps")
        assert "decision: &#39;perhaps&#39; is not one of" in bad.text

        # Hostile subjects are shown as text, under a CSP that runs no inline script.
        everything = client.get("/tickets")
        assert everything.headers["content-security-policy"].startswith("default-src 'self'")
        for hostile in (SCRIPT, IMG):
            assert hostile not in everything.text
            assert escape(hostile) in everything.text
        assert f'href="{LINK}' not in everything.text

        # A ticket's page: its history, the link to the helpdesk.
        first = suggested[0]
        ticket = client.get(f"/tickets/{first}")
        assert ticket.status_code == 200
        assert 'data-kind="triage"' in ticket.text
        assert "first triage" in ticket.text
        assert str(logged[first]["ticket_url"]) in ticket.text
        assert '<pre class="note" data-note>ticketbot triage (' in ticket.text  # as written
        # Its risk of ending badly, as the run scored it (the latest in the header, each
        # triage's own in the history).
        assert f">risk {logged[first]['risk']}</span>" in ticket.text
        assert f"<dt>risk</dt><dd>{logged[first]['risk']}" in ticket.text
        assert client.get("/tickets/999999").status_code == 404

        # Writes: the CSRF token of the sign-in, from the dashboard's own origin.
        queue = client.get("/review")
        token = csrf_of(queue.text)
        item = f"{_decision_id(queue.text, first)}:category"
        before = desk.snapshot(first)
        refused = client.post("/review", data={"accept": item})
        assert refused.status_code == 403
        refused = client.post(
            "/review",
            data={"accept": item, "csrf": token},
            headers={"origin": "http://evil.example"},
        )
        assert refused.status_code == 403
        assert desk.snapshot(first).tags == before.tags

        agreement = _agreement(client.get("/").text)
        accepted = client.post(
            "/review", data={"accept": item, "csrf": token}, headers={"origin": url}
        )
        assert accepted.status_code == 303, accepted.text
        done = client.get(accepted.headers["location"]).text
        assert "written (run " in done
        after = desk.snapshot(first)
        assert f"ai_category_{category}" in after.tags
        assert "ai_suggested_category" not in after.tags
        assert _agreement(client.get("/").text) != agreement
        history = client.get(f"/tickets/{first}").text
        assert 'data-kind="review"' in history
        assert "accepted category" in history
        assert "data-note>ticketbot review (run " in history  # the review's own note
        # Once reviewed, it waits no more; a second accept writes nothing.
        again = client.post(
            "/review", data={"accept": item, "csrf": token}, headers={"origin": url}
        )
        assert "reviewed already" in client.get(again.headers["location"]).text

    # The review is a labelled example for `learn`, and `revert --run` undoes it.
    out = tmp_path / "reviewed.jsonl"
    exported = invoke("dashboard", "--export-reviews", str(out))
    assert exported.exit_code == 0, exported.output
    [example] = load_labelled(out)
    assert example.id == str(first)
    assert example.labels == {"category": category}
    review_run = done.split("written (run ")[1].split(")")[0]
    reverted = invoke("revert", "--run", review_run)
    assert reverted.exit_code == 0, reverted.output
    restored = desk.snapshot(first)
    assert f"ai_category_{category}" not in restored.tags
    assert "ai_suggested_category" in restored.tags


def _decision_id(queue: str, ticket_id: int) -> str:
    import re

    found = re.search(
        rf'data-ticket-id="{ticket_id}" data-field="category">.*?value="(\d+):category"',
        queue,
        re.S,
    )
    assert found is not None, f"ticket {ticket_id} is not in the review queue"
    return found.group(1)


def _agreement(overview: str) -> str:
    import re

    found = re.search(r'data-agreement="category">([^<]*)<', overview)
    return found.group(1) if found else "none"
