"""A configured LLM that cannot be reached: the learned model takes its tickets, and the run
says why.

The chain is LLM → learned model → keyword rules whatever is configured: a broken LLM must not
triage worse than none (the bundled learned model beats the rules on the shipped samples). The
run's warning names the first cause as the LLM client said it, with its fix, and the engine that
took over. ``ticketbot run`` goes through the CLI against the Zendesk sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, events, notes, triaged_events
from support.ports import refused_port

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

pytestmark = pytest.mark.sandbox(seed=3)


@pytest.fixture
def dead_url() -> Iterator[str]:
    """An address on this machine where nothing listens, for the whole test: refused."""
    with refused_port() as port:
        yield f"http://127.0.0.1:{port}/v1"


def test_an_unreachable_llm_hands_its_tickets_to_the_learned_model_and_says_why(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, dead_url: str
) -> None:
    url = dead_url
    log_dir = configure(monkeypatch, isolated_env, sandbox=sandbox, llm_url=url, workers=4)
    ids = create(
        sandbox,
        [
            {"subject": f"Refund for order {n}", "comment": {"body": "I want my money back."}}
            for n in range(12)
        ],
    )

    result = invoke("run")

    assert result.exit_code == 0, result.output
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    assert {e["engine"] for e in triaged.values()} == {"learned"}
    assert all(e["fallback"] for e in triaged.values())
    warning = f"12 ticket(s) fell back to the learned model: could not reach the LLM at {url}"
    assert warning in " ".join(result.stderr.split())
    assert "check OPENAI_BASE_URL" in result.stderr
    assert "BreakerOpenError" not in result.stderr
    log = events(log_dir)
    finished = [e for e in log if e["event"] == "run_finished"][-1]
    assert finished["fallback_engines"] == {"learned": 12}
    # A refused connection is an outage: the breaker opens on the first wave's failures, and
    # the tickets after it go to the learned model without a try or a wait of their own.
    assert [e["dependency"] for e in log if e["event"] == "breaker_opened"] == ["llm"]
    retries = [e for e in log if e["event"] == "llm_retry"]
    assert {e["error"] for e in retries} == {"LLMConnectionError"}
    assert len(retries) <= 4, retries  # the first wave (4 workers), once each
    assert finished["fallback_cause"].startswith(f"could not reach the LLM at {url}")


def test_an_unreachable_llm_costs_no_ticket_its_notes_translation(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, dead_url: str
) -> None:
    """Tickets in another language than the agents': the note would carry the LLM's
    translation. With the LLM's breaker open, that translation is refused like any call to it:
    the note says none is available and the ticket is triaged, not failed."""
    url = dead_url
    log_dir = configure(monkeypatch, isolated_env, sandbox=sandbox, llm_url=url, workers=4)
    ids = create(
        sandbox,
        [
            {
                "subject": f"Rückerstattung für Bestellung {n}",
                "comment": {
                    "body": "Ich möchte mein Geld zurück, die Bestellung ist nie angekommen "
                    "und ich warte seit drei Wochen auf eine Antwort von Ihnen."
                },
            }
            for n in range(12)
        ],
    )

    result = invoke("run")

    assert result.exit_code == 0, result.output
    log = events(log_dir)
    assert [e["ticket_id"] for e in log if e["event"] == "ticket_failed"] == []
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    assert {e["language"] for e in triaged.values()} == {"de"}
    written = [notes(sandbox, t)[-1] for t in ids]
    assert all("No translation available: the LLM did not answer." in n for n in written), written
