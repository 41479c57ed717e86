"""The LLM client's bounds: an answer past TICKETBOT_LLM_MAX_BYTES (counted after gzip) is an
error of that call, the ticket falls back to a local engine, and the run exits 0; a batch
output file is read a line at a time, under a cap per line, per file and on its line count.

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
from support.trickle import header_trickler
from support.webhook import Receiver

from ticket_processor.errors import LLMConnectionError, LLMResponseError
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.batch import LLMBatchClient
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

CAP = 64 * 1024
TAXONOMY = load_taxonomy()
BATCH_TICKETS = {
    "101": prepare_ticket("Refund please", "I want my money back for order 4411."),
    "102": prepare_ticket("Cannot log in", "The password reset link fails every time."),
    "103": prepare_ticket("Parcel late", "My delivery has not arrived, tracking says nothing."),
}
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
    # Far below reading the whole answer on a loaded CI box (seconds idle, tens under load).
    assert time.monotonic() - started < 30
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


def _collect_padded(padding: int, **limits: int) -> tuple[RunningStandin, LLMBatchClient, str]:
    standin = serve_in_thread(StandinConfig(seed=7, batch_padding_lines=padding))
    batch = LLMBatchClient(
        model="stand-in",
        taxonomy=TAXONOMY,
        api_key=None,
        base_url=standin.url,
        max_line_bytes=limits.get("max_line_bytes", 8 * 1024 * 1024),
        max_file_bytes=limits.get("max_file_bytes", 1024 * 1024 * 1024),
    )
    return standin, batch, batch.submit(BATCH_TICKETS)


def test_a_batch_output_padded_past_its_requests_is_an_error_of_collect() -> None:
    # 3 requests, then 2,000 lines (~4 MB) for tickets never asked for.
    standin, batch, batch_id = _collect_padded(2000)
    try:
        with pytest.raises(LLMResponseError) as caught:
            batch.collect(batch_id)
        assert str(caught.value) == (
            f"batch {batch_id}'s results hold more lines than the 3 requests it was given; "
            "reading stopped: its tickets take the normal path"
        )
    finally:
        batch.close()
        standin.close()


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (
            {"max_line_bytes": 1024},
            r"a line of batch file \S+ is larger than 1 KiB; reading stopped: "
            "TICKETBOT_LLM_MAX_BYTES raises the cap",
        ),
        (
            {"max_file_bytes": 16 * 1024},
            r"the LLM endpoint.s answer is larger than 16 KiB \(counted decompressed\); "
            "reading stopped: TICKETBOT_BATCH_MAX_BYTES raises the cap",
        ),
    ],
)
def test_a_batch_file_is_read_a_line_at_a_time_under_both_caps(
    limits: dict[str, int], message: str
) -> None:
    standin, batch, batch_id = _collect_padded(10, **limits)
    try:
        with pytest.raises(LLMResponseError, match=message):
            batch.collect(batch_id)
    finally:
        batch.close()
        standin.close()


def test_an_llm_redirect_to_another_host_is_not_followed() -> None:
    # Two real servers on port 0: the "endpoint" answers every call 307 to the other one.
    endpoint, elsewhere = Receiver(), Receiver()
    try:
        endpoint.redirect_to = elsewhere.url + "/v1/chat/completions?key=abc"
        analyser = LLMAnalyser(
            models=("stand-in",), taxonomy=TAXONOMY, api_key="sk-test-key", base_url=endpoint.url
        )
        with pytest.raises(LLMResponseError) as caught:
            analyser.analyse(BATCH_TICKETS["101"])
        host = elsewhere.url.split("/")[2]
        assert str(caught.value) == (
            f"the LLM endpoint answered with a redirect (307) to {host}; ticketbot follows no "
            "redirect: set OPENAI_BASE_URL to the address it should call"
        )
        assert len(endpoint.bodies) == 1
        assert elsewhere.bodies == []  # the ticket's text never left for the other host
        analyser.close()
    finally:
        endpoint.close()
        elsewhere.close()


def test_a_trickled_batch_result_file_ends_at_the_calls_deadline() -> None:
    with serve_in_thread(StandinConfig(seed=7, file_trickle_seconds=0.2)) as standin:
        batch = LLMBatchClient(
            model="stand-in", taxonomy=TAXONOMY, api_key=None, base_url=standin.url, timeout=1.0
        )
        batch_id = batch.submit(BATCH_TICKETS)
        started = time.monotonic()
        with pytest.raises(LLMConnectionError, match=r"did not arrive in full within 1 s"):
            batch.collect(batch_id)  # a few KB at 5 bytes a second: many minutes without it
        assert time.monotonic() - started < 3.0
        batch.close()


def test_llm_headers_trickled_a_byte_at_a_time_end_at_the_calls_deadline() -> None:
    with header_trickler() as url:
        analyser = LLMAnalyser(
            models=("stand-in",),
            taxonomy=TAXONOMY,
            api_key="sk-test-key",
            base_url=f"{url}/v1",
            timeout=1.0,
        )
        started = time.monotonic()
        with pytest.raises(LLMConnectionError, match=r"no complete answer within 1 s"):
            analyser.analyse(BATCH_TICKETS["101"])
        assert time.monotonic() - started < 2.0
        analyser.close()


def test_the_default_cap_keeps_oversize_answers_far_from_the_memory_bound() -> None:
    """Each worker may hold one capped answer while its ticket falls back to the learned model
    (~200 MB alone): at 8 MiB four workers took a run to 246 MiB of the 250 allowed
    (``python -m scripts.figures memory_bounds --only LLM``); at 1 MiB, 221. A real answer is under
    10 KB."""
    from ticket_processor.resilience.bounds import LLM_MAX_BYTES

    assert LLM_MAX_BYTES == 1024 * 1024
    assert LLM_MAX_BYTES >= 100 * 10_000
