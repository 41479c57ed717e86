"""`ticketbot demo`: no configuration, a sandbox of its own, one run, the result read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin


def log_events(output: str) -> list[dict[str, object]]:
    found = re.search(r"JSON-lines log: (\S+)", output)
    assert found, output
    return [
        json.loads(line)
        for path in sorted(Path(found.group(1)).glob("ticketbot-*.jsonl"))
        for line in path.read_text().splitlines()
    ]


def test_demo_without_configuration_uses_the_best_offline_engine_and_says_so(
    isolated_env: Path,
) -> None:
    """No LLM configured, so the learned model, with its measured accuracy."""
    result = CliRunner().invoke(app, ["demo", "--count", "12"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "the learned model bundled with ticketbot" in result.output
    assert re.search(r"category \d\.\d\d, urgency \d\.\d\d, sentiment \d\.\d\d", result.output)
    # Which tickets the figures are measured on, and where the pooled ones are (health's).
    flat = " ".join(result.output.split())
    assert "Measured on the shipped sample tickets alone" in flat
    assert "`ticketbot health` gives the figure pooled over all its training sets" in flat
    assert "Seeded 12 sample tickets" in result.output
    assert "triaged=12 failed=0" in result.output
    # What is shown was read back from the sandbox: every shown ticket carries a note.
    shown = [line for line in result.output.splitlines() if line.startswith("ticket ")]
    assert len(shown) == 12
    assert all("added ai_processed" in line and "(no note)" not in line for line in shown)
    triaged = [e for e in log_events(result.output) if e["event"] == "ticket_triaged"]
    assert len(triaged) == 12
    assert {e["engine"] for e in triaged} == {"learned"}
    # The user's own state and log directories are not touched.
    assert not (isolated_env / ".ticketbot").exists()
    assert not (isolated_env / "logs").exists()


def test_demo_uses_the_configured_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    with serve_standin(StandinConfig(seed=3)) as standin:
        monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-not-real-0000")
        monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
        # A real Zendesk in .env must not be what the demo writes to.
        monkeypatch.setenv("ZENDESK_SUBDOMAIN", "acme")
        result = CliRunner().invoke(app, ["demo", "--count", "5"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Engine: the LLM (stand-in at" in result.output
    assert "sk-demo-not-real-0000" not in result.output
    triaged = [e for e in log_events(result.output) if e["event"] == "ticket_triaged"]
    assert {e["engine"] for e in triaged} == {"llm"}
    assert len(triaged) == 5
