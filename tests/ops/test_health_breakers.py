"""``health`` judges the breakers of the endpoints the settings use. Breakers are kept per
endpoint, so one opened by a run against a wrong URL stays open in the state directory after the
URL is fixed; health once read every saved breaker and stayed degraded (exit 1) for good after a
single run with a mistyped ``OPENAI_BASE_URL`` or helpdesk URL."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.common.eventlog import EventLog
from ticket_processor.run.connect import breaker_name, load_settings
from ticket_processor.run.engines import llm_breaker_name
from ticket_processor.sandbox.desks import Desk
from ticket_processor.state.ledger import RunLedger

pytestmark = pytest.mark.desk(configure=True)

WRONG = "http://127.0.0.1:9"


def _health() -> tuple[int, dict[str, str]]:
    result = invoke("health", "--json", catch_exceptions=True)
    checks = {c["name"]: c for c in json.loads(result.stdout)["checks"]}
    return result.exit_code, checks["breakers"]


def _open(state: Path, name: str) -> None:
    opened = (datetime.now(UTC) - timedelta(minutes=11)).timestamp()
    RunLedger(state).breaker_storage().save(
        name, {"state": "open", "failures": 5, "opened_at": opened}
    )


def test_a_breaker_left_by_a_corrected_url_does_not_degrade_health(
    desk: Desk, tmp_path: Path
) -> None:
    with EventLog(tmp_path / "logs", run_id="r1") as log:  # a recent good run
        log.emit("run_started", engine="rules", dry_run=False)
        log.emit("run_finished", status="ok", triaged=3, failed=0, exit_code=0)
    # The names the one-off runs with the wrong URLs gave their breakers.
    url_setting = next(name for name, value in desk.env().items() if value.startswith("http"))
    environ = dict(os.environ)
    wrong_llm = llm_breaker_name(
        load_settings({**environ, "OPENAI_BASE_URL": f"{WRONG}/v1"}, env_file=None)
    )
    wrong_desk = breaker_name(load_settings({**environ, url_setting: WRONG}, env_file=None))
    assert WRONG in wrong_desk
    state = tmp_path / "state"
    _open(state, wrong_llm)
    _open(state, wrong_desk)

    code, breakers = _health()
    assert breakers["status"] == "healthy", breakers
    assert code == 0
    # Still said, so the operator knows what `breaker reset` would clear.
    assert f"{wrong_llm} open for 11 min" in breakers["reason"]
    assert f"{wrong_desk} open for 11 min" in breakers["reason"]
    assert "not used by the current settings" in breakers["reason"]

    # The breaker of the endpoint in use still degrades.
    current = breaker_name(load_settings(environ, env_file=None))
    _open(state, current)
    code, breakers = _health()
    assert breakers["status"] == "degraded"
    assert code == 1
    assert breakers["reason"].startswith(f"{current} open for 11 min")


def test_without_an_llm_no_llm_endpoint_is_named_in_use(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No LLM configured: no ticket's text goes to one, and health must not name OpenAI's
    # public endpoint among the endpoints in use (a team that chose the offline engine read
    # that api.openai.com was "in use").
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    code, breakers = _health()
    assert code == 0, breakers
    assert breakers["status"] == "healthy", breakers
    assert "llm@" not in breakers["reason"]
    assert "api.openai.com" not in breakers["reason"]
    assert breaker_name(load_settings(dict(os.environ), env_file=None)) in breakers["reason"]
    # An open LLM breaker left by an earlier configuration is said, never degrading.
    _open(tmp_path / "state", llm_breaker_name(load_settings(dict(os.environ), env_file=None)))
    code, breakers = _health()
    assert code == 0, breakers
    assert breakers["status"] == "healthy", breakers
    assert "not used by the current settings" in breakers["reason"]
