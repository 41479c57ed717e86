"""The hostile redaction corpus end to end: ``ticketbot run`` against the Zendesk sandbox and
the LLM stand-in, whose ``received`` list holds every request body.

Only the CLI is used, so the test holds whatever the pipeline looks like inside. Every PII
text and every harmless text of ``evaluation.redaction_corpus`` is a line of some ticket (subject or
body); afterwards no personal value is in anything the stand-in received, in the notes, the
state or the logs, and every harmless text reached the LLM as written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, notes, triaged_events

from ticket_processor.evaluation.redaction_corpus import HARMLESS, PII
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread
from ticket_processor.sandbox.llm_standin.answers import iter_requests
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

PER_TICKET = 12


def tickets() -> list[dict[str, object]]:
    """PII and harmless lines in tickets of ``PER_TICKET`` lines; some PII in subjects too."""
    found: list[dict[str, object]] = []
    lines = [text for _, text, _ in PII] + [text for _, text in HARMLESS]
    for start in range(0, len(lines), PER_TICKET):
        chunk = lines[start : start + PER_TICKET]
        found.append({"subject": f"Help needed {start}", "comment": {"body": "\n\n".join(chunk)}})
    # Single-line PII texts as subjects: the subject takes another path through prepare.
    for _, text, _ in PII[::7]:
        if "\n" not in text:
            found.append({"subject": text, "comment": {"body": "see subject"}})
    return found


def distinctive_values() -> list[tuple[str, str]]:
    """The PII values that cannot be in the output by chance: six characters or more and in
    no harmless text (``order 4155550132`` must reach the LLM, the phone 4155550132 not)."""
    harmless = "\n".join(text.lower() for _, text in HARMLESS)
    return [
        (note, value)
        for note, _, values in PII
        for value in values
        if len(value) >= 6 and value.lower() not in harmless
    ]


def test_most_values_are_distinctive() -> None:
    assert len(distinctive_values()) >= 90


@pytest.mark.parametrize("engine_works", [True, False], ids=["llm", "llm_failing"])
def test_no_form_of_personal_data_reaches_the_llm(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, engine_works: bool
) -> None:
    config = StandinConfig(seed=12, malformed_rate=0.0 if engine_works else 1.0)
    with serve_in_thread(SandboxConfig(seed=12)) as sandbox, serve_standin(config) as standin:
        log_dir = configure(monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url)
        ids = create(sandbox, tickets())
        result = invoke("run")
        written = [note for i in ids for note in notes(sandbox, i)]

    assert result.exit_code == 0, result.output
    assert sorted(triaged_events(log_dir)) == sorted(ids)
    sent = "\n".join(iter_requests(standin))
    received = json.dumps(standin.received, ensure_ascii=False)
    state = "".join(p.read_text("utf-8") for p in (isolated_env / "state").rglob("*.json"))
    logs = "".join(p.read_text("utf-8") for p in log_dir.iterdir())
    places = {"llm": received, "notes": "\n".join(written), "state": state, "log": logs}
    leaks = [
        (note, value, where)
        for note, value in distinctive_values()
        for where, text in places.items()
        if _holds(text, value)
    ]
    assert leaks == [], "\n".join(map(str, leaks))
    missing = [note for note, text in HARMLESS if text not in sent]
    assert missing == [], "harmless text redacted or lost on the way to the LLM"


def _holds(text: str, value: str) -> bool:
    """Whether ``value`` is in ``text``; a value of digits alone only as a number of its own,
    not inside a longer one: the state files' float timestamps (``1795647185.0620004``) hold any
    six digits now and then, which is no leak."""
    if not value.isdigit():
        return value.lower() in text.lower()
    return re.search(rf"(?<![\d.]){value}(?!\d)", text) is not None
