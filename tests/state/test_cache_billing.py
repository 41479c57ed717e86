"""What an analysis costs when it comes from the cache: nothing for an online answer used
again, the batch price once for a backfill's batch answer."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest

from ticket_processor.models import TokenUsage, Triage
from ticket_processor.settings.variables import DEFAULT_CACHE_ENTRIES
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.chain import TriageCache, cache_key
from ticket_processor.triage.prepare import PreparedTicket, prepare_ticket
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy


@pytest.fixture
def ledger(tmp_path: Path) -> RunLedger:
    return RunLedger(tmp_path / "state")


class _PaidLLM:
    """An engine named llm that answers with token usage and counts its calls."""

    name: Literal["llm"] = "llm"

    def __init__(self) -> None:
        self.calls = 0

    def analyse(self, ticket: PreparedTicket) -> Triage:
        self.calls += 1
        analysis = RulesEngine(load_taxonomy()).analyse(ticket.subject, ticket.body)
        return Triage(
            analysis=analysis, engine="llm", model="m", usage=TokenUsage(prompt_tokens=500)
        )


def test_an_answer_from_the_cache_costs_nothing_and_a_batch_answer_costs_once(
    ledger: RunLedger,
) -> None:
    llm = _PaidLLM()
    cache = TriageCache(AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES), tag="t")
    ticket = prepare_ticket("Refund", "Please refund order 12.")
    first = cache.triage(ticket, [llm], "llm")
    again = cache.triage(ticket, [llm], "llm")
    assert (first.usage.prompt_tokens, again.usage.prompt_tokens, llm.calls) == (500, 0, 1)
    assert again.cached

    # A backfill's batch answer: paid (at the batch price) by its first use only.
    other = prepare_ticket("Invoice", "Where is my invoice for May?")
    batch = first.model_dump(mode="json", exclude={"cached"}) | {"billing": "batch"}
    cache_store = AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES)
    cache_store.put(cache_key(other.content_hash, "t"), batch)
    batched = TriageCache(cache_store, tag="t")
    used = batched.triage(other, [llm], "llm")
    reused = batched.triage(other, [llm], "llm")
    assert (used.billing, used.usage.prompt_tokens) == ("batch", 500)
    assert (reused.billing, reused.usage.prompt_tokens) == ("online", 0)
    assert llm.calls == 1
