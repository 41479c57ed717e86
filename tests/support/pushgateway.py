"""A real Prometheus Pushgateway (Debian's ``prometheus-pushgateway``) on a free loopback port,
for the tests marked ``pushgateway``. A missing binary fails the test: it is never skipped."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests

BINARY = "prometheus-pushgateway"


@dataclass(frozen=True)
class Pushgateway:
    url: str

    def series(self) -> dict[str, float]:
        """Every pushed sample as ``name{label="v",...}`` -> value (the gateway's own ones left
        out)."""
        from prometheus_client.parser import text_string_to_metric_families

        text = requests.get(f"{self.url}/metrics", timeout=5).text
        found = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if not sample.name.startswith("ticketbot_"):
                    continue
                labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
                found[f"{sample.name}{{{labels}}}"] = sample.value
        return found


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def pushgateway() -> Iterator[Pushgateway]:
    binary = shutil.which(BINARY)
    if binary is None:
        pytest.fail(f"{BINARY} is not installed: apt-get install prometheus-pushgateway")
    port = _free_port()
    process = subprocess.Popen(
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).ok:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail("the Pushgateway did not start")
            time.sleep(0.1)
        yield Pushgateway(url)
    finally:
        process.terminate()
        process.wait(10)
