"""The real Zendesk client, zenpy, runs a full scenario against the sandbox.

zenpy builds ``https://{subdomain}.zendesk.com`` URLs; ``ZENPY_FORCE_NETLOC`` and
``ZENPY_FORCE_SCHEME`` point it at the sandbox instead. If the sandbox drifted from Zendesk's
shapes (pagination keys, job statuses, cursor export fields), zenpy would fail here.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from zenpy import Zenpy
from zenpy.lib.api_objects import Comment, Ticket
from zenpy.lib.exception import APIException, RecordNotFoundException

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox


@pytest.fixture
def zenpy_client(sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", f"127.0.0.1:{sandbox.port}")
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    client = Zenpy(subdomain="x", email=sandbox.config.email, token=sandbox.config.token)
    client.disable_caching()  # read what the sandbox holds, not zenpy's object cache
    return client


def wait_job(zp: Any, job_id: str) -> Any:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        job = zp.job_status(id=job_id)
        if job.status == "completed":
            return job
        time.sleep(0.005)
    raise AssertionError(f"job {job_id} did not complete")


def test_zenpy_scenario(zenpy_client: Any, sandbox: RunningSandbox) -> None:
    zp = zenpy_client

    # create, one and many
    audit = zp.tickets.create(
        Ticket(subject="Card charged twice", description="Refund please", priority="high")
    )
    first = audit.ticket
    assert (first.status, first.priority) == ("new", "high")
    job = zp.tickets.create([Ticket(subject=f"bulk {i}", description="body") for i in range(3)])
    assert job.status == "queued"
    done = wait_job(zp, job.id)
    bulk_ids = [r.id for r in done.results]
    assert len(bulk_ids) == 3
    assert all(sandbox.store.get(i)["subject"].startswith("bulk") for i in bulk_ids)

    # list, search, incremental export
    assert [t.id for t in zp.tickets()] == [first.id, *bulk_ids]
    found = zp.search("type:ticket status<solved", sort_by="created_at", sort_order="asc")
    assert [t.id for t in found] == [first.id, *bulk_ids]
    assert [t.id for t in zp.search(type="ticket", tags="nothing")] == []
    exported = zp.tickets.incremental(start_time=0)
    assert [t.id for t in exported] == [first.id, *bulk_ids]

    # update with an internal note
    first.priority = "urgent"
    first.comment = Comment(body="AI triage: billing", public=False)
    updated = zp.tickets.update(first).ticket
    assert updated.priority == "urgent"
    notes = [(c.body, c.public) for c in zp.tickets.comments(first.id)]
    assert notes == [("Refund please", True), ("AI triage: billing", False)]

    # tags: add, set, remove
    list(zp.tickets.add_tags(first.id, ["VIP", "billing"]))
    assert sandbox.store.get(first.id)["tags"] == ["vip", "billing"]
    list(zp.tickets.set_tags(first.id, ["a", "b"]))
    assert sandbox.store.get(first.id)["tags"] == ["a", "b"]
    list(zp.tickets.delete_tags(first.id, ["a"]))
    assert list(zp.tickets.tags(first.id)) == ["b"]

    # update many + job status
    second, third = (zp.tickets(id=i) for i in bulk_ids[:2])
    second.priority, third.priority = "low", "normal"
    job = zp.tickets.update([second, third])
    results = wait_job(zp, job.id).results
    assert [(r.id, r.status) for r in results] == [(second.id, "Updated"), (third.id, "Updated")]
    assert sandbox.store.get(second.id)["priority"] == "low"
    assert sandbox.store.get(third.id)["priority"] == "normal"

    # the incremental export shows the changed tickets again after its cursor
    assert {t.id for t in zp.tickets.incremental(start_time=0)} == {first.id, *bulk_ids}


def test_zenpy_pages_through_more_than_one_page(zenpy_client: Any, sandbox: RunningSandbox) -> None:
    ids = [sandbox.store.create({"subject": f"t{i}", "comment": "b"})["id"] for i in range(230)]
    zp = zenpy_client
    assert [t.id for t in zp.tickets()] == ids
    searched = zp.search("type:ticket", sort_by="created_at", sort_order="asc")
    assert [t.id for t in searched] == ids
    assert [t.id for t in zp.tickets.incremental(start_time=0, per_page=100)] == ids
    requests_made = sandbox.stats()["requests"]
    assert requests_made["GET /api/v2/tickets"] == 3
    assert requests_made["GET /api/v2/search"] == 3
    assert requests_made["GET /api/v2/incremental/tickets/cursor"] == 3


def test_zenpy_sees_zendesk_errors(zenpy_client: Any) -> None:
    with pytest.raises(RecordNotFoundException):
        zenpy_client.tickets(id=424242)
    ticket = zenpy_client.tickets.create(Ticket(subject="x", description="y")).ticket
    ticket.priority = "whenever"
    with pytest.raises(APIException, match="RecordInvalid"):
        zenpy_client.tickets.update(ticket)
