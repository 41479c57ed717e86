"""Connection resets as a connection opens, while other calls are answered, are back-pressure:
ticketbot slows down (fewer calls in flight) and retries, and the breaker stays closed. A small
self-hosted LLM with a short listen backlog does this; before, a burst of resets opened the LLM
breaker at fixed worker counts and sent tickets to a local engine.

The stand-in resets a share of new connections (``reset_rate``: RST right after accept, and
every answer closes its connection so each call connects anew). ``ticketbot run`` goes through
the CLI against the Zendesk sandbox, with the run's retry policy and tiny back-offs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events, triaged_events

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.run import engines
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

pytestmark = pytest.mark.sandbox(seed=3)


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = dataclasses.replace(engines.LLM_RETRY, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(engines, "LLM_RETRY", fast)


def test_resets_while_other_calls_answer_slow_the_run_down_and_every_ticket_gets_the_llm(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, fast_retries: None
) -> None:
    with serve_standin(StandinConfig(seed=4, reset_rate=0.3)) as standin:
        log_dir = configure(
            monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url, workers=4
        )
        ids = create(
            sandbox,
            [
                {"subject": f"Parcel {n} late", "comment": {"body": f"Order {n} is missing."}}
                for n in range(30)
            ],
        )
        result = invoke("run")
        stats = standin.stats()

    assert result.exit_code == 0, result.output
    assert stats["resets"] >= 9, stats  # about 30 % of the connections were reset
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    assert {(e["engine"], e["fallback"]) for e in triaged.values()} == {("llm", False)}
    log = events(log_dir)
    assert not [e for e in log if e["event"] == "breaker_opened"]
    retried = [e["error"] for e in log if e["event"] == "llm_retry"]
    assert len(retried) >= 9, retried  # each reset call was tried again
    assert set(retried) == {"LLMConnectionReset"}, retried
    assert "fell back" not in result.stderr
    finished = [e for e in log if e["event"] == "run_finished"][-1]
    assert finished["llm"]["llm_limit_low"] < 4, finished["llm"]  # it slowed down
