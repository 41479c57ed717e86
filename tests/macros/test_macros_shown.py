"""Where suggested macros show beside the note: the audit store's row of the written ticket (its
decision's ``event``, on the embedded store and on PostgreSQL), the dashboard's ticket page, the
triage API's answer, and the note in the agent's language.

The history is a small part of the committed BANKING77 sample (CC BY 4.0,
``tests/data/README.md``), put on the sandbox as ``test_macros_on_desks`` does.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS31Validator
from support.cli import command, invoke
from support.macros_desk import answered_history, post_macro, sample
from support.serving import TOKEN, serve_env, serving

from ticket_processor.dashboard.access import Access
from ticket_processor.dashboard.server import serve_in_thread
from ticket_processor.dashboard.web import DashboardConfig, build_app
from ticket_processor.run.audit import open_store
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.writeback.note import read_note

macros_cli = command("macros")
DATA = Path(__file__).resolve().parents[1] / "data"


def _synced(desk_kind: str, desk: Desk, *, title: str | None = None) -> dict[str, Any]:
    """Macros and a history on the desk and a sync: the first macro's id and title, and a
    text of its kind that the history did not use."""
    macros, rows = sample(with_macro=4, without=2, per_intent=10)
    intent = next(iter(macros))
    if title is not None:  # the first macro under another title, its text as it was
        macros[intent] = (title, macros[intent][1])
    ids = {kind: post_macro(desk_kind, desk, *macro) for kind, macro in macros.items()}
    answered_history(desk, macros, rows)
    synced = macros_cli("sync")
    assert synced.exit_code == 0, synced.output
    used = {r["id"] for r in rows}
    tickets = [json.loads(line) for line in (DATA / "macros_banking77_tickets.jsonl").open()]
    asked = next(r["text"] for r in tickets if r["intent"] == intent and r["id"] not in used)
    return {"id": ids[intent], "title": macros[intent][0], "asked": asked}


def _run_with_macros(desk_kind: str, desk: Desk, *, title: str | None = None) -> dict[str, Any]:
    """``_synced``, then a new ticket of the first macro's kind and a run: with the ticket and
    the note the run wrote."""
    ran = _synced(desk_kind, desk, title=title)
    [ticket_id] = desk.create([NewTicket("", ran["asked"])])
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    [note] = desk.snapshot(ticket_id).notes
    return {**ran, "ticket": ticket_id, "note": note}


def _stored_macros(ticket_id: int) -> list[dict[str, Any]]:
    with open_store(load_settings(dict(os.environ))) as store:
        history = store.ticket_history(ticket_id)
    written = [d for d in history.decisions if d.status == "written"]
    assert written, [d.status for d in history.decisions]
    return list((written[-1].event or {}).get("macros") or [])


def _check_kept(ran: dict[str, Any]) -> None:
    kept = _stored_macros(ran["ticket"])
    assert kept, "the written ticket's row lost its suggested macros"
    assert kept[0]["id"] == ran["id"]
    assert kept[0]["title"] == ran["title"]
    confidences = [m["confidence"] for m in kept]
    assert confidences == sorted(confidences, reverse=True)  # best first
    assert f"(macro {ran['id']}, confidence {kept[0]['confidence']:.2f})" in ran["note"]
    # The log's event carries them too (``audit import`` rebuilds the row from it), but still
    # neither the subject nor a drafted answer.
    logged = [
        json.loads(line)
        for path in Path(os.environ["TICKETBOT_LOG_DIR"]).glob("*.jsonl")
        for line in path.open()
        if '"ticket_triaged"' in line
    ]
    [event] = [e for e in logged if e.get("ticket_id") == ran["ticket"]]
    assert event["macros"] == kept
    assert "subject" not in event
    assert "answer" not in event


@pytest.mark.desk(seed=None, configure=True)
def test_the_written_tickets_row_keeps_its_suggested_macros(desk_kind: str, desk: Desk) -> None:
    _check_kept(_run_with_macros(desk_kind, desk))


@pytest.mark.postgres
@pytest.mark.desk(kinds=("zendesk",), seed=None, configure=True)
def test_postgresql_keeps_them_too(
    desk_kind: str, desk: Desk, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", postgres_url)
    _check_kept(_run_with_macros(desk_kind, desk))


@pytest.mark.desk(seed=None, configure=True)
def test_a_german_agents_note_lists_them_in_german(
    desk_kind: str, desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_AGENT_LANGUAGE", "de")
    ran = _run_with_macros(desk_kind, desk)
    lines = ran["note"].splitlines()
    assert "Suggested macros:" not in lines
    first = lines.index("Vorgeschlagene Makros:") + 1
    assert re.match(
        rf"- {re.escape(ran['title'])} \(Makro {ran['id']}, Konfidenz [01]\.\d\d\)$", lines[first]
    )
    assert read_note(ran["note"]) is not None  # the trailer is still last, still trusted


HOSTILE = '<script>alert("x")</script> Card arrival & tracking'


@pytest.mark.desk(seed=None, configure=True)
def test_the_ticket_page_lists_them_escaped(desk_kind: str, desk: Desk) -> None:
    ran = _run_with_macros(desk_kind, desk, title=HOSTILE)
    settings = load_settings(dict(os.environ))
    config = DashboardConfig(open_store=lambda: open_store(settings), access=Access(token=None))
    with serve_in_thread(build_app(config)) as url:
        page = httpx.get(f"{url}/tickets/{ran['ticket']}", timeout=60)
    assert page.status_code == 200, page.text
    section = page.text.split('id="macros"', 1)[1].split("</section>", 1)[0]
    assert "<script>" not in page.text.split('id="macros"', 1)[1]
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Card arrival &amp; tracking" in section
    assert f"macro {ran['id']}" in section


@pytest.mark.desk(seed=None, configure=True, unlimited=True)
def test_the_triage_api_answers_them_best_first(desk_kind: str, desk: Desk, tmp_path: Path) -> None:
    synced = _synced(desk_kind, desk, title=HOSTILE)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    with serving(serve_env(desk.env(), tmp_path)) as server:
        url = f"{server.url}/api/v1/triage"
        asked = {"subject": "", "description": synced["asked"]}
        answer = server.client.post(url, json=asked, headers=auth)
        assert answer.status_code == 200, answer.text
        found = answer.json()
        schema = server.client.get(f"{server.url}/openapi.json").json()
    macros = found["macros"]
    assert 1 <= len(macros) <= 3
    assert macros[0] == {**macros[0], "id": synced["id"], "title": HOSTILE}  # exact, as JSON
    confidences = [m["confidence"] for m in macros]
    assert confidences == sorted(confidences, reverse=True)
    OAS31Validator(
        {**schema["components"]["schemas"]["TriageAnswer"], "components": schema["components"]}
    ).validate(found)
    assert "MacroAnswer" in schema["components"]["schemas"]
