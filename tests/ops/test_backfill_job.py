"""``schedule --print kubernetes --backfill N``: an Indexed Job of N backfill shards that passes
Kubernetes's own schema (kubernetes-validate, strict)."""

from __future__ import annotations

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
