"""Shared by the end-to-end tests (LLM faults, hostile tickets, secrets, redaction).

``ticketbot run`` through ``support.cli.invoke`` against the real Zendesk sandbox and the stand-in
LLM, then checks on what the sandbox holds afterwards: every tag ticketbot added comes from the
analysis vocabulary, the priority follows the stated policy, and there is exactly one note.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from ticket_processor.audit.upgrade import open_writer
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import (
    ISO_639_1,
    PRIORITY_RANK,
    RISK_LEVELS,
    Priority,
    Sentiment,
    Urgency,
)
from ticket_processor.tags import NOTE_HEADER, URGENCY_TO_PRIORITY
from ticket_processor.triage.taxonomy import load_taxonomy

PREFIX = "ai_"
TAXONOMY = load_taxonomy()
_LANG_TAG = re.compile(rf"^{PREFIX}lang_(?:{'|'.join(sorted(ISO_639_1))}|und)$")


def vocabulary(prefix: str = PREFIX) -> set[str]:
    """Every tag ticketbot may add (bar ``<prefix>lang_xx``): enum values and taxonomy names.

    Language tags are checked apart: an ISO 639-1 code or ``und``.
    """
    words = {"processed", "fallback", "low_confidence", "kb_suggested", "engine_learned"}
    words |= {"spam", "phishing", "auto_sender", "suggested_spam"}  # the spam gate's verdicts
    words |= {f"risk_{level}" for level in RISK_LEVELS}  # the risk's level
    words |= {f"category_{name}" for name in TAXONOMY.names}
    words |= {f"urgency_{u.value}" for u in Urgency}
    words |= {f"sentiment_{s.value}" for s in Sentiment}
    words |= {f"priority_{p.value}" for p in Priority}
    return {prefix + word for word in words}


def configure(
    monkeypatch: pytest.MonkeyPatch,
    root: Path,
    *,
    sandbox: RunningSandbox,
    llm_url: str,
    workers: int | str = 8,
    **extra: str,
) -> Path:
    """Point ticketbot at the sandbox and an LLM URL; returns the log directory."""
    env = {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
        "OPENAI_BASE_URL": llm_url,
        "OPENAI_API_KEY": "sk-test-not-a-real-key",
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": str(workers),
        **extra,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return root / "logs"


def create(sandbox: RunningSandbox, tickets: list[dict[str, Any]]) -> list[int]:
    """Create tickets through the sandbox's API (``create_many``); their ids, in order."""
    client = ZendeskClient(sandbox.url, email=sandbox.config.email, api_token=sandbox.config.token)
    ids: list[int] = []
    with client:
        for start in range(0, len(tickets), 100):
            job = client.wait_for_job(client.create_many(tickets[start : start + 100]), timeout=30)
            done = sorted(job.results, key=lambda r: r.index or 0)
            ids += [int(r.ticket_id) for r in done if r.success and r.ticket_id is not None]
    assert len(ids) == len(tickets), "the sandbox refused some tickets"
    return ids


def audit_store_ready(state_dir: Path) -> None:
    """Create the audit store a first run would: its schema is made in a child interpreter
    (SQLAlchemy, Alembic), seconds on a loaded machine, and all of it inside ``--max-runtime``.
    A test that times a bound of a few seconds creates it first, or the bound can pass before
    the run takes a ticket."""
    open_writer(state_dir).close()


def events(log_dir: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(log_dir.glob("ticketbot-*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]


def triaged_events(log_dir: Path) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for event in events(log_dir):
        if event["event"] == "ticket_triaged":
            assert event["ticket_id"] not in found, f"ticket {event['ticket_id']} triaged twice"
            found[event["ticket_id"]] = event
    return found


def notes(sandbox: RunningSandbox, ticket_id: int) -> list[str]:
    return [
        str(c["body"])
        for c in sandbox.store.comments(ticket_id)
        if not c["public"] and NOTE_HEADER in str(c["body"])
    ]


def assert_written_within_policy(
    sandbox: RunningSandbox, ticket_id: int, before: dict[str, Any]
) -> dict[str, Any]:
    """One note; original tags kept; added tags only from the vocabulary; priority per policy.

    Returns the ticket as the sandbox now holds it.
    """
    after = sandbox.store.get(ticket_id)
    assert_policy(
        ticket_id,
        (list(before["tags"]), before["priority"]),
        (list(after["tags"]), after["priority"]),
        len(notes(sandbox, ticket_id)),
    )
    return after


def assert_policy(
    ticket_id: int,
    before: tuple[list[str], str | None],
    after: tuple[list[str], str | None],
    note_count: int,
) -> None:
    """The checks of ``assert_written_within_policy`` on (tags, priority) pairs in ticketbot's
    words, whatever the helpdesk (each kind's desk, ``Desk.snapshot``, reads them so)."""
    (old_tags, old), (tags, new) = before, after
    assert set(old_tags) <= set(tags), f"ticket {ticket_id} lost a tag"
    added = [tag for tag in tags if tag not in set(old_tags)]
    allowed = vocabulary()
    strays = [tag for tag in added if tag not in allowed and not _LANG_TAG.match(tag)]
    assert not strays, f"ticket {ticket_id}: tags outside the vocabulary {strays}"
    assert f"{PREFIX}processed" in added
    for kind in ("category", "urgency", "sentiment", "lang"):
        found = [tag for tag in added if tag.startswith(f"{PREFIX}{kind}_")]
        assert len(found) == 1, f"ticket {ticket_id}: {kind} tags {found}"
    assert note_count == 1, f"ticket {ticket_id}: {note_count} notes, not one"

    urgency = Urgency(next(t for t in added if t.startswith(f"{PREFIX}urgency_")).split("_", 2)[2])
    assert new is None or new in {p.value for p in Priority}
    wanted = URGENCY_TO_PRIORITY[urgency]
    if f"{PREFIX}low_confidence" in added:
        assert new == old, f"ticket {ticket_id}: priority changed at low confidence"
    elif any(f"{PREFIX}{kind}" in added for kind in ("spam", "phishing", "auto_sender")):
        # The spam gate held it: no priority of its own (the gate's line in the note says why).
        assert new == old, f"ticket {ticket_id}: priority changed on a ticket the gate held"
    elif old is None:
        assert new == wanted.value, f"ticket {ticket_id}: priority {new}, policy says {wanted}"
    else:
        assert new is not None, ticket_id
        assert PRIORITY_RANK[Priority(new)] >= PRIORITY_RANK[Priority(old)], ticket_id
        assert new in (old, wanted.value), f"ticket {ticket_id}: priority {old} -> {new}"
    priority_tags = [t for t in added if t.startswith(f"{PREFIX}priority_")]
    assert priority_tags == ([f"{PREFIX}priority_{new}"] if new != old else [])


REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "scripts"


def toolbox(name: str) -> list[str]:
    """The command that runs the toolbox's module NAME (``python -m scripts.NAME``)."""
    return [sys.executable, "-m", f"scripts.{name}"]


def toolbox_env() -> dict[str, str]:
    """This process's environment with the repository first on PYTHONPATH: the toolbox runs
    from any working directory."""
    paths = [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def script_module(name: str) -> ModuleType:
    """A module of the ``scripts`` package (the benchmark's and the crash campaign's helpers)."""
    return importlib.import_module(f"scripts.{name}")
