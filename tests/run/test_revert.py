"""`ticketbot revert --run RUN_ID`: the run's tags come off, priorities it set go back, one
note says so, and whatever a person changed since is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import (
    Analysis,
    Helpdesk,
    Sentiment,
    Ticket,
    Triage,
    Urgency,
    WriteBack,
    WriteOutcome,
)
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.state.ledger import RunLedger
from ticket_processor.tags import (
    RunWrites,
    is_revert_note,
    is_triage_note,
    render_note,
    standing_note,
)
from ticket_processor.writeback.revert import (
    apply_revert,
    describe_revert,
    plan_revert,
    writes_of_run,
)

pytestmark = pytest.mark.sandbox(seed=5)


def test_revert_undoes_one_run_where_nobody_changed_it(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log_dir = configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    ids = create(
        sandbox,
        [
            {"subject": "Site down", "comment": {"body": "Outage: nobody can log in, urgent."}},
            {"subject": "Refund", "comment": {"body": "Please refund my order."}, "tags": ["vip"]},
            {"subject": "Idea", "comment": {"body": "Please add a dark mode."}},
        ],
    )
    before = {i: dict(sandbox.store.get(i)) for i in ids}
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    [finished] = [e for e in events(log_dir) if e["event"] == "run_finished"]
    run_id = finished["run_id"]
    # An agent changes the first ticket's priority after the run: that must survive the revert.
    sandbox.store.update(ids[0], {"priority": "low"})

    shown = invoke("revert", "--run", run_id, "--dry-run")
    assert shown.exit_code == 0, shown.output
    assert "3 to revert" in shown.output
    assert all(sandbox.store.get(i)["tags"] != before[i]["tags"] for i in ids)  # nothing written

    done = invoke("revert", "--run", run_id)
    assert done.exit_code == 0, done.output
    for ticket_id in ids:
        after = sandbox.store.get(ticket_id)
        ours = set(after["tags"]) - set(before[ticket_id]["tags"])
        assert ours == {"ai_processed"}, (ticket_id, ours)  # the marker stays: no re-triage
        assert set(before[ticket_id]["tags"]) <= set(after["tags"])  # the agent's tags stay
        reverted = [
            c for c in sandbox.store.comments(ticket_id) if "was reverted" in str(c["body"])
        ]
        assert len(reverted) == 1
        assert not reverted[0]["public"]
    assert sandbox.store.get(ids[0])["priority"] == "low"  # the agent's change is kept
    for ticket_id in ids[1:]:
        assert sandbox.store.get(ticket_id)["priority"] == before[ticket_id]["priority"]

    again = invoke("revert", "--run", run_id)
    assert again.exit_code == 0, again.output
    assert "0 to revert" in again.output  # nothing of the run is left


def test_revert_of_an_unknown_run_is_a_clear_error(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9/v1")
    result = invoke("revert", "--run", "no-such-run")
    assert result.exit_code == 2
    assert "no triaged tickets of run 'no-such-run'" in result.output


def test_revert_lists_each_tag_once_and_its_note_ends_what_stands() -> None:
    """A log from a version that planned ``ai_kb_suggested`` twice still yields one removal;
    the revert's note is no triage note, and after it the triage's labels no longer stand."""
    event = {
        "event": "ticket_triaged",
        "run_id": "r1",
        "ticket_id": 5,
        "dry_run": False,
        "tags_added": ["ai_processed", "ai_kb_suggested", "ai_category_billing", "ai_kb_suggested"],
        "priority": None,
        "previous_priority": None,
        "group_id": None,
        "previous_group_id": None,
    }
    (wrote,) = writes_of_run([event], "r1")
    assert wrote.tags_added == ("ai_processed", "ai_kb_suggested", "ai_category_billing")
    ticket = Ticket(id=5, tags=("vip", "ai_processed", "ai_kb_suggested", "ai_category_billing"))
    plan = plan_revert("r1", [wrote], {5: ticket}, prefix="ai_")
    (change,) = plan.changes
    assert change.remove_tags == ("ai_kb_suggested", "ai_category_billing")
    assert change.note is not None
    assert change.note.count("ai_kb_suggested") == 1
    assert "was reverted" in change.note
    assert is_revert_note(change.note)
    assert not is_triage_note(change.note)
    triaged = render_note(
        Triage(
            analysis=Analysis(
                category="billing",
                urgency=Urgency.LOW,
                sentiment=Sentiment.NEUTRAL,
                language="en",
                summary="Invoice.",
                confidence=0.9,
            ),
            engine="rules",
        ),
        priority=None,
        run_id="r1",
    )
    assert standing_note([triaged, change.note]) is None


def write(helpdesk: Helpdesk, ledger: RunLedger, changes: list[WriteBack]) -> None:
    """Write ``changes`` as planned (Freshdesk re-plans every change on a fresh read)."""
    by_id = {c.ticket_id: c for c in changes}
    failed: list[WriteOutcome] = []

    def report(outcome: WriteOutcome) -> None:
        if outcome.error is not None or outcome.writeback is None:
            failed.append(outcome)

    helpdesk.write_batch(changes, replan=lambda t: by_id.get(t.id), journal=ledger, report=report)
    assert not failed, failed


@pytest.mark.desk
def test_revert_takes_back_a_group_the_run_set_where_there_was_none(
    desk: Desk, tmp_path: Path
) -> None:
    settings = load_settings(desk.env(), env_file=None, overrides={"state_dir": tmp_path})
    ledger = RunLedger(tmp_path)
    billing = desk.group("Billing")
    kept, changed = desk.create([NewTicket("Refund", "Refund me"), NewTicket("Bill", "Twice")])
    helpdesk = connect(settings)
    try:
        # What a routed run wrote: a group on two tickets that had none.
        routed = [
            WriteBack(ticket_id=i, additional_tags=("ai_x",), group_id=billing)
            for i in (kept, changed)
        ]
        write(helpdesk, ledger, routed)
        other = desk.group("Security")  # then an agent moves one ticket on
        write(helpdesk, ledger, [WriteBack(ticket_id=changed, additional_tags=(), group_id=other)])
        tickets = {t.id: t for t in helpdesk.tickets([kept, changed])}
        writes = [
            RunWrites(i, ("ai_x",), None, None, group_id=billing, previous_group_id=None)
            for i in (kept, changed)
        ]
        plan = plan_revert("r1", writes, tickets, prefix="ai_")
        shown = {c.ticket_id: describe_revert(c, tickets[c.ticket_id]) for c in plan.changes}
        assert f"group {billing} → none" in shown[kept]
        assert "priority kept" in shown[kept]
        assert "group kept" in shown[changed]  # someone moved it since: theirs stands
        apply_revert(helpdesk, ledger, plan)
        after = {t.id: t for t in helpdesk.tickets([kept, changed])}
    finally:
        helpdesk.close()
    assert after[kept].group_id is None
    assert after[changed].group_id == other
    assert "ai_x" not in after[kept].tags


def test_the_revert_note_and_line_name_fields_as_agents_see_them() -> None:
    event = {
        "event": "ticket_triaged",
        "run_id": "r1",
        "ticket_id": 5,
        "dry_run": False,
        "tags_added": ["ai_processed", "ai_category_billing"],
        "fields_set": {"360000001": "ORD-222333", "360000002": "product_mobile_app"},
    }
    (wrote,) = writes_of_run([event], "r1")
    ticket = Ticket(
        id=5,
        tags=("ai_processed", "ai_category_billing"),
        custom_fields={"360000001": "ORD-222333", "360000002": "product_mobile_app"},
    )
    titles = {"360000001": "Order number", "360000002": "Product"}
    plan = plan_revert("r1", [wrote], {5: ticket}, prefix="ai_", field_titles=titles)
    (change,) = plan.changes
    assert change.note is not None
    assert "fields Order number, Product restored" in change.note
    assert "360000001" not in change.note
    assert "fields emptied: Order number, Product" in describe_revert(change, ticket, titles)
