"""``ticketbot sandbox --shop``: the shop stand-in as a user starts it, its banner's lines, and
Shopify's answers behind them (the sample orders with the token, a 401 in Shopify's words
without it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import requests
from support.cli import ROOT

TOKEN = "shpat_banner_0123456789abcdef"


def test_the_shop_serves_its_sample_orders_behind_its_token() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ticket_processor",
            "sandbox",
            "--shop",
            "--port",
            "0",
            "--token",
            TOKEN,
        ],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        said = dict(line.strip().split("=", 1) for line in lines if "=" in line)
        assert said["SHOPIFY_ACCESS_TOKEN"] == TOKEN
        url = f"{said['SHOPIFY_SHOP_URL']}/admin/api/2024-10/orders.json"
        orders = requests.get(url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=10)
        assert orders.status_code == 200
        assert [o["name"] for o in orders.json()["orders"]] == ["#1001", "#1002", "#1003"]
        refused = requests.get(url, timeout=10)
        assert refused.status_code == 401
        assert "Invalid API key or access token" in refused.json()["errors"]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
