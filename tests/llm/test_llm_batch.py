"""The Batch API client against the stand-in's /v1/files and /v1/batches (real HTTP, real SDK)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx2
import pytest

from ticket_processor.backfill.backfill import build_batch_client
from ticket_processor.errors import LLMError, LLMResponseError, LLMServerError
from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.batch import LLMBatchClient
from ticket_processor.models import Triage
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()
TICKETS = {
    "101": prepare_ticket("Refund please", "I want my money back for order 4411."),
    "102": prepare_ticket("Cannot log in", "The password reset link fails every time."),
    "103": prepare_ticket("Parcel late", "My delivery has not arrived, tracking says nothing."),
}


@pytest.fixture
def slow_batches() -> Iterator[RunningStandin]:
    """A stand-in whose batches stay in progress until the test completes them."""
    with serve_in_thread(StandinConfig(seed=7, batch_delay_s=3600)) as running:
        yield running


def client(standin: RunningStandin) -> LLMBatchClient:
    return LLMBatchClient(model="stand-in", taxonomy=TAXONOMY, api_key=None, base_url=standin.url)


def test_submit_poll_collect_triages_every_ticket_by_its_id(
    slow_batches: RunningStandin,
) -> None:
    batch = client(slow_batches)
    assert batch.supports_batch()
    batch_id = batch.submit(TICKETS)
    state = batch.poll(batch_id)
    assert (state.status, state.done) == ("in_progress", False)
    with pytest.raises(LLMError, match="not finished"):
        batch.collect(batch_id)

    assert slow_batches.complete_batches() == 1
    state = batch.poll(batch_id)
    assert (state.status, state.total, state.completed, state.failed) == ("completed", 3, 3, 0)
    results = batch.collect(batch_id)
    assert set(results) == set(TICKETS)
    categories = {tid: r.analysis.category for tid, r in results.items() if isinstance(r, Triage)}
    assert categories == {"101": "refund", "102": "account", "103": "shipping"}
    assert all(isinstance(r, Triage) and r.usage.prompt_tokens > 0 for r in results.values())
    batch.close()


def test_a_batch_line_is_the_online_request(slow_batches: RunningStandin) -> None:
    online = LLMAnalyser(
        models=("stand-in",), taxonomy=TAXONOMY, api_key=None, base_url=slow_batches.url
    )
    online.analyse(TICKETS["101"])
    batch = client(slow_batches)
    batch_id = batch.submit({"101": TICKETS["101"]})
    slow_batches.complete_batches()
    batch.collect(batch_id)
    sent_online, sent_in_batch = slow_batches.received
    assert sent_in_batch == sent_online  # same prompt, schema, limits: byte for byte


def test_failed_and_invalid_lines_come_back_as_the_online_errors(
    slow_batches: RunningStandin,
) -> None:
    # Lines are answered in order: a 500, an answer outside the schema, then a good one.
    slow_batches.config.script = [
        {"status": 500},
        {"category": "vip_escalation", "urgency": "extreme"},
    ]
    batch = client(slow_batches)
    batch_id = batch.submit(list(TICKETS.items()))
    slow_batches.complete_batches()
    state = batch.poll(batch_id)
    assert (state.completed, state.failed) == (2, 1)
    assert state.error_file_id is not None
    results = batch.collect(batch_id)
    assert isinstance(results["101"], LLMServerError)
    assert isinstance(results["102"], LLMResponseError)  # no repair round in a batch
    assert isinstance(results["103"], Triage)


def test_an_endpoint_without_the_batch_api_says_so() -> None:
    with serve_in_thread(StandinConfig(batch_api=False)) as standin:
        assert not client(standin).supports_batch()


def test_batches_complete_after_the_delay_or_on_the_http_trigger(
    slow_batches: RunningStandin,
) -> None:
    settings = load_settings(
        {"OPENAI_BASE_URL": slow_batches.url, "TICKETBOT_MODEL": "stand-in"}, env_file=None
    )
    batch = build_batch_client(settings, taxonomy=TAXONOMY)
    batch_id = batch.submit({"7": TICKETS["103"]})
    trigger = slow_batches.url.removesuffix("/v1") + "/sandbox/batches/complete"
    assert httpx2.post(trigger).json() == {"completed": 1}
    assert batch.poll(batch_id).status == "completed"
    with serve_in_thread(StandinConfig(batch_delay_s=0.0)) as prompt:
        quick = client(prompt)
        assert quick.poll(quick.submit({"8": TICKETS["101"]})).status == "completed"
