"""One readiness judgement, on each helpdesk: ``/metrics``' ``ticketbot_ready`` says what
``/readyz`` says, and ``/readyz`` answers within its timeout however long the health checks
take. The gauge used to stay 1 from the models' loading on while ``/readyz`` answered 503 (the
helpdesk failing), and ``/readyz`` waited out every check (seconds, for a failing helpdesk)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from support.serving import AUTHORISED, serve_env, serving

from ticket_processor.sandbox.desks import Desk
from ticket_processor.serve import app

GAUGE = "ticketbot_ready "


def gauge(body: str) -> float:
    [line] = [line for line in body.splitlines() if line.startswith(GAUGE)]
    return float(line.removeprefix(GAUGE))


@pytest.fixture
def fresh_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every probe judges anew (not the verdict of the last 15 s)."""
    monkeypatch.setattr(app, "READY_CHECK_TTL", 0.0)


@pytest.mark.usefixtures("fresh_verdicts")
def test_the_gauge_says_what_readyz_says(desk: Desk, tmp_path: Path) -> None:
    with serving(serve_env(desk.env(), tmp_path)) as server:
        ready = server.client.get(f"{server.url}/readyz")
        assert ready.status_code == 200, ready.text
        assert gauge(server.client.get(f"{server.url}/metrics").text) == 1.0

        desk.sandbox.config.apply({"error_rate": 1.0})  # the helpdesk fails every request
        down = server.client.get(f"{server.url}/readyz")
        assert down.status_code == 503, down.text
        assert gauge(server.client.get(f"{server.url}/metrics").text) == 0.0

        desk.sandbox.config.apply({"error_rate": 0.0})
        # The checks begun while it failed (retrying for seconds) answer a probe or two more.
        deadline = time.monotonic() + 60
        while server.client.get(f"{server.url}/readyz").status_code != 200:
            assert time.monotonic() < deadline, "never ready again"
            time.sleep(0.2)
        assert gauge(server.client.get(f"{server.url}/metrics").text) == 1.0


@pytest.mark.usefixtures("fresh_verdicts")
def test_readyz_does_not_wait_out_a_helpdesk_that_does_not_answer(
    desk: Desk, tmp_path: Path
) -> None:
    with serving(serve_env(desk.env(), tmp_path)) as server:
        desk.sandbox.config.apply({"latency_ms": 4_000})  # under the probe's 5 s: no error
        slow = server.client.get(f"{server.url}/readyz", headers=AUTHORISED)
        desk.sandbox.config.apply({"latency_ms": 0})
    assert slow.status_code == 503, slow.text
    [check] = slow.json()["health"]["checks"]
    assert f"no verdict within {app.READY_TIMEOUT:g} s" in check["reason"]


pytestmark = pytest.mark.desk()
