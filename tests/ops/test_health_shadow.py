"""``health`` reads the LLM's fallbacks from the newest run that called it, a shadow run
included: a shadow run writes nothing and leaves no last run in the state, so after a shadow
run in which every ticket fell back, health read the live run before it and called the LLM
healthy."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from support.cli import invoke

from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = pytest.mark.desk(configure=True)


def _checks() -> dict[str, dict[str, str]]:
    result = invoke("health", "--json", catch_exceptions=True)
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


def test_a_shadow_run_whose_tickets_all_fell_back_degrades_the_llm(
    desk: Desk,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin()
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    desk.create([NewTicket(f"Refund {n}", "Please refund my broken order.") for n in range(5)])
    live = invoke("run", "--engine", "llm", "--limit", "2")
    assert live.exit_code == 0, live.output
    assert _checks()["llm fallback"]["status"] == "healthy"

    llm.config.error_rate = 1.0  # every call of the shadow run fails: every ticket falls back
    shadow = invoke("run", "--shadow", "--engine", "llm")
    assert shadow.exit_code == 0, shadow.output
    assert "fallback=3" in shadow.output
    llm.config.error_rate = 0.0  # the endpoint answers health's own probe again

    checks = _checks()
    assert checks["llm fallback"]["status"] == "degraded", checks["llm fallback"]
    assert "3 of 3 tickets" in checks["llm fallback"]["reason"]
