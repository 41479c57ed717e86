"""LLM faults end to end: whatever the LLM endpoint does, ``ticketbot run`` triages.

Malformed JSON, values outside the enums, extra keys, empty answers, timeouts, 500s and 429s
come from the OpenAI-compatible stand-in (its script, its answer function and its fault rates);
``ticketbot run`` goes through the CLI against the Zendesk sandbox. Each ticket must end with a
valid LLM analysis or with the fallback engine (the learned model, next in the default chain)
and ``ai_fallback``; the run never crashes and exits 0.

The retry policy's waits are shrunk (``engines.LLM_RETRY``) so the test does not sleep for real;
the waits themselves are asserted in ``test_resilience.py`` and ``test_llm.py``.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import (
    PREFIX,
    TAXONOMY,
    assert_written_within_policy,
    configure,
    create,
    events,
    notes,
    triaged_events,
)

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.run import engines
from ticket_processor.sandbox.llm_standin.answers import default_answer
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

# A valid answer the rules would never give for these tickets, so an LLM result is recognisable.
GOOD: dict[str, Any] = {
    "category": "feature_request",
    "urgency": "low",
    "sentiment": "positive",
    "language": "en",
    "summary": "Scripted analysis from the stand-in.",
    "confidence": 0.9,
}
MALFORMED = '{"category": "feature_request", "urgency": "low",, "sentiment"'
WRONG_ENUM = {**GOOD, "category": "vip_escalation", "urgency": "immediate"}
EXTRA_KEYS = {**GOOD, "tags": ["vip", "free_refund"], "priority": "urgent"}
LLM_TIMEOUT = 0.75  # far above a local answer (ms), even on a busy CI machine
# The run's policy: tries for a failed call, and (more of them) for a 429.
ATTEMPTS = engines.LLM_RETRY.attempts
THROTTLED = engines.LLM_RETRY.throttled_attempts or ATTEMPTS
# The default chain's next engine after the LLM: the model bundled with the package.
FALLBACK = "learned"
BREAKER_THRESHOLD = 5  # runner's CircuitBreaker default: dependency failures in a row


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's real retry policy (3 attempts, Retry-After honoured), with tiny backoffs."""
    fast = dataclasses.replace(engines.LLM_RETRY, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(engines, "LLM_RETRY", fast)


pytestmark = pytest.mark.sandbox(seed=3)


def slow_for_marked_subjects(subject: str, body: str) -> dict[str, Any]:
    """The stand-in's normal answer, but far beyond the client's timeout for 'slow' tickets."""
    if "slow" in subject.lower():
        time.sleep(LLM_TIMEOUT * 3)
    return default_answer()(subject, body)


# (subject, what the stand-in does for this ticket's requests, expected engine, reason word)
CASES: list[tuple[str, list[dict[str, Any] | str], str, str | None]] = [
    ("Malformed JSON, repaired", [MALFORMED, GOOD], "llm", None),
    ("Malformed JSON twice", [MALFORMED, MALFORMED], FALLBACK, "LLMResponseError"),
    ("Wrong enum values, repaired", [WRONG_ENUM, GOOD], "llm", None),
    ("Wrong enum values twice", [WRONG_ENUM, WRONG_ENUM], FALLBACK, "LLMResponseError"),
    ("Extra keys, repaired", [EXTRA_KEYS, GOOD], "llm", None),
    ("Extra keys twice", [EXTRA_KEYS, EXTRA_KEYS], FALLBACK, "LLMResponseError"),
    ("Empty answer", [{"content": ""}], FALLBACK, "LLMResponseError"),
    ("Null answer", [{"content": None}], FALLBACK, "LLMResponseError"),
    ("A 500 then an answer", [{"status": 500}, GOOD], "llm", None),
    ("500s on every try", [{"status": 500}] * ATTEMPTS, FALLBACK, "LLMServerError"),
    ("A 429 then an answer", [{"status": 429, "retry_after": 0}, GOOD], "llm", None),
    (
        "429s on every try",
        [{"status": 429, "retry_after": 0}] * THROTTLED,
        FALLBACK,
        "LLMRateLimited",
    ),
    ("Not a completion", [{"body": "<html>502 Bad Gateway</html>"}], FALLBACK, "LLMResponseError"),
    # Script exhausted: from here the answer function decides.
    ("Slow answer, my login fails", [], FALLBACK, "LLMConnectionError"),
    # Two more timeouts make five dependency failures in a row: the breaker opens.
    ("Slow answer again, my login fails", [], FALLBACK, "BreakerOpenError"),
    ("After the breaker opened: invoice wrong", [], FALLBACK, "BreakerOpenError"),
]


@pytest.mark.slow
def test_each_llm_fault_ends_in_a_valid_analysis_or_the_fallback_engine(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, fast_retries: None
) -> None:
    script = [item for _, items, _, _ in CASES for item in items]
    config = StandinConfig(seed=3, script=list(script), answer=slow_for_marked_subjects)
    with serve_standin(config) as standin:
        # One worker: tickets reach the stand-in in id order, so the script lines up with them.
        log_dir = configure(
            monkeypatch,
            isolated_env,
            sandbox=sandbox,
            llm_url=standin.url,
            workers=1,
            TICKETBOT_LLM_TIMEOUT=str(LLM_TIMEOUT),
        )
        ids = create(
            sandbox,
            [
                {"subject": s, "comment": {"body": f"{s}. Ticket {n}."}}
                for n, (s, *_) in enumerate(CASES)
            ],
        )
        before = {i: sandbox.store.get(i) for i in ids}
        result = invoke("run")
        requests = standin.stats()["requests"]

    assert result.exit_code == 0, result.output
    assert not standin.config.script, "the script was not consumed as planned"
    # Every scripted answer, then timeouts until the breaker opens, then no request at all.
    assert ATTEMPTS < BREAKER_THRESHOLD < 2 * ATTEMPTS
    assert requests == len(script) + BREAKER_THRESHOLD
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    for ticket_id, (subject, _, engine, reason) in zip(ids, CASES, strict=True):
        event = triaged[ticket_id]
        after = assert_written_within_policy(sandbox, ticket_id, before[ticket_id])
        tags = set(after["tags"])
        assert event["engine"] == engine, (subject, event)
        if engine == "llm":
            assert not event["fallback"], subject
            assert f"{PREFIX}fallback" not in tags, subject
            assert f"{PREFIX}category_{GOOD['category']}" in tags, subject
            assert "LLM (stand-in)" in notes(sandbox, ticket_id)[0]
        else:
            assert event["fallback"], subject
            assert f"{PREFIX}fallback" in tags, subject
            assert reason is not None
            assert reason in event["fallback_reason"], (subject, event["fallback_reason"])
            assert "fallback" in notes(sandbox, ticket_id)[0]
        # What a scripted answer asked for never becomes a tag or a priority.
        assert not tags & {"vip", "free_refund", "vip_escalation"}, subject
    log = events(log_dir)
    assert [e["dependency"] for e in log if e["event"] == "breaker_opened"] == ["llm"]
    finished = [e for e in log if e["event"] == "run_finished"][-1]
    assert (finished["status"], finished["failed"]) == ("ok", 0)
    assert finished["fallback"] == sum(1 for *_, engine, _ in CASES if engine == FALLBACK)


@pytest.mark.slow
def test_random_llm_faults_on_a_busy_run_never_cost_a_ticket(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, fast_retries: None
) -> None:
    config = StandinConfig(
        seed=11, error_rate=0.05, rate_limit_rate=0.1, malformed_rate=0.2, wrong_enum_rate=0.2
    )
    with serve_standin(config) as standin:
        log_dir = configure(
            monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url, workers=16
        )
        texts = [
            ("Refund please", "I returned the blender and still have no refund."),
            ("App crashes", "Since the update the app crashes when I log in."),
            ("Invoice twice", "I was charged twice on my March invoice."),
            ("Parcel missing", "My order has not arrived, tracking shows nothing."),
        ]
        ids = create(
            sandbox,
            [
                {
                    "subject": f"{texts[n % 4][0]} #{n}",
                    "comment": {"body": f"{texts[n % 4][1]} Reference {n}."},
                    **({"priority": "high", "tags": ["vip"]} if n % 5 == 0 else {}),
                }
                for n in range(80)
            ],
        )
        before = {i: sandbox.store.get(i) for i in ids}
        result = invoke("run")
        stats = standin.stats()

    assert result.exit_code == 0, result.output
    assert stats["errors"] + stats["rate_limited"] > 0  # the faults did happen
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    engines = {"llm": 0, FALLBACK: 0}
    for ticket_id in ids:
        after = assert_written_within_policy(sandbox, ticket_id, before[ticket_id])
        event = triaged[ticket_id]
        engines[event["engine"]] += 1
        assert event["fallback"] == (event["engine"] == FALLBACK)
        assert (f"{PREFIX}fallback" in after["tags"]) == event["fallback"]
        assert event["category"] in TAXONOMY.names
    assert engines["llm"] > 40, engines  # most answers were good or repaired
    assert engines[FALLBACK] > 0, engines  # some were broken twice
    finished = [e for e in events(log_dir) if e["event"] == "run_finished"][-1]
    assert (finished["status"], finished["failed"], finished["triaged"]) == ("ok", 0, 80)


@pytest.mark.slow
def test_llm_answering_500_to_everything_is_left_alone_once_the_breaker_opens(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch, isolated_env: Path, fast_retries: None
) -> None:
    with serve_standin(StandinConfig(seed=5, error_rate=1.0)) as standin:
        log_dir = configure(
            monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url, workers=8
        )
        ids = create(
            sandbox,
            [
                {"subject": f"Order {n} late", "comment": {"body": f"Parcel {n} missing."}}
                for n in range(150)
            ],
        )
        before = {i: sandbox.store.get(i) for i in ids}
        result = invoke("run")
        requests = standin.stats()["requests"]

    assert result.exit_code == 0, result.output
    # Without the breaker: 150 tickets x 3 attempts. With it: the first wave, then silence.
    assert requests <= 8 * 3, requests
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == sorted(ids)
    assert all(e["fallback"] and e["engine"] == FALLBACK for e in triaged.values())
    for ticket_id in ids:
        assert (
            f"{PREFIX}fallback"
            in assert_written_within_policy(sandbox, ticket_id, before[ticket_id])["tags"]
        )
    log = events(log_dir)
    assert [e["dependency"] for e in log if e["event"] == "breaker_opened"] == ["llm"]
    assert json.dumps(log).count("BreakerOpenError") >= 100
