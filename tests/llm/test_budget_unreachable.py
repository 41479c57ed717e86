"""A shared LLM budget whose Redis is out of reach (a closed port): the run goes on at the
local share of the budget (a user wants the tickets triaged while Redis is down, and a quarter
of the limit keeps the organisation under it) and says so once on stderr and once in its own
log, on both helpdesks; it does not end at exit 0 with nothing said. No Redis server is
needed: the port is closed."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import events
from support.redis_server import free_port

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)


def test_a_dead_budget_is_said_once_and_the_run_goes_on(
    desk: Desk,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    llm = make_standin()
    for name, value in {
        "OPENAI_BASE_URL": llm.url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_LLM_BUDGET": f"redis://127.0.0.1:{free_port()}/0",
        "TICKETBOT_LLM_RPM": "600",
    }.items():
        monkeypatch.setenv(name, value)
    ids = desk.create([NewTicket(f"Refund {n}", "I want my money back.") for n in range(3)])
    result = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert result.exit_code == 0, result.output
    said = [line for line in result.stderr.splitlines() if "unreachable" in line]
    assert len(said) == 1, result.stderr
    assert "TICKETBOT_LLM_BUDGET" in said[0]
    logged = [e for e in events(tmp_path / "logs") if e["event"] == "shared_budget_unreachable"]
    assert len(logged) == 1
    triaged = [e for e in events(tmp_path / "logs") if e["event"] == "ticket_triaged"]
    assert sorted(e["ticket_id"] for e in triaged) == sorted(ids)
    assert {e["engine"] for e in triaged} == {"llm"}
