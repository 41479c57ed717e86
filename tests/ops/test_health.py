"""Health: the verdicts as plain data, and ``ticketbot health`` against the sandbox and stand-in."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from support.cli import invoke
from support.ports import held_refused_port
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.commands.ops import health_setup
from ticket_processor.common.atomic import prepare_directory
from ticket_processor.common.eventlog import EventLog
from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.ops.health import check_health
from ticket_processor.ops.health_verdicts import (
    GIB,
    MIB,
    Check,
    HealthReport,
    breaker_check,
    disk_check,
    last_run_check,
    success_check,
)
from ticket_processor.report.runs import LoggedRun
from ticket_processor.run.connect import load_settings
from ticket_processor.run.engines import llm_breaker_name
from ticket_processor.sandbox.llm_standin.server import RunningStandin
from ticket_processor.state.ledger import RunLedger as StateStore

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def finished_run(minutes_ago: float, status: str = "ok", **kw: object) -> LoggedRun:
    moment = NOW - timedelta(minutes=minutes_ago)
    return LoggedRun(f"r{minutes_ago}", moment, moment, status, **kw)  # type: ignore[arg-type]


# --- verdicts ---------------------------------------------------------------------------


def test_disk_thresholds() -> None:
    assert disk_check("d", Path("/x"), 5 * GIB).status == "healthy"
    assert disk_check("d", Path("/x"), GIB - 1).status == "degraded"
    low = disk_check("d", Path("/x"), 50 * MIB)
    assert low.status == "unhealthy"
    assert "50 MiB" in low.reason


def test_breakers() -> None:
    now = NOW.timestamp()
    closed = {"zendesk": {"state": "closed", "failures": 0, "opened_at": None}}
    assert breaker_check(closed, now=now).status == "healthy"
    assert breaker_check({}, now=now).status == "healthy"
    opened = breaker_check({**closed, "llm": {"state": "open", "opened_at": now - 300}}, now=now)
    assert opened.status == "degraded"
    assert "llm open for 5 min" in opened.reason
    # A hand-edited or truncated file is read defensively.
    assert breaker_check({"llm": "open?", "x": {"state": "open"}}, now=now).status == "degraded"
    # Only the endpoints in use judge; another's open breaker is said, not degrading.
    elsewhere = breaker_check({"llm@old": {"state": "open"}}, now=now, in_use=("llm@new",))
    assert elsewhere.status == "healthy"
    assert "llm@old open" in elsewhere.reason
    in_use = breaker_check({"llm@new": {"state": "open"}}, now=now, in_use=("llm@new",))
    assert in_use.status == "degraded"


def test_last_run_age_and_outcome() -> None:
    fresh = last_run_check(None, [], now=NOW)  # a fresh install: nothing ran, nothing is wrong
    assert (fresh.status, fresh.reason.split(":")[0]) == ("healthy", "no run yet")
    unfinished = LoggedRun("r1", NOW - timedelta(minutes=50), None, None)
    assert last_run_check(None, [unfinished], now=NOW).status == "degraded"
    assert last_run_check(None, [finished_run(12)], now=NOW).status == "healthy"
    stale = last_run_check(None, [finished_run(45)], now=NOW)
    assert stale.status == "degraded"
    assert "45 min ago" in stale.reason
    aborted = last_run_check(None, [finished_run(5, "aborted", reason="token refused")], now=NOW)
    assert aborted.status == "degraded"
    assert "token refused" in aborted.reason
    three = [finished_run(m, "aborted", reason="token refused") for m in (25, 15, 5)]
    assert last_run_check(None, three, now=NOW).status == "unhealthy"
    # The state file's last run counts when the logs were pruned or point elsewhere.
    state = {"finished_at": (NOW - timedelta(minutes=3)).isoformat(), "status": "ok"}
    assert last_run_check(state, [finished_run(45)], now=NOW).status == "healthy"


def test_a_dry_run_alone_does_not_make_the_last_run_healthy() -> None:
    dry = finished_run(2, dry_run=True)
    check = last_run_check(None, [dry], now=NOW)
    assert check.status == "degraded"
    assert "only dry runs" in check.reason
    # Beside a real run, the real one is what is judged, however recent the dry run.
    stale = last_run_check(None, [finished_run(45), dry], now=NOW)
    assert stale.status == "degraded"
    assert "45 min ago" in stale.reason


def test_success_rate_against_the_objective() -> None:
    def runs(triaged: int, failed: int) -> list[LoggedRun]:
        return [finished_run(5, triaged=triaged, failed=failed)]

    assert success_check(runs(0, 0), objective=0.95).status == "healthy"
    none = success_check([], objective=0.95)  # a first day: it said "the last 0 runs"
    assert none.status == "healthy"
    assert none.reason == "no run has finished yet: nothing to rate"
    assert success_check(runs(96, 4), objective=0.95).status == "healthy"
    below = success_check(runs(90, 10), objective=0.95)
    assert below.status == "degraded"
    assert "90.0% of 100 tickets" in below.reason
    assert success_check(runs(40, 60), objective=0.95).status == "unhealthy"
    # Dry runs do not count: nothing was written.
    dry = [finished_run(5, triaged=0, failed=9, dry_run=True)]
    assert success_check(dry, objective=0.95).status == "healthy"


def test_overall_status_is_the_worst_check() -> None:
    ok, meh, bad = (
        Check("a", "healthy", ""),
        Check("b", "degraded", ""),
        Check("c", "unhealthy", ""),
    )
    assert HealthReport((ok,)).exit_code == 0
    assert HealthReport((ok, meh)).exit_code == 1
    assert HealthReport((meh, bad, ok)).status == "unhealthy"
    assert HealthReport((meh, bad, ok)).exit_code == 2


def test_check_health_with_injected_probes_and_disk(tmp_path: Path) -> None:
    settings = load_settings({}, env_file=None, overrides={"log_dir": tmp_path / "logs"})

    def fine(_: object) -> tuple[str, str]:
        return "healthy", "fine"

    verdict = check_health(
        health_setup(settings),
        now=NOW,
        probes={"helpdesk": fine, "llm": fine},  # type: ignore[dict-item]
        free_bytes=lambda path: (path, 10 * MIB),
    )
    by_name = {c.name: c for c in verdict.checks}
    assert by_name["disk (logs)"].status == "unhealthy"
    assert by_name["disk (state)"].status == "unhealthy"
    assert verdict.exit_code == 2


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> Path:
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", sandbox.config.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.config.token)
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def log_run(tmp_path: Path, *, minutes_ago: float, triaged: int = 5, failed: int = 0) -> None:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    with EventLog(tmp_path / "logs", run_id=f"run-{minutes_ago}", clock=lambda: moment) as log:
        log.emit("run_started", engine="llm", dry_run=False)
        log.emit("run_finished", status="ok", triaged=triaged, failed=failed, exit_code=0)


def invoke_json(*args: str) -> tuple[int, dict[str, object], dict[str, dict[str, str]]]:
    result = invoke("health", "--json", *args, catch_exceptions=True)
    data = json.loads(result.stdout)
    checks = {c["name"]: c for c in data["checks"]}
    return result.exit_code, data, checks


def test_healthy_with_the_sandbox_and_the_llm_standin(
    configured: Path, standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    log_run(configured, minutes_ago=4)
    code, data, checks = invoke_json()
    assert data["status"] == "healthy", checks
    assert code == 0
    assert "agent@example.com" in checks["zendesk"]["reason"]
    assert "stand-in" in checks["llm"]["reason"]
    assert "sk-test-secret" not in json.dumps(data)
    # Behind an LLM the bundled model is what a failing LLM's tickets fall back to: say so.
    told = checks["learned model"]["reason"]
    assert "bundled" in told
    assert "runs use it where the LLM fails" in told
    assert "none in use" not in told
    # The demo's figures are the shipped samples' alone; health's are pooled: it says so.
    assert re.search(r"\(category 0\.\d{3}, .*; pooled over its training sets\)", told), told


def test_rules_only_is_healthy_and_the_table_shows_each_reason(configured: Path) -> None:
    log_run(configured, minutes_ago=4)
    result = CliRunner().invoke(app, ["health"])
    assert result.exit_code == 0, result.stdout
    assert "ticketbot is healthy" in result.stdout
    assert "not configured" in result.stdout
    for name in ("zendesk", "llm", "disk (logs)", "breakers", "last run", "success rate"):
        assert name in result.stdout


def test_health_names_the_examples_engine_and_its_taxonomy_hash(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A taxonomy with examples and no model learned for it: runs categorise with the engine
    # fitted on its examples, not the bundled model, and health says which and for what hash.
    from ticket_processor.learned.examples.cache import cache_path, examples_model
    from ticket_processor.learned.examples.key import taxonomy_key
    from ticket_processor.triage.taxonomy import load_taxonomy

    taxonomy_file = Path(__file__).resolve().parents[1] / "data" / "examples_taxonomy.toml"
    monkeypatch.setenv("TICKETBOT_TAXONOMY", str(taxonomy_file))
    taxonomy = load_taxonomy(taxonomy_file)
    short = taxonomy_key(taxonomy)[:16]
    _, _, checks = invoke_json()
    told = checks["learned model"]["reason"]
    assert "the examples engine, fitted on the taxonomy's descriptions and examples" in told
    assert f"taxonomy hash {short}" in told
    assert "not fitted yet" in told
    assert "bundled" not in told
    assert "the examples engine" in checks["llm"]["reason"]
    examples_model(taxonomy, configured / "state")
    _, _, checks = invoke_json()
    told = checks["learned model"]["reason"]
    assert f"cached at {cache_path(configured / 'state', taxonomy)}" in told
    assert "mean cross-validated macro-F1" in told
    # Without the taxonomy, the bundled model categorises, as before.
    monkeypatch.delenv("TICKETBOT_TAXONOMY")
    _, _, checks = invoke_json()
    assert "bundled" in checks["learned model"]["reason"]
    assert "examples engine" not in checks["learned model"]["reason"]


def test_a_fresh_install_with_no_run_yet_is_healthy_and_says_so(configured: Path) -> None:
    code, data, checks = invoke_json()
    assert checks["last run"]["status"] == "healthy", checks["last run"]
    assert checks["last run"]["reason"].startswith("no run yet")
    assert (code, data["status"]) == (0, "healthy"), data


def test_low_success_rate_is_degraded(configured: Path) -> None:
    log_run(configured, minutes_ago=4, triaged=8, failed=2)
    code, _, checks = invoke_json()
    assert code == 1
    assert "80.0%" in checks["success rate"]["reason"]


def test_a_damaged_audit_store_or_index_is_degraded_and_left_in_place(configured: Path) -> None:
    """Not only the ledger's own files: the sweep's (the audit store, the help-centre index)
    too. health said "healthy" while `audit info` failed and the dashboard answered 503."""
    log_run(configured, minutes_ago=4)
    state = configured / "state"
    state.mkdir(exist_ok=True)
    (state / "audit.sqlite3").write_bytes(b"garbage, not a database")
    (state / "kb.sqlite3").mkdir()
    code, _, checks = invoke_json()
    assert code == 1
    assert checks["state"]["status"] == "degraded"
    reason = checks["state"]["reason"]
    assert "audit.sqlite3: not an SQLite database" in reason
    assert "kb.sqlite3: a directory where a file should be" in reason
    assert (state / "audit.sqlite3").read_bytes() == b"garbage, not a database"  # not moved
    assert not list(state.glob("*.bad-*"))


def test_open_breaker_is_degraded(
    configured: Path, standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The LLM's breaker judges where an LLM is configured (without one it holds nothing back:
    # tests/ops/test_health_breakers.py).
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    log_run(configured, minutes_ago=4)
    name = llm_breaker_name(load_settings(dict(os.environ), env_file=None))
    storage = StateStore(configured / "state").breaker_storage()
    storage.save(name, {"state": "open", "failures": 5, "opened_at": datetime.now(UTC).timestamp()})
    code, _, checks = invoke_json()
    assert code == 1
    assert checks["breakers"]["status"] == "degraded"
    assert f"{name} open" in checks["breakers"]["reason"]


def test_wrong_token_is_unhealthy(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", "wrong-token-123")
    log_run(configured, minutes_ago=4)
    code, data, checks = invoke_json()
    assert code == 2
    assert checks["zendesk"]["status"] == "unhealthy"
    assert "credentials" in checks["zendesk"]["reason"]
    assert "wrong-token-123" not in json.dumps(data)


def test_unreachable_llm_is_unhealthy(configured: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    port = held_refused_port()
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    log_run(configured, minutes_ago=4)
    code, _, checks = invoke_json()
    assert code == 2
    assert checks["llm"]["status"] == "unhealthy"


def test_missing_zendesk_settings_are_a_configuration_error_exit_3_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Exit 3 (UNKNOWN), as for a malformed .env: the documented code for configuration errors.
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
    code, data, checks = invoke_json()
    assert code == 3
    assert data["status"] == "unknown"
    assert checks["zendesk"]["status"] == "unknown"
    assert "ZENDESK_SUBDOMAIN" in checks["zendesk"]["reason"]


def test_a_missing_env_file_is_unknown_to_health_and_a_usage_error_elsewhere(
    tmp_path: Path,
) -> None:
    # A monitor pages on CRITICAL (2); a check that could not be made is UNKNOWN (3).
    missing = str(tmp_path / "nowhere.env")
    health = CliRunner().invoke(app, ["--env-file", missing, "health"])
    assert health.exit_code == 3, health.output
    assert "--env-file: no file at" in health.output
    run = CliRunner().invoke(app, ["--env-file", missing, "run", "--dry-run"])
    assert run.exit_code == 2, run.output


def test_llm_failures_in_the_last_run_degrade_health_but_no_llm_does_not() -> None:
    from ticket_processor.ops.health_verdicts import fallback_check

    failing = {"triaged": 20, "fallback_reasons": {"LLMConnectionError": 20}}
    check = fallback_check(failing)
    assert check.status == "degraded"
    assert "20 of 20 tickets" in check.reason
    assert "LLMConnectionError" in check.reason
    told = {
        **failing,
        "fallback_cause": "could not reach the LLM at http://x/v1: check OPENAI_BASE_URL",
    }
    assert "first cause: could not reach the LLM at http://x/v1" in fallback_check(told).reason
    chosen = {"triaged": 20, "fallback_reasons": {"no LLM configured": 20}}
    assert fallback_check(chosen).status == "healthy"
    assert fallback_check(None).status == "healthy"


def test_a_real_dry_run_leaves_health_degraded(configured: Path) -> None:
    dry = invoke("run", "--dry-run", "--engine", "rules", "--limit", "3")
    assert dry.exit_code == 0, dry.output
    code, _, checks = invoke_json()
    assert checks["last run"]["status"] == "degraded", checks["last run"]
    assert "only dry runs" in checks["last run"]["reason"]
    assert code == 1


def test_apply_at_without_a_calibration_is_degraded(
    configured: Path, standin: RunningStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", standin.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    monkeypatch.setenv("TICKETBOT_APPLY_AT", "category=0.9")
    log_run(configured, minutes_ago=4)
    _, _, checks = invoke_json()
    assert checks["calibration"]["status"] == "degraded"
    assert "TICKETBOT_APPLY_AT=category=0.9 is not used" in checks["calibration"]["reason"]


@pytest.mark.parametrize("setting", ["state_dir", "log_dir"])
def test_a_directory_the_run_cannot_write_is_unhealthy_with_the_runs_message(
    tmp_path: Path, unwritable: Path, setting: str
) -> None:
    """A run refuses to start in a directory it cannot write (exit 2): health said healthy,
    "readable", because it only read the state and measured free space."""
    others = {"state_dir": tmp_path / "state", "log_dir": tmp_path / "logs"}
    settings = load_settings({}, env_file=None, overrides={**others, setting: unwritable})

    def fine(_: object) -> tuple[str, str]:
        return "healthy", "fine"

    verdict = check_health(
        health_setup(settings),
        now=NOW,
        probes={"helpdesk": fine, "llm": fine},  # type: ignore[dict-item]
        free_bytes=lambda path: (path, 100 * 1024 * MIB),
    )
    by_name = {c.name: c for c in verdict.checks}
    name = "disk (state)" if setting == "state_dir" else "disk (logs)"
    variable = "TICKETBOT_STATE_DIR" if setting == "state_dir" else "TICKETBOT_LOG_DIR"
    assert by_name[name].status == "unhealthy"
    assert verdict.exit_code == 2
    with pytest.raises(ConfigError) as refused:
        prepare_directory(unwritable, variable)
    assert by_name[name].reason == str(refused.value)
    assert f"{variable}: cannot write to {unwritable}" in by_name[name].reason
    # Health creates nothing: the other directory, missing, is still missing.
    assert not others["log_dir" if setting == "state_dir" else "state_dir"].exists()
