"""A ticket's page after a dry run and after ``revert``, on each sandbox, through the real
``ticketbot dashboard`` over the store real runs wrote.

A dry run sent nothing: its planned answer is shown as planned by a dry run, never as sent,
also after a later real run sent the same ticket an answer. After ``revert`` the header no
longer shows the reverted run's category as the ticket's, and says the run was taken back.
"""

from __future__ import annotations

import re

import httpx
import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.dashboard import start_dashboard

from ticket_processor.sandbox.desks import Desk


def header(page: str) -> str:
    found = re.search(r"<h1[^>]*>.*?</p>\s*(?:<p class=\"pills\">.*?</p>)", page, re.S)
    assert found is not None, page
    return found.group(0)


def run(*args: str, mode: str) -> str:
    result = invoke("run", "--engine", "rules", *args, env={"TICKETBOT_ANSWER_MODE": mode})
    assert result.exit_code == 0, result.output
    found = re.search(r"ticketbot run (\S+):", result.output)
    assert found is not None, result.output
    return found.group(1)


def summaries(page: str) -> list[str]:
    return re.findall(r"<summary>Answer[^<]*</summary>", page)


@pytest.mark.desk(configure=True)
def test_a_dry_runs_answer_is_never_shown_as_sent(desk: Desk) -> None:
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    run(mode="off")  # a first real run: the state directory exists, dry runs are stored
    ids = create_tickets(desk, cases[:6])
    run("--dry-run", mode="send")
    assert outbox(desk) == []
    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        dry = {i: summaries(client.get(f"/tickets/{i}").text) for i in ids}
    planned = [i for i, found in dry.items() if found]
    assert planned, "the dry run must plan at least one answer"
    for i in planned:
        assert dry[i] == ["<summary>Answer planned by a dry run (not sent)</summary>"], dry[i]

    run(mode="send")  # the real run sends them: the dry run's plan is still the dry run's
    sent = {m["ticket_id"] for m in outbox(desk)}
    assert set(planned) <= sent
    with start_dashboard() as url:
        client = httpx.Client(base_url=url, timeout=30)
        after = {i: summaries(client.get(f"/tickets/{i}").text) for i in planned}
    for i in planned:
        assert after[i] == [
            "<summary>Answer planned by a dry run (not sent)</summary>",
            "<summary>Answer sent</summary>",
        ], after[i]


@pytest.mark.desk(configure=True)
def test_the_header_after_revert_shows_no_reverted_value(desk: Desk) -> None:
    publish_help_centre(desk)
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"]
    ids = create_tickets(desk, cases[:2])
    run_id = run(mode="off")
    with start_dashboard() as url:
        before = header(httpx.get(f"{url}/tickets/{ids[0]}", timeout=30).text)
    category = re.search(r'<span class="pill cat">([a-z_]+)</span>', before)
    assert category is not None, before
    assert 'id="reverted"' not in before

    undone = invoke("revert", "--run", run_id)
    assert undone.exit_code == 0, undone.output
    assert f"ai_category_{category.group(1)}" not in desk.snapshot(ids[0]).tags
    with start_dashboard() as url:
        page = httpx.get(f"{url}/tickets/{ids[0]}", timeout=30).text
    top = header(page)
    assert f'<span class="pill cat">{category.group(1)}</span>' not in top, top
    assert f"reverted: run {run_id} was taken back" in top, top
    assert f"reverted run {run_id}" in page  # the history keeps what the run did and its revert
