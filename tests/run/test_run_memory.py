"""What a run keeps per ticket lasts as long as the ticket is in flight, not the whole run.

A backlog of 100,000 tickets is read in one run; whatever the run keeps of each ticket until it
ends grows with the backlog (and in ``serve``, with the days it lives). Checked here on every
helpdesk: once a run is over, the planner keeps no ticket's note language or translations
(they are kept for a re-plan before the write, and let go once the ticket is written, failed or
left to the next run). And the encoder's memo keeps the last ``MEMO_SIZE`` vectors unless a pass
after the run reads the run's vectors again (the incident grouping asks for ``RUN_MEMO_SIZE``).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.connected import connected
from support.events import Events

from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.models import Helpdesk
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.run.context import RunContext
from ticket_processor.run.pipeline import Pipeline
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.settings.variables import DEFAULT_CACHE_ENTRIES
from ticket_processor.state.cache import AnalysisCache
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.chain import LocalEngine, TriageCache
from ticket_processor.triage.rules import RulesEngine
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.zendesk import ZendeskHelpdesk

MARKER = "ai_processed"
FRENCH = NewTicket(
    "Remboursement de ma commande",
    "Bonjour, j'ai été débité deux fois pour ma commande. Pouvez-vous me rembourser ? Merci.",
)


def adapter(desk: Desk) -> Helpdesk:
    """The desk's helpdesk as a run builds it; Zendesk's with pages of 10 (its export's are a
    thousand), so the run reads several."""
    if desk.kind == "zendesk":
        env = desk.env()
        client = ZendeskClient(
            desk.url, email=env["ZENDESK_EMAIL"], api_token=env["ZENDESK_API_TOKEN"]
        )
        return ZendeskHelpdesk(client, marker=MARKER, page_size=10)
    return connected(desk, marker=MARKER)


@pytest.mark.desk(seed=None)
def test_a_run_keeps_no_tickets_note_language_once_it_is_over(desk: Desk, tmp_path: Path) -> None:
    created = desk.create([FRENCH] * 25)
    # The helpdesk stamps changes to the second: the run begins in the next one, so its own
    # write-backs, not the new tickets, are what it stops at.
    time.sleep(1.1)
    started = datetime.now(UTC)
    asked: list[str] = []

    def translate(text: str, code: str) -> str:
        asked.append(code)
        return f"(in {code}) {text.upper()}"

    options = RunOptions(engine="rules", workers=2, since=started - timedelta(hours=1))
    planner = ChangePlanner(options, run_id="r1", translator=translate)
    ledger = RunLedger(tmp_path / "state")
    helpdesk = adapter(desk)
    pipeline = Pipeline(
        RunContext(
            helpdesk=helpdesk,
            ledger=ledger,
            chain=[LocalEngine("rules", RulesEngine(load_taxonomy()))],
            cache=TriageCache(AnalysisCache(ledger, max_entries=DEFAULT_CACHE_ENTRIES), tag=""),
            planner=planner,
            log=Events(),
            options=options,
            run_id="r1",
            writer_flush_after=0.05,
        )
    )
    summary = pipeline.run()
    helpdesk.close()
    assert (summary.triaged, summary.exit_code) == (len(created), 0)
    assert asked  # the notes were translated: each ticket's translation was kept while planned
    assert planner.tickets_held() == 0


def test_the_encoders_memo_keeps_the_last_vectors_unless_a_pass_reads_the_runs_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    embed = pytest.importorskip("ticket_processor.learned.embed")
    # A process's first run: no pass has asked for more (another test's run may have).
    monkeypatch.setattr(embed, "_memo_size", embed.MEMO_SIZE)
    run = uuid.uuid4().hex[:8]
    texts = [f"Order {n} of run {run} has not arrived" for n in range(embed.MEMO_SIZE + 40)]
    encoder = embed.Encoder()
    encoder.encode(texts)
    assert embed.memo_hits(texts[:40]) == 0  # the oldest went
    assert embed.memo_hits(texts[40:]) == embed.MEMO_SIZE
    embed.keep_recent(embed.RUN_MEMO_SIZE)
    assert embed.memo_size() == embed.RUN_MEMO_SIZE
    encoder.encode(texts[:40])
    assert embed.memo_hits(texts) == len(texts)  # now the run's tickets stay for the pass
