"""The LLM client's bounds: an answer past TICKETBOT_LLM_MAX_BYTES (counted after gzip) is an
error of that call, the ticket falls back to a local engine, and the run exits 0.

The stand-in streams the answers it is told to (``oversize_answer_bytes``, ``gzip_bomb_bytes``),
never holding them; the caps here are small so the tests are quick.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, triaged_events

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.sandbox.llm_standin.server import RunningStandin

CAP = 64 * 1024
TICKETS = [
    {"subject": "Charged twice", "comment": {"body": "Refund please"}},
    {"subject": "Parcel lost", "comment": {"body": "Where is my parcel?"}},
    {"subject": "App crash", "comment": {"body": "It crashes on save"}},
]


@pytest.mark.parametrize(
    "knob", [{"oversize_answer_bytes": 1_000_000}, {"gzip_bomb_bytes": 64 * 1024 * 1024}]
)
def test_an_llm_answer_past_the_cap_falls_back_and_the_run_succeeds(
    knob: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    make_standin: Callable[..., RunningStandin],
) -> None:
    llm = make_standin(**knob)
    log_dir = configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url=llm.url,
        workers=2,
        TICKETBOT_LLM_MAX_BYTES=str(CAP),
    )
    ids = create(sandbox, TICKETS)
    started = time.monotonic()
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 10
    triaged = triaged_events(log_dir)
    assert sorted(triaged) == ids
    assert all(e["engine"] != "llm" and e["fallback"] for e in triaged.values())
    reasons = {e["fallback_reason"] for e in triaged.values()}
    assert any(
        "the LLM endpoint's answer is larger than 64 KiB (counted decompressed); reading "
        "stopped: TICKETBOT_LLM_MAX_BYTES raises the cap" in str(r)
        for r in reasons
    ), reasons
    assert llm.stats()["requests"] >= 1
