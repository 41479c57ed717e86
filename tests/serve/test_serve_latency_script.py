"""``python -m scripts.figures serve_latency``: its quantiles (the nearest rank, and Prometheus'
``histogram_quantile`` over cumulative buckets), and a small run end to end."""

from __future__ import annotations

import math
import subprocess

import pytest
from support.e2e import script_module, toolbox, toolbox_env

latency = script_module("figures_serve")


def test_histogram_quantile_interpolates_within_the_bucket() -> None:
    buckets = [(1.0, 0.0), (2.0, 50.0), (5.0, 100.0), (math.inf, 100.0)]
    assert latency.histogram_quantile(0.5, buckets) == pytest.approx(2.0)
    assert latency.histogram_quantile(0.25, buckets) == pytest.approx(1.5)
    assert latency.histogram_quantile(0.99, buckets) == pytest.approx(4.94)
    assert math.isnan(latency.histogram_quantile(0.5, [(1.0, 0.0), (math.inf, 0.0)]))


def test_histogram_is_read_from_the_exposition() -> None:
    text = "\n".join(
        [
            'ticketbot_delivery_to_note_seconds_bucket{le="1.0"} 3.0',
            'ticketbot_delivery_to_note_seconds_bucket{le="+Inf"} 4.0',
            'other_bucket{le="1.0"} 9.0',
        ]
    )
    buckets = latency.histogram(text, "ticketbot_delivery_to_note_seconds")
    assert buckets == [(1.0, 3.0), (math.inf, 4.0)]


def test_percentile_is_the_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert latency.percentile(values, 0.99) == 99.0
    assert latency.percentile(values, 0.5) == 50.0


@pytest.mark.slow
def test_a_small_run_prints_both_figures_and_the_note_count() -> None:
    command = [*toolbox("figures"), "serve_latency"]
    result = subprocess.run(
        [*command, "--tickets", "6", "--rate", "5"],
        capture_output=True,
        env=toolbox_env(),
        text=True,
        timeout=300,
        check=False,
    )
    assert "tickets with exactly one note: 6 of 6" in result.stdout, result.stdout + result.stderr
    assert "sandbox stamps, created -> note: median" in result.stdout
    assert "serve's histogram, delivery -> note: median" in result.stdout
