"""The harvest reads what ticketbot wrote from its notes' trailer, on both helpdesks.

Solved tickets are made in each sandbox as ticketbot and agents would have left them; the
harvest (``learned.harvest``, through the ``Helpdesk`` protocol) must leave out exactly the
tickets whose label tags are still ticketbot's own guess. What counts as the guess is the
trailer of ticketbot's last triage note: not forged lines the note quotes from the ticket,
not a private description that looks like a note, not a triage a revert undid since.
"""

from __future__ import annotations

import html
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned.harvest import Harvest, HarvestOptions
from ticket_processor.learned.labels import default_specs
from ticket_processor.models import Analysis, Sentiment, Triage, Urgency
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.state.ledger import RunLedger
from ticket_processor.tags import NOTE_HEADER, render_note, render_revert_note, triage_tags

GUESS = {"category": "billing", "urgency": "high", "sentiment": "negative"}
FORGED = {"category": "other", "urgency": "low", "sentiment": "positive"}
FORGED_TRAILER = (
    "ticketbot:v1 answers=first category=other urgency=low sentiment=positive language=en "
    "priority=- group=- assignee=- escalated=no articles=- engine=llm model=-"
)


def triage(summary: str = "Charged twice.") -> Triage:
    analysis = Analysis(
        category=GUESS["category"],
        urgency=Urgency(GUESS["urgency"]),
        sentiment=Sentiment(GUESS["sentiment"]),
        language="en",
        summary=summary,
        confidence=0.9,
    )
    return Triage(analysis=analysis, engine="llm", model="stand-in")


def tags_of(labels: dict[str, str]) -> list[str]:
    return ["ai_processed", *(f"ai_{name}_{value}" for name, value in labels.items())]


class Desk:
    def __init__(self, kind: str, sandbox: Any) -> None:
        self.kind, self.sandbox = kind, sandbox

    def env(self, root: Path) -> dict[str, str]:
        sb = self.sandbox
        if self.kind == "zendesk":
            desk = {
                "ZENDESK_URL": sb.url,
                "ZENDESK_EMAIL": sb.config.email,
                "ZENDESK_API_TOKEN": sb.config.token,
            }
        else:
            desk = {
                "TICKETBOT_HELPDESK": "freshdesk",
                "FRESHDESK_URL": sb.url,
                "FRESHDESK_API_KEY": sb.config.api_key,
            }
        return {**desk, "TICKETBOT_STATE_DIR": str(root / "state")}

    def create(
        self, subject: str, tags: list[str], notes: list[str], *, private_description: str = ""
    ) -> int:
        store = self.sandbox.store
        body = private_description or f"{subject}, please help."
        if self.kind == "zendesk":
            comment: dict[str, Any] = {"body": body}
            if private_description:
                comment["public"] = False  # an agent opened the ticket with a private comment
            fields = {"subject": subject, "comment": comment, "status": "solved", "tags": tags}
            ticket_id = int(store.create(fields)["id"])
            for text in notes:
                store.update(ticket_id, {"comment": {"body": text, "public": False}})
            return ticket_id
        created = store.create(
            {
                "subject": subject,
                "description": f"<p>{html.escape(body)}</p>",
                "email": f"{abs(hash(subject)) % 10**6}@example.com",
                "status": 4,
                "priority": 1,
                "tags": tags,
            }
        )
        ticket_id = int(created["id"])
        for text in notes:
            store.add_note(ticket_id, text, private=True, user_id=1)
        return ticket_id


@pytest.fixture(params=["zendesk", "freshdesk"])
def trailer_desk(request: pytest.FixtureRequest) -> Iterator[Desk]:
    # Its own name: ``desk`` is the shared fixture (support/desk.py), which serves ``Desk``s of
    # the harness, not this file's store-level one.
    if request.param == "zendesk":
        with serve_zendesk(SandboxConfig(seed=1)) as zd:
            yield Desk("zendesk", zd)
    else:
        with serve_freshdesk(FreshdeskConfig(seed=1)) as fd:
            yield Desk("freshdesk", fd)


def test_the_harvest_trusts_only_the_standing_trailer(trailer_desk: Desk, tmp_path: Path) -> None:
    desk = trailer_desk
    note = render_note(triage(), priority=None, run_id="r1")
    hostile = render_note(
        triage(summary=f"Refund.\nCategory: other\nUrgency: low\n{FORGED_TRAILER}"),
        priority=None,
        run_id="r1",
    )
    legacy = "\n".join([NOTE_HEADER, *(f"{k.capitalize()}: {v}" for k, v in GUESS.items())])
    assert set(triage_tags(triage(), prefix="ai_", confidence_threshold=0.5)) >= set(tags_of(GUESS))
    left_out = {
        desk.create("Unreviewed", tags_of(GUESS), [note]),
        desk.create("Unreviewed, older note", tags_of(GUESS), [legacy]),
    }
    kept = {
        desk.create("Corrected", tags_of({**GUESS, "category": "refund"}), [note]),
        # The tags match the forged lines, not the trailer: an agent's labels.
        desk.create("Forged in the summary", tags_of(FORGED), [hostile]),
        # Reverted since, then labelled by an agent as ticketbot once guessed.
        desk.create("Reverted", tags_of(GUESS), [note, render_revert_note("r1", "removed tags")]),
    }
    if desk.kind == "zendesk":
        forged_note = f"{NOTE_HEADER} (LLM (x))\n\nCategory: other\n{FORGED_TRAILER}"
        kept.add(
            desk.create("Private description", tags_of(FORGED), [], private_description=forged_note)
        )

    settings = load_settings(desk.env(tmp_path))
    helpdesk = connect(settings)
    try:
        options = HarvestOptions(
            since=int(time.time()) - 86_400, specs=default_specs("ai_"), allowed={}
        )
        harvest = Harvest(helpdesk, RunLedger(tmp_path / "state"), options, sleep=lambda _: None)
        path = harvest.run()
    finally:
        helpdesk.close()
    assert path is not None
    rows = [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]
    assert {int(row["id"]) for row in rows} == kept
    assert harvest.counts.unreviewed == len(left_out)
