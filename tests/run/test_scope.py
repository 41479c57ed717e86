"""TICKETBOT_SCOPE, the opt-out tag, and re-triaging chosen tickets."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events, notes

from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Ticket
from ticket_processor.writeback.scope import choose, parse_scope


def test_scope_admits_only_what_matches_every_key() -> None:
    scope = parse_scope("group=7, 8; channel=email", prefix="ai_")
    assert scope.admits(Ticket(id=1, group_id=7, channel="email"))
    assert not scope.admits(Ticket(id=2, group_id=9, channel="email"))
    assert not scope.admits(Ticket(id=3, group_id=8, channel="web"))
    assert not scope.admits(Ticket(id=4, channel="email"))  # no group: not in the group
    assert not scope.admits(Ticket(id=5, group_id=7, channel="email", tags=("ai_skip",)))
    assert parse_scope(None, prefix="tb_").admits(Ticket(id=6))
    assert not parse_scope(None, prefix="tb_").admits(Ticket(id=6, tags=("tb_skip",)))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("groups=1", "unknown key 'groups'; keys are brand, group, form, channel"),
        ("group", "not key=value"),
        ("group=", "names no value"),
        ("brand=acme", "numeric ids"),
    ],
)
def test_a_malformed_scope_says_why(text: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        parse_scope(text, prefix="ai_")


pytestmark = pytest.mark.sandbox(seed=9)


def test_choose_is_the_one_rule_for_which_tickets_are_triaged() -> None:
    scope = parse_scope("channel=email", prefix="ai_")

    def chosen(force: bool = False, **fields: object) -> str:
        ticket = Ticket.model_validate({"id": 1, "channel": "email", **fields})
        return choose(ticket, scope=scope, prefix="ai_", force=force)

    assert chosen() == "take"
    assert chosen(channel="web") == "out_of_scope"
    assert chosen(tags=["ai_skip"], force=True) == "out_of_scope"  # force never widens scope
    assert chosen(tags=["ai_processed"]) == "done"
    assert chosen(status="solved") == "done"
    assert chosen(status="closed") == "done"
    assert chosen(tags=["ai_processed"], force=True) == "take"
    assert chosen(status="pending") == "take"


def test_out_of_scope_and_opted_out_tickets_are_never_written(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log_dir = configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url="http://127.0.0.1:9/v1",
        TICKETBOT_SCOPE="channel=api",
    )
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    kept, opted_out = create(
        sandbox,
        [
            {"subject": "Refund", "comment": {"body": "Please refund my order."}},
            {"subject": "Refund", "comment": {"body": "Refund me."}, "tags": ["ai_skip"]},
        ],
    )
    result = invoke("run", "--engine", "rules")
    assert result.exit_code == 0, result.output
    assert "ai_processed" in sandbox.store.get(kept)["tags"]
    assert sandbox.store.get(opted_out)["tags"] == ["ai_skip"]
    assert notes(sandbox, opted_out) == []
    [finished] = [e for e in events(log_dir) if e["event"] == "run_finished"]
    assert finished["out_of_scope"] == 1

    monkeypatch.setenv("TICKETBOT_SCOPE", "channel=email")  # the sandbox's tickets come via api
    other = create(sandbox, [{"subject": "Bug", "comment": {"body": "It crashes."}}])[0]
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert sandbox.store.get(other)["tags"] == []


def test_run_ticket_force_triages_a_chosen_ticket_again(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    configure(monkeypatch, tmp_path, sandbox=sandbox, llm_url="http://127.0.0.1:9/v1")
    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    first, second = create(
        sandbox,
        [
            {"subject": "Refund", "comment": {"body": "Please refund my order."}},
            {"subject": "Bug", "comment": {"body": "It crashes."}},
        ],
    )
    assert invoke("run", "--engine", "rules").exit_code == 0
    assert len(notes(sandbox, first)) == 1
    assert invoke("run", "--force").exit_code == 2  # --force needs --ticket
    again = invoke("run", "--engine", "rules", "--ticket", str(first), "--force")
    assert again.exit_code == 0, again.output
    assert len(notes(sandbox, first)) == 2  # asked for: a second triage note
    assert len(notes(sandbox, second)) == 1  # not chosen: untouched
