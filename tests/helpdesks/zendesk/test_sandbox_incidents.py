"""The sandbox serves what grouping many tickets needs, as Zendesk does, to zenpy unchanged: the
Ticket Import API (own dates, status and comments; placed in the incremental export at the
import), problem and incident tickets (``type``, ``problem_id``, a problem's incidents) and
the merge endpoint."""

from __future__ import annotations

import time
from typing import Any

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox


@pytest.fixture
def zp(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{sandbox.port}")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    client = Zenpy(subdomain="x", email=sandbox.config.email, token=sandbox.config.token)
    client.disable_caching()
    return client


def wait_job(zp: Any, job_id: str) -> Any:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        job = zp.job_status(id=job_id)
        if job.status == "completed":
            return job
        time.sleep(0.005)
    raise AssertionError(f"job {job_id} did not complete")


def test_import_keeps_dates_and_enters_the_export_at_the_import(
    zp: Any, sandbox: RunningSandbox
) -> None:
    before_import = int(time.time()) - 1
    old = Ticket(
        subject="Old question",
        status="solved",
        requester_id=4242,
        created_at="2026-01-02T03:04:05Z",
        updated_at="2026-01-03T00:00:00Z",
        comments=[
            Comment(value="How do I reset it?", created_at="2026-01-02T03:04:05Z"),
            Comment(value="Done, thanks", public=False, created_at="2026-01-02T05:00:00Z"),
        ],
    )
    imported = zp.ticket_import.create(old)
    stored = sandbox.store.get(imported.id)
    assert (stored["created_at"], stored["updated_at"]) == (
        "2026-01-02T03:04:05Z",
        "2026-01-03T00:00:00Z",
    )
    assert stored["status"] == "solved"
    comments = sandbox.store.comments(imported.id)
    assert [c["created_at"] for c in comments] == ["2026-01-02T03:04:05Z", "2026-01-02T05:00:00Z"]
    assert stored["description"] == "How do I reset it?"
    many = [
        Ticket(subject=f"imp {i}", created_at="2026-01-05T00:00:00Z", comments=[Comment(value="b")])
        for i in range(3)
    ]
    job = wait_job(zp, zp.ticket_import.create(many).id)
    ids = [r.id for r in job.results]
    assert len(ids) == 3
    # The export from just before the import holds them all, whatever their created_at.
    exported = [t.id for t in zp.tickets.incremental(start_time=before_import)]
    assert exported == [imported.id, *ids]
    with pytest.raises(APIException):
        zp.ticket_import.create(Ticket(subject="no body"))


def test_problem_incidents_and_merge(zp: Any, sandbox: RunningSandbox) -> None:
    problem = zp.tickets.create(Ticket(subject="Checkout down", description="500")).ticket
    a = zp.tickets.create(Ticket(subject="checkout error", description="x")).ticket
    b = zp.tickets.create(Ticket(subject="cannot pay", description="y")).ticket
    with pytest.raises(APIException):  # not a problem yet
        zp.tickets.update(Ticket(id=a.id, type="incident", problem_id=problem.id))
    zp.tickets.update(Ticket(id=problem.id, type="problem"))
    zp.tickets.update(Ticket(id=a.id, type="incident", problem_id=problem.id))
    zp.tickets.update(Ticket(id=b.id, type="incident", problem_id=problem.id))
    assert sorted(t.id for t in zp.tickets.incidents(problem.id)) == [a.id, b.id]
    assert zp.tickets(id=problem.id).has_incidents is True
    zp.tickets.update(Ticket(id=b.id, type="question"))  # no longer an incident: unlinked
    assert [t.id for t in zp.tickets.incidents(problem.id)] == [a.id]
    assert sandbox.store.get(b.id)["problem_id"] is None

    job = wait_job(zp, zp.tickets.merge(a.id, [b.id], source_comment="merged").id)
    assert [r.success for r in job.results] == [True]
    assert sandbox.store.get(b.id)["status"] == "closed"
    assert sandbox.store.comments(b.id)[-1]["body"] == "merged"
    assert "#" + str(b.id) in sandbox.store.comments(a.id)[-1]["body"]
