"""The helpdesk contract: what every registered kind must do for ticketbot, shown on Zendesk,
on Freshdesk and on a third kind defined only in the tests (``support/third_kind``: an
in-memory helpdesk), which reaches the package through the registry alone (``register``).

Each kind is served fresh as a test desk (``sandbox/desks.serve_desk``) and driven through the
CLI and the server as a user would: a run triages its new tickets, a delivery to ``serve``
triages the ticket it names, a revert takes a run's writes off again. The third kind lacks
incident linking and answers; a run with both on says so once each and triages all the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.serving import delivery_for, serve_env, serving
from support.third_kind.kind import KIND as TINYDESK

from ticket_processor.helpdesks.registry import KINDS, register, unregister
from ticket_processor.sandbox.desks import Desk, NewTicket, serve_desk

KIND_NAMES = (*KINDS, TINYDESK.name)
ANSWERS = '[categories.billing]\nmode = "draft"\n'  # answers on, for one category
TICKETS = [
    NewTicket("Refund please", "I was charged twice for my order, please refund me."),
    NewTicket("Cannot log in", "Login fails with an error since this morning."),
]


@pytest.fixture(params=KIND_NAMES)
def kind_desk(request: pytest.FixtureRequest) -> Iterator[Desk]:
    """A fresh desk of each kind; the third kind registered for the test only."""
    register(TINYDESK)
    try:
        with serve_desk(KINDS[request.param], unlimited=True) as running:
            yield running
    finally:
        unregister(TINYDESK.name)


def _point_at(desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    env = {
        **desk.env(),
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "logs"


def _run_id(log_dir: Path) -> str:
    finished = [e for e in events(log_dir) if e["event"] == "run_finished"]
    return str(finished[-1]["run_id"])


def test_a_run_triages_each_new_ticket_once(
    kind_desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    desk = kind_desk
    _point_at(desk, monkeypatch, tmp_path)
    ids = desk.create(TICKETS)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    for ticket_id in ids:
        seen = desk.snapshot(ticket_id)
        assert "ai_processed" in seen.tags, seen
        assert len(seen.notes) == 1, seen
    again = invoke("run", "--engine", "rules")
    assert again.exit_code == 0, again.output
    assert [len(desk.snapshot(i).notes) for i in ids] == [1, 1]


def test_a_revert_takes_a_runs_writes_off(
    kind_desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    desk = kind_desk
    log_dir = _point_at(desk, monkeypatch, tmp_path)
    ids = desk.create(TICKETS)
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    done = invoke("revert", "--run", _run_id(log_dir))
    assert done.exit_code == 0, done.output
    for ticket_id in ids:
        seen = desk.snapshot(ticket_id)
        # The marker stays (the next run does not triage it again); the rest comes off.
        assert seen.tags == ["ai_processed"], seen


def test_a_delivery_to_serve_triages_its_ticket(kind_desk: Desk, tmp_path: Path) -> None:
    desk = kind_desk
    with serving(serve_env(desk.env(), tmp_path)) as running:
        [ticket_id] = desk.create(TICKETS[:1])
        body, headers = delivery_for(desk.kind, ticket_id)
        answer = running.deliver(desk.kind, body, headers)
        assert answer.status_code == 200, answer.text
        running.drained()
        refused = running.deliver(desk.kind, body, {"Content-Type": "application/json"})
        assert refused.status_code == 401, refused.text
    seen = desk.snapshot(ticket_id)
    assert len(seen.notes) == 1, seen


def test_a_kind_without_incidents_or_answers_says_so_once_and_triages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    register(TINYDESK)
    try:
        with serve_desk(TINYDESK) as desk:
            log_dir = _point_at(desk, monkeypatch, tmp_path)
            (tmp_path / "answers.toml").write_text(
                '[categories.billing]\nmode = "draft"\n', "utf-8"
            )
            monkeypatch.setenv("TICKETBOT_ANSWERS", str(tmp_path / "answers.toml"))
            monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
            ids = desk.create(TICKETS)
            ran = invoke("run", "--engine", "rules")
            assert ran.exit_code == 0, ran.output
            assert all(len(desk.snapshot(i).notes) == 1 for i in ids)
    finally:
        unregister(TINYDESK.name)
    said = [str(e) for e in events(log_dir)]
    assert sum("tinydesk cannot post answers" in line for line in said) == 1, said
    assert sum("tinydesk cannot link tickets" in line for line in said) == 1, said
