"""``health``'s rows for the shared servers: Redis (TICKETBOT_LLM_BUDGET) and PostgreSQL
(TICKETBOT_DATABASE_URL), each only when configured, reachable or not, the URL's password
masked. The closed-port cases need no server; the reachable ones start a real one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.redis_server import free_port

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sandbox: RunningSandbox) -> Path:
    monkeypatch.setenv("ZENDESK_URL", sandbox.url)
    monkeypatch.setenv("ZENDESK_EMAIL", sandbox.config.email)
    monkeypatch.setenv("ZENDESK_API_TOKEN", sandbox.config.token)
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setenv("TICKETBOT_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def checks() -> tuple[int, str, dict[str, dict[str, str]]]:
    result = invoke("health", "--json")
    data = json.loads(result.stdout)
    return result.exit_code, result.stdout, {c["name"]: c for c in data["checks"]}


def test_no_row_for_a_server_not_configured(configured: Path) -> None:
    _, _, found = checks()
    assert "redis" not in found
    assert "postgresql" not in found


def test_closed_ports_are_said_with_their_passwords_masked(
    configured: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_port, pg_port = free_port(), free_port()
    monkeypatch.setenv("TICKETBOT_LLM_BUDGET", f"redis://:redis-pw-4711@127.0.0.1:{redis_port}/0")
    monkeypatch.setenv(
        "TICKETBOT_DATABASE_URL", f"postgresql://bot:pg-pw-4711@127.0.0.1:{pg_port}/audit"
    )
    code, shown, found = checks()
    assert found["redis"]["status"] == "degraded"
    assert f"127.0.0.1:{redis_port}" in found["redis"]["reason"]
    assert "not reachable" in found["redis"]["reason"]
    assert found["postgresql"]["status"] == "unhealthy"
    assert f"127.0.0.1:{pg_port}/audit" in found["postgresql"]["reason"]
    assert "not reachable" in found["postgresql"]["reason"]
    assert code == 2  # unhealthy: CRITICAL
    assert "pw-4711" not in shown


@pytest.mark.redis
def test_a_reachable_redis_is_healthy(
    configured: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    monkeypatch.setenv("TICKETBOT_LLM_BUDGET", redis_url)
    _, _, found = checks()
    assert found["redis"]["status"] == "healthy", found["redis"]
    assert "is reachable" in found["redis"]["reason"]


@pytest.mark.postgres
def test_a_reachable_postgresql_is_healthy(
    configured: Path, monkeypatch: pytest.MonkeyPatch, postgres_url: str
) -> None:
    monkeypatch.setenv("TICKETBOT_DATABASE_URL", postgres_url)
    _, _, found = checks()
    assert found["postgresql"]["status"] == "healthy", found["postgresql"]
    assert "is reachable" in found["postgresql"]["reason"]
