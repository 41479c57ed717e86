"""On each helpdesk's sandbox, first-day hours (``scripts/incident_heldout.py first_day``) run
through ``ticketbot run --dry-run`` as a new user would.

With the LLM stand-in, as the tutorial sets it up, a fresh helpdesk's outage hour (the bikes'
25 reports among 35 ordinary tickets): the reports the LLM calls requests stay out of the
group, and are not counted as a busy hour's other tickets either, so the outage is still
suggested. A group judged no incident (the streaming app's everyday "won't play" after a week)
gets a line in the run's output saying why. Each ``slow`` (the encoder loads in about 4 s)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import events
from support.incident_scenario import LOADERS

from ticket_processor.sandbox.llm_standin.server import RunningStandin

pytestmark = [pytest.mark.desk(raw=True, configure=True), pytest.mark.slow]


def _dry_run(
    desk_kind: str,
    desk: Any,
    monkeypatch: pytest.MonkeyPatch,
    hour: str,
    *,
    product: str,
    history: bool,
    llm_url: str | None,
) -> tuple[str, list[dict[str, Any]], dict[int, str]]:
    """``product``'s first-day ``hour`` on the sandbox (a week of its own tickets before it
    when ``history``), one ``ticketbot run --dry-run`` with the LLM at ``llm_url`` (else the
    learned engine): its output, its log's events and each ticket's part of the hour."""
    from scripts.incident_heldout import FIRST_DAY_SETS, first_day

    source = FIRST_DAY_SETS[product]
    specs = first_day(hour, now=int(time.time()), history=history, source=source)
    ids = LOADERS[desk_kind](desk, specs)
    monkeypatch.setenv("TICKETBOT_INCIDENTS", "true")
    if llm_url is None:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        ran = invoke("run", "--dry-run", "--engine", "learned")
    else:
        monkeypatch.setenv("OPENAI_BASE_URL", llm_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
        ran = invoke("run", "--dry-run")
    assert ran.exit_code == 0, ran.output
    labels = {t: s.label for t, s in zip(ids, specs, strict=True)}
    return ran.output, events(Path(os.environ["TICKETBOT_LOG_DIR"])), labels


def test_with_the_llm_a_first_day_outage_is_suggested(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch, standin: RunningStandin
) -> None:
    """Before, the LLM's stand-in kept 13 of the head's reports out of the group and they were
    counted as the hour's other tickets: busy 27, p 0.058, nothing suggested."""
    output, logged, labels = _dry_run(
        desk_kind, desk, monkeypatch, "outage", product="bikes", history=False, llm_url=standin.url
    )
    [views] = [e for e in logged if e["event"] == "incident_fault_views"]
    assert views["head_only"] > 0  # the LLM kept some of the head's reports out of the group
    assert views["no_view"] == 0
    [judged] = [e for e in logged if e["event"] == "incident_judged"]
    assert judged["incident"], judged
    assert "incidents (planned, nothing written): 1 incident(s) found" in output, output
    suggested = [int(t) for t in re.findall(r"ticket (\d+): suggest", output)]
    assert len([t for t in suggested if labels[t] == "outage"]) >= 15, output
    assert len([t for t in suggested if labels[t] != "outage"]) <= 2, output
    assert "judged no incident" not in output


def test_a_group_judged_no_incident_is_said_in_the_runs_output(
    desk_kind: str, desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    output, logged, _ = _dry_run(
        desk_kind, desk, monkeypatch, "ordinary", product="stream", history=True, llm_url=None
    )
    judged = [e for e in logged if e["event"] == "incident_judged"]
    assert judged
    assert not any(e["incident"] for e in judged), judged
    assert "incidents (planned, nothing written): 0 incident(s) found" in output, output
    said = [line.strip() for line in output.splitlines() if "judged no incident:" in line]
    assert len(said) == len(judged), output
    for line, reading in zip(said, judged, strict=True):
        assert line.startswith(f"a group of {reading['reports']} reports judged no incident: ")
