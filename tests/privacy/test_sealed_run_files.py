"""The run files that held customers' data in the clear before, encrypted with a key: the write
journal (``inflight.json``: a killed run's writes in flight with their decisions; ``jobs.json``:
the helpdesk jobs, serve's and the cron run's), the people index, and a harvest's training
examples (``learn-examples.jsonl``, line by line). Seeded with 20 distinctive phrases and the
requesters' addresses, none is found in the raw bytes of the state directory; the next run
settles the killed run's journal through the key, a resumed harvest reads its encrypted lines,
and without the key the run refuses, naming the file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.common.sealed import MAGIC, PREFIX, Keyring, install, read_key_file
from ticket_processor.exitcodes import ExitCode
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned.harvest import EXAMPLES_NAME, Harvest, HarvestOptions
from ticket_processor.learned.labelled_file import allowed_values, load_labelled
from ticket_processor.learned.labels import label_specs
from ticket_processor.sandbox.desks import Desk, NewTicket
from ticket_processor.state.journal import PlannedWrite
from ticket_processor.state.ledger import RunLedger
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.zendesk import ZendeskHelpdesk

PHRASES = [
    "Zephyrglass", "Quokkaplanter", "Vantablue", "Marigoldium", "Snorkelberry",
    "Thistlewick", "Brambleforge", "Cobaltwhisker", "Puddingstone", "Lanternfish",
    "Copperkettle", "Mistralfern", "Obsidianlark", "Pepperwhorl", "Quillbarrow",
    "Rosethorne", "Saffronwisp", "Tumbleweedle", "Umberglade", "Willowquartz",
]  # fmt: skip
ADDRESSES = [f"customer.{n}@privacy-example.org" for n in range(4)]


def _stored(state: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(state.rglob("*")) if p.is_file()).lower()


def _none_in(state: Path) -> None:
    stored = _stored(state)
    for word in [*PHRASES, *ADDRESSES]:
        assert word.lower().encode() not in stored, word


@pytest.fixture
def keyed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    key = tmp_path / "ticketbot.key"
    assert invoke("privacy", "keygen", str(key)).exit_code == 0
    monkeypatch.setenv("TICKETBOT_ENCRYPTION_KEY_FILE", str(key))
    install(Keyring(read_key_file(key)))  # this process writes as a run would
    yield key
    install(None)


@pytest.mark.desk(configure=True)
def test_a_killed_runs_journal_and_serves_jobs_are_encrypted(
    desk: Desk, tmp_path: Path, keyed: Path
) -> None:
    ids = desk.create(
        [
            NewTicket(
                f"{PHRASES[n * 5]} {PHRASES[n * 5 + 1]} for {ADDRESSES[n]}",
                f"My {PHRASES[n * 5 + 2]} {PHRASES[n * 5 + 3]} {PHRASES[n * 5 + 4]} broke.",
                sender=ADDRESSES[n],
            )
            for n in range(4)
        ]
    )
    state = tmp_path / "state"
    first = invoke("run", "--since", "2000-01-01T00:00:00Z")
    assert first.exit_code == 0, first.output
    # A run killed with its writes in flight (begun, fsync'd, never ended), and serve's jobs
    # sent: their decisions name the customers as a step's fields may.
    for folder, ticket in ((state, ids[0]), (state / "serve", ids[1])):
        ledger = RunLedger(folder)
        decision = {
            "category": "billing",
            "tags_added": ["x"],
            "said": f"{PHRASES[0]} {ADDRESSES[0]}",
        }
        ledger.begin([ticket], {ticket: PlannedWrite("killed-run", decision)})
        ledger.job_sent(f"job-{ticket}-{PHRASES[1]}", [ticket])
    for name in (
        "inflight.json",
        "jobs.json",
        "serve/inflight.json",
        "serve/jobs.json",
        "people.json",
    ):
        assert (state / name).read_bytes().startswith(MAGIC), name
    _none_in(state)

    refused = invoke("run", env={"TICKETBOT_ENCRYPTION_KEY_FILE": None})
    assert refused.exit_code == ExitCode.KEY, refused.output
    settled = invoke("run")  # reads the killed run's journal through the key, and settles it
    assert settled.exit_code == 0, settled.output
    assert (state / "inflight.json").read_bytes().startswith(MAGIC)  # written back sealed
    _none_in(state)


def test_a_harvests_examples_are_encrypted_line_by_line(tmp_path: Path, keyed: Path) -> None:
    taxonomy = load_taxonomy()
    with serve_zendesk(SandboxConfig(seed=1)) as zd:
        labels = {"category": "billing", "urgency": "low", "sentiment": "neutral"}
        for n, phrase in enumerate(PHRASES):
            zd.store.create(
                {
                    "subject": f"{phrase} refund for {ADDRESSES[n % 4]}",
                    "comment": {"body": f"The {phrase} order was charged twice."},
                    "status": "solved",
                    "tags": [f"ai_{k}_{v}" for k, v in labels.items()],
                }
            )
        client = ZendeskClient(zd.url, email=zd.config.email, api_token=zd.config.token)
        now = [0.0]

        def sleep(seconds: float) -> None:
            now[0] += seconds

        helpdesk = ZendeskHelpdesk(
            client, marker="ai_processed", page_size=5, clock=lambda: now[0], sleep=sleep
        )
        options = HarvestOptions(
            since=0, specs=label_specs("ai_"), allowed=allowed_values(taxonomy), since_text="1d"
        )
        state = tmp_path / "state"
        stopped = Harvest(helpdesk, RunLedger(state), options, sleep=sleep, stop_after_pages=2)
        assert stopped.run() is None  # interrupted: its examples stay until it ends
        lines = (state / EXAMPLES_NAME).read_bytes().splitlines()
        assert lines
        assert all(line.startswith(PREFIX.encode()) for line in lines)
        _none_in(state)
        finished = Harvest(helpdesk, RunLedger(state), options, sleep=sleep).run()
        helpdesk.close()
    assert finished is not None
    rows = load_labelled(finished)
    assert sorted(r.subject.split()[0] for r in rows) == sorted(PHRASES)
    assert all(line.startswith(PREFIX.encode()) for line in finished.read_bytes().splitlines())
