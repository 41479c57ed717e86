"""``ticketbot learn --from-helpdesk`` against both sandboxes.

Solved tickets carry agent-set label tags; a few carry ticketbot's marker and a note whose
labels nobody changed (unreviewed: left out), a few ticketbot triaged and an agent corrected
(kept, with the agent's labels), a few have no labels. ``learn --from-helpdesk`` then
``run --engine learned`` triages the open tickets, and the model predicts exactly what a model
learned from the same tickets written to a file predicts: both train on identical rows in
the same order with the same deterministic solver, so any difference is a bug, not noise.
"""

from __future__ import annotations

import dataclasses
import html
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread as serve_freshdesk
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread as serve_zendesk
from ticket_processor.learned import LearnedEngine, read_model
from ticket_processor.learned.harvest import EXAMPLES_NAME, Harvest, HarvestOptions
from ticket_processor.learned.labelled_file import LabelledTicket, allowed_values
from ticket_processor.learned.labels import label_specs
from ticket_processor.learned.samples import sample_rows
from ticket_processor.state.ledger import HARVEST as CHECKPOINT_NAME
from ticket_processor.state.ledger import RunLedger
from ticket_processor.tags import NOTE_HEADER
from ticket_processor.triage.taxonomy import load_taxonomy
from ticket_processor.zendesk import ZendeskHelpdesk

TAXONOMY = load_taxonomy()
ROWS = sample_rows()
TRAIN, OPEN = ROWS[:60], ROWS[60:]
UNREVIEWED, CORRECTED, UNLABELLED = 4, 2, 3


def label_tags(labels: dict[str, str]) -> list[str]:
    return [f"ai_{name}_{value}" for name, value in labels.items()]


def note(labels: dict[str, str]) -> str:
    lines = [f"{name.capitalize()}: {value}" for name, value in labels.items()]
    return "\n".join([NOTE_HEADER, *lines, "Engine: llm"])


class Seeder:
    """Creates tickets in one sandbox as an agent would have left them."""

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
        return {
            **desk,
            "TICKETBOT_STATE_DIR": str(root / "state"),
            "TICKETBOT_LOG_DIR": str(root / "logs"),
            "OPENAI_API_KEY": "",
            "OPENAI_BASE_URL": "",
        }

    def create(self, row: LabelledTicket, tags: list[str], solved: bool, notes: list[str]) -> int:
        store = self.sandbox.store
        if self.kind == "zendesk":
            fields: dict[str, Any] = {
                "subject": row.subject,
                "comment": {"body": row.description},
                "status": "solved" if solved else "open",
                "tags": tags,
            }
            ticket_id = int(store.create(fields)["id"])
            for text in notes:
                store.update(ticket_id, {"comment": {"body": text, "public": False}})
            return ticket_id
        fields = {
            "subject": row.subject,
            "description": f"<p>{html.escape(row.description)}</p>",
            "email": f"customer{row.id}@example.com",
            "status": 4 if solved else 2,
            "priority": 1,
            "tags": tags,
        }
        ticket_id = int(store.create(fields)["id"])
        for text in notes:
            store.add_note(ticket_id, text, private=True, user_id=1)
        return ticket_id

    def seed(self) -> tuple[list[LabelledTicket], list[int]]:
        """The rows a correct harvest keeps (in creation order) and the open tickets' ids."""
        kept = []
        for i, row in enumerate(TRAIN):
            if i < UNREVIEWED:  # ticketbot's own guess, unchanged: must not be learned
                guess = {"category": "other", "urgency": "low", "sentiment": "positive"}
                self.create(row, ["ai_processed", *label_tags(guess)], True, [note(guess)])
            elif i < UNREVIEWED + CORRECTED:  # ticketbot guessed, an agent corrected
                guess = {**row.labels, "category": "other"}
                self.create(row, ["ai_processed", *label_tags(row.labels)], True, [note(guess)])
                kept.append(row)
            else:
                self.create(row, label_tags(row.labels), True, [])
                kept.append(row)
        for row in OPEN[:UNLABELLED]:
            self.create(row, ["vip"], True, [])
        open_ids = [self.create(row, [], False, []) for row in OPEN]
        return kept, open_ids


@pytest.fixture(params=["zendesk", "freshdesk"])
def seeder(request: pytest.FixtureRequest) -> Iterator[Seeder]:
    if request.param == "zendesk":
        with serve_zendesk(SandboxConfig(seed=1)) as zd:
            yield Seeder("zendesk", zd)
    else:
        with serve_freshdesk(FreshdeskConfig(seed=1)) as fd:
            yield Seeder("freshdesk", fd)


def write_file(rows: list[LabelledTicket], path: Path, source: str) -> None:
    lines = [
        json.dumps(
            {
                "id": r.id,
                "source": source,
                "subject": r.subject,
                "description": r.description,
                "labels": r.labels,
            }
        )
        for r in rows
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")


def test_learn_from_helpdesk_then_run_learned(seeder: Seeder, tmp_path: Path) -> None:
    env = seeder.env(tmp_path)
    kept, open_ids = seeder.seed()
    fast = ("--folds", "0", "--no-embeddings")
    learned = invoke("learn", "--from-helpdesk", "--since", "30d", *fast, env=env)
    assert learned.exit_code == 0, learned.output
    out = " ".join(learned.output.split())
    assert f"{len(kept)} labelled examples, {UNREVIEWED} unreviewed" in out
    assert f"{UNLABELLED} without labels" in out
    assert f"{UNREVIEWED + CORRECTED} note reads" in out
    state = tmp_path / "state"
    assert (state / "learned-model.zip").is_file()
    assert not (state / CHECKPOINT_NAME).exists()  # ticket text does not linger
    assert not (state / EXAMPLES_NAME).exists()
    # The tickets an agent corrected are the audit store's corrections, field by field.
    with sqlite3.connect(state / "audit.sqlite3") as db:
        found = db.execute(
            "SELECT COUNT(DISTINCT ticket_id), SUM(NOT agreed) FROM corrections "
            "WHERE source = 'feedback'"
        ).fetchone()
    assert found[0] == CORRECTED
    assert found[1] >= CORRECTED  # each changed at least one label ticketbot wrote

    # The same tickets, written to a file, learned the ordinary way.
    data, other = tmp_path / "same.jsonl", tmp_path / "from-file.zip"
    write_file(kept, data, seeder.kind)
    from_file = invoke("learn", str(data), "--out", str(other), *fast, env=env)
    assert from_file.exit_code == 0, from_file.output

    ran = invoke("run", "--engine", "learned", env=env)
    assert ran.exit_code == 0, ran.output
    # The summary names the model the run used: the one learned from the helpdesk.
    model = state / "learned-model.zip"
    assert f"learned model: the state directory's model ({model}" in ran.stdout
    file_engine = LearnedEngine(read_model(other, TAXONOMY.names), TAXONOMY)
    right = agree = 0
    for ticket_id, row in zip(open_ids, OPEN, strict=True):
        tags = ticket_tags(seeder, ticket_id)
        assert "ai_engine_learned" in tags
        written = {t.removeprefix("ai_category_") for t in tags if t.startswith("ai_category_")}
        expected = file_engine.analyse(row.subject, row.description).category
        assert written == {expected}, (ticket_id, written, expected)
        agree += 1
        right += expected == row.labels.get("category")
    assert agree == len(OPEN)
    assert right / len(OPEN) > 0.3  # far above chance over the taxonomy's classes


def ticket_tags(seeder: Seeder, ticket_id: int) -> list[str]:
    if seeder.kind == "zendesk":
        return list(seeder.sandbox.store.get(ticket_id)["tags"])
    return list(seeder.sandbox.store.find(ticket_id)["tags"])


def test_an_interrupted_harvest_continues_where_it_stopped(tmp_path: Path) -> None:
    with serve_zendesk(SandboxConfig(seed=1)) as zd:
        seeder = Seeder("zendesk", zd)
        kept, _ = seeder.seed()
        client = ZendeskClient(zd.url, email=zd.config.email, api_token=zd.config.token)
        now = [0.0]  # the export allows 10 requests a minute: time passes only in sleep

        def sleep(seconds: float) -> None:
            now[0] += seconds

        helpdesk = ZendeskHelpdesk(
            client, marker="ai_processed", page_size=25, clock=lambda: now[0], sleep=sleep
        )
        options = HarvestOptions(
            since=0, specs=label_specs("ai_"), allowed=allowed_values(TAXONOMY), since_text="1d"
        )
        state = tmp_path / "state"
        first = Harvest(helpdesk, RunLedger(state), options, sleep=sleep, stop_after_pages=2)
        # "1d" typed again a minute later is a later moment, but the same harvest.
        options = dataclasses.replace(options, since=60)
        assert first.run() is None
        assert first.counts.pages == 2
        assert (state / CHECKPOINT_NAME).is_file()
        # A kill mid-page left lines the checkpoint never settled: they are dropped.
        with (state / EXAMPLES_NAME).open("ab") as f:
            f.write(b'{"id": "half-written"}\n')
        second = Harvest(helpdesk, RunLedger(state), options, sleep=sleep)
        path = second.run()
        assert path is not None
        assert second.counts.resumed
        ids = [json.loads(line)["id"] for line in path.read_text().splitlines()]
        assert len(ids) == len(set(ids)) == len(kept) == second.counts.examples
        assert second.counts.unreviewed == UNREVIEWED

        # A damaged checkpoint is set aside and the harvest starts over, losing nothing.
        (state / CHECKPOINT_NAME).write_text("{not json")
        third = Harvest(helpdesk, RunLedger(state), options, sleep=sleep)
        assert third.run() is not None
        assert not third.counts.resumed
        assert third.counts.examples == len(kept)
        assert any("not JSON" in n for n in third.counts.notices)
        assert list(state.glob(f"{CHECKPOINT_NAME}.bad-*"))
        helpdesk.close()


def test_include_unreviewed_and_label_overrides(tmp_path: Path) -> None:
    with serve_zendesk(SandboxConfig(seed=1)) as zd:
        seeder = Seeder("zendesk", zd)
        row = TRAIN[0]
        seeder.create(row, ["team_cat_billing", "ai_processed"], True, [])
        env = seeder.env(tmp_path)
        bad = invoke("learn", "--from-helpdesk", "--label", "category=nope:x", env=env)
        assert bad.exit_code == 2
        assert "tag:PREFIX" in bad.output
        both = invoke("learn", str(tmp_path / "x.jsonl"), "--from-helpdesk", env=env)
        assert both.exit_code == 2
        assert "either" in both.output
        client = ZendeskClient(zd.url, email=zd.config.email, api_token=zd.config.token)
        helpdesk = ZendeskHelpdesk(client, marker="ai_processed")
        options = HarvestOptions(
            since=0,
            specs=label_specs("ai_", ["category=tag:team_cat_"]),
            allowed=allowed_values(TAXONOMY),
            include_unreviewed=True,
        )
        harvest = Harvest(helpdesk, RunLedger(tmp_path / "s"), options)
        path = harvest.run()
        assert path is not None
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        assert [r["labels"] for r in rows] == [{"category": "billing"}]
        assert harvest.counts.notes_read == 0  # --include-unreviewed reads no notes
        helpdesk.close()


def test_an_agent_token_is_told_the_export_needs_an_admin(tmp_path: Path) -> None:
    with serve_zendesk(SandboxConfig(seed=1, admin=False)) as zd:
        seeder = Seeder("zendesk", zd)
        seeder.create(TRAIN[0], label_tags(TRAIN[0].labels), True, [])
        result = invoke("learn", "--from-helpdesk", "--no-embeddings", env=seeder.env(tmp_path))
        assert result.exit_code == 2, result.output
        assert "admin" in result.output


def test_a_ticket_listed_twice_is_learned_once(tmp_path: Path) -> None:
    """Freshdesk's list re-reads the tickets of a page boundary's second: 60 tickets in one
    second and 60 in the next put 40 of the second batch on two pages."""
    now = [1_800_000_000.0]
    with serve_freshdesk(FreshdeskConfig(seed=1, clock=lambda: now[0])) as fd:
        seeder = Seeder("freshdesk", fd)
        for _second in range(2):
            now[0] += 1
            for row in TRAIN:
                seeder.create(row, label_tags(row.labels), True, [])
        now[0] += 60
        env = seeder.env(tmp_path)
        result = invoke("learn", "--from-helpdesk", "--since", "1d", "--folds", "0",
                        "--no-embeddings", env=env)  # fmt: skip
        assert result.exit_code == 0, result.output
        out = " ".join(result.output.split())
        assert f"{2 * len(TRAIN)} tickets read" in out
        assert f"{2 * len(TRAIN)} labelled examples" in out
        assert "2 ticket pages" in out  # 100 + 60 listed: the boundary second twice


def test_a_link_planted_as_the_training_file_is_never_written_through(tmp_path: Path) -> None:
    """The harvest's training file lives in the state directory: a link there to another file
    (a system file, say) is replaced, not truncated nor appended to."""
    elsewhere = tmp_path / "crontab"
    elsewhere.write_bytes(b"* * * * * root true\n")
    (tmp_path / "state").mkdir(mode=0o700)
    (tmp_path / "state" / EXAMPLES_NAME).symlink_to(elsewhere)
    with serve_zendesk(SandboxConfig(seed=1)) as zd:
        seeder = Seeder("zendesk", zd)
        for row in TRAIN[:20]:
            seeder.create(row, label_tags(row.labels), True, [])
        # 20 tickets cannot name every category the bundled model can: --force writes the
        # smaller model anyway, which is what this test needs (the file it writes).
        result = invoke("learn", "--from-helpdesk", "--folds", "0", "--no-embeddings", "--force",
                        env=seeder.env(tmp_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert elsewhere.read_bytes() == b"* * * * * root true\n"
