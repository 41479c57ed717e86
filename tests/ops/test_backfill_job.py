"""``schedule --print kubernetes --backfill N``: an Indexed Job of N backfill shards that passes
Kubernetes's own schema (kubernetes-validate, strict), and mounts the settings' taxonomy and
routes files as the CronJob does (a backfill that cannot read the routes would route nothing)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import yaml
from support.cli import invoke

KUBERNETES = "1.30"


def _validated(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(text)
    kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    return doc


def test_the_indexed_job_is_valid_and_bounded() -> None:
    result = invoke("schedule", "--print", "kubernetes", "--backfill", "12", "--since", "90d")
    assert result.exit_code == 0, result.output
    job = _validated(result.output)
    spec = job["spec"]
    assert job["kind"] == "Job"
    assert spec["completionMode"] == "Indexed"
    assert spec["completions"] == 12
    assert spec["parallelism"] == 4
    args = spec["template"]["spec"]["containers"][0]["args"]
    assert args == ["backfill", "--since", "90d", "--shards", "12", "--no-batch"]


def test_fewer_shards_than_the_parallelism() -> None:
    result = invoke("schedule", "--print", "kubernetes", "--backfill", "2")
    assert result.exit_code == 0, result.output
    assert _validated(result.output)["spec"]["parallelism"] == 2


def test_backfill_is_for_kubernetes_only() -> None:
    result = invoke("schedule", "--print", "cron", "--backfill", "4")
    assert result.exit_code == 2
    assert "Indexed Job" in result.output


def _pod(doc: dict[str, Any]) -> dict[str, Any]:
    spec = doc["spec"].get("jobTemplate", {}).get("spec", doc["spec"])
    pod: dict[str, Any] = spec["template"]["spec"]
    return pod


def test_the_backfill_mounts_the_taxonomy_and_routes_exactly_as_the_cronjob(
    isolated_env: Path,
) -> None:
    package = Path(__file__).resolve().parents[2] / "ticket_processor"
    (isolated_env / "routes.toml").write_bytes((package / "sample_routes.toml").read_bytes())
    (isolated_env / "taxonomy.toml").write_bytes((package / "default_taxonomy.toml").read_bytes())
    env = {"TICKETBOT_ROUTES": "routes.toml", "TICKETBOT_TAXONOMY": "taxonomy.toml"}
    cron = invoke("schedule", "--print", "kubernetes", env=env)
    backfill = invoke("schedule", "--print", "kubernetes", "--backfill", "4", env=env)
    assert cron.exit_code == 0, cron.output
    assert backfill.exit_code == 0, backfill.output

    cronjob = _pod(next(d for d in yaml.safe_load_all(cron.output) if d))
    job = _pod(_validated(backfill.output))
    (scheduled,) = cronjob["containers"]
    (shard,) = job["containers"]
    assert shard["env"] == scheduled["env"]  # TICKETBOT_ROUTES=/etc/ticketbot/routes.toml ...
    values = {item["name"]: item["value"] for item in shard["env"]}
    assert values["TICKETBOT_ROUTES"] == "/etc/ticketbot/routes.toml"
    assert shard["volumeMounts"] == scheduled["volumeMounts"]
    assert job["volumes"] == cronjob["volumes"]
    assert {"name": "files", "configMap": {"name": "ticketbot-files"}} in job["volumes"]
    # How to make the ConfigMap, said where the Job is printed as where the CronJob is.
    made = "#   kubectl create configmap ticketbot-files --from-file=taxonomy.toml "
    assert made in cron.output
    assert made in backfill.output
