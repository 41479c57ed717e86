"""An LLM endpoint that sends its headers and then one byte every 2 s must not
hang the run. Each call has a deadline for the whole answer; the breaker opens; the rest go
straight to the learned model (the default chain's next engine); the run ends, exits 0, and the
next run is not blocked by a stale lock."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.run import engines
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

LLM_TIMEOUT = 1.0


@pytest.mark.slow
def test_a_trickling_llm_cannot_hang_the_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fast = dataclasses.replace(engines.LLM_RETRY, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(engines, "LLM_RETRY", fast)
    with (
        serve_in_thread(SandboxConfig(seed=2)) as sandbox,
        serve_standin(StandinConfig(trickle_seconds=2.0)) as standin,
    ):
        log_dir = configure(
            monkeypatch,
            tmp_path,
            sandbox=sandbox,
            llm_url=standin.url,
            workers=4,
            TICKETBOT_LLM_TIMEOUT=str(LLM_TIMEOUT),
        )
        ids = _backlog(sandbox, 20)
        started = time.monotonic()
        first = invoke("run", "--max-runtime", "15")
        took = time.monotonic() - started
        assert first.exit_code == 0, first.output
        triaged = [e for e in events(log_dir) if e["event"] == "ticket_triaged"]
        assert sorted(e["ticket_id"] for e in triaged) == sorted(ids)
        assert all(e["engine"] == "learned" and e["fallback"] for e in triaged)
        # Bounded by the deadline, not by the trickle: a few deadlines (the breaker opens
        # after five failures), never the minutes a trickled answer would take.
        assert took < 30 * LLM_TIMEOUT, took
        reasons = {e["fallback_reason"] for e in triaged}
        assert any(e["event"] == "breaker_opened" for e in events(log_dir)), reasons
        second = invoke("run", "--max-runtime", "15")
        assert second.exit_code == 0, second.output
        assert "holds the lock" not in second.output


def _backlog(sandbox: RunningSandbox, count: int) -> list[int]:
    return create(
        sandbox,
        [
            {"subject": f"Login fails #{i}", "comment": {"body": "I cannot log in."}}
            for i in range(count)
        ],
    )
