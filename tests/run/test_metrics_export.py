"""A run's figures go to a Pushgateway and to a textfile for node_exporter; neither failing
fails the run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.cli import command
from support.e2e import events
from support.ports import held_refused_port
from support.pushgateway import Pushgateway

from ticket_processor.sandbox.desks import NewTicket

pytestmark = pytest.mark.desk(seed=8, configure=True)
run = command("run")

TICKETS = [
    NewTicket(f"Refund {n}", f"Please refund order {n}, it arrived broken") for n in range(5)
]


# Each helpdesk's secret, wrong: the run that follows fails on its first request.
WRONG_SECRETS = {
    "ZENDESK_API_TOKEN": "wrong-token",
    "FRESHDESK_API_KEY": "wrong-key",
    "SERVICENOW_PASSWORD": "wrong-password",
}


def _closed_port() -> int:
    return held_refused_port()  # nothing listens there, and no other test's server takes it


def _samples(text: str) -> dict[str, float]:
    return {
        f"{s.name}{sorted(s.labels.items())}": s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_the_textfile_holds_the_runs_figures(
    desk: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    textfile = tmp_path / "ticketbot.prom"
    monkeypatch.setenv("TICKETBOT_METRICS_TEXTFILE", str(textfile))
    desk.create(TICKETS)
    result = run("--engine", "rules")
    assert result.exit_code == 0, result.output
    samples = _samples(textfile.read_text())
    assert samples["ticketbot_tickets_total[('engine', 'rules'), ('outcome', 'triaged')]"] == 5
    assert samples["ticketbot_run_exit_code[]"] == 0
    assert samples["ticketbot_run_status[('status', 'ok')]"] == 1
    assert "ticketbot_last_success_timestamp_seconds[]" in samples
    assert not list(tmp_path.glob("ticketbot.prom.*"))  # written atomically: no leftovers


def test_a_pushgateway_that_is_down_is_one_warning_and_the_run_succeeds(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_METRICS_PUSHGATEWAY", f"http://127.0.0.1:{_closed_port()}")
    desk.create(TICKETS)
    result = run("--engine", "rules")
    assert result.exit_code == 0, result.output
    assert result.output.count("metrics not pushed to the Pushgateway") == 1
    log = events(Path(os.environ["TICKETBOT_LOG_DIR"]))
    assert len([e for e in log if e["event"] == "metrics_not_exported"]) == 1


@pytest.mark.pushgateway
def test_a_run_leaves_its_series_on_the_pushgateway(
    desk: Any, pushgateway: Pushgateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_METRICS_PUSHGATEWAY", pushgateway.url)
    desk.create(TICKETS)
    assert run("--engine", "rules").exit_code == 0
    series = pushgateway.series()
    triaged = [
        k for k in series if k.startswith("ticketbot_tickets_total") and 'outcome="triaged"' in k
    ]
    assert len(triaged) == 1
    assert series[triaged[0]] == 5
    assert 'account="127.0.0.1"' in triaged[0]
    assert 'job="ticketbot"' in triaged[0]
    success = [v for k, v in series.items() if k.startswith("ticketbot_last_success_timestamp")]
    assert len(success) == 1

    # A failing run replaces the run's figures but keeps the last success's time.
    for name, wrong in WRONG_SECRETS.items():
        monkeypatch.setenv(name, wrong)
    assert run("--engine", "rules").exit_code == 1
    after = pushgateway.series()
    assert [
        v for k, v in after.items() if k.startswith("ticketbot_last_success_timestamp")
    ] == success
    assert [v for k, v in after.items() if k.startswith("ticketbot_run_exit_code")] == [1.0]


def test_a_pushgateway_address_without_its_scheme_says_why_and_how_to_fix_it(
    desk: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_METRICS_PUSHGATEWAY", f"127.0.0.1:{_closed_port()}")
    desk.create(TICKETS)
    result = run("--engine", "rules")
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.output.splitlines() if "metrics not pushed" in x]
    assert "URLError (" in line  # the reason, not the bare type
    assert "http://pushgateway:9091" in line  # and the fix


@pytest.mark.pushgateway
def test_sharded_backfills_each_keep_their_figures_on_the_pushgateway(
    desk: Any, pushgateway: Pushgateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETBOT_METRICS_PUSHGATEWAY", pushgateway.url)
    desk.create(TICKETS)
    backfill = command("backfill")
    for shard in ("0/2", "1/2"):
        result = backfill("--since", "7d", "--shard", shard, "--no-batch")
        assert result.exit_code == 0, result.output
    series = pushgateway.series()
    triaged = {
        k: v
        for k, v in series.items()
        if k.startswith("ticketbot_tickets_total") and 'outcome="triaged"' in k
    }
    shards = sorted(k.split('shard="')[1].split('"')[0] for k in triaged if 'shard="' in k)
    assert shards == ["0/2", "1/2"], triaged  # the second push replaced nothing of the first
    assert sum(triaged.values()) == len(TICKETS)
