"""Regenerate the README's dashboard screenshots: the overview and a ticket page, after a real
run on the local Zendesk sandbox, shot by headless Chromium.

    python scripts/dashboard_screenshots.py               # writes docs/dashboard-*.png
    python scripts/dashboard_screenshots.py --out /tmp    # elsewhere

What it does, as a user would: starts the Zendesk sandbox (``ticketbot sandbox``'s server, in
this process, on a free port), seeds the sample tickets, trains a small calibrated learned
model (so some categories are only suggested), runs ``ticketbot run`` once, starts
``ticketbot dashboard --review`` on a free port, signs in with a token, accepts two suggestions
and corrects one (so the agreement figure has something to show), and shoots the overview (a
desk's width), a ticket page, and the overview on a phone in dark mode. Needs Chromium at
/usr/bin/chromium (Debian: ``apt-get install chromium``), driven through the playwright package.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The checkout's package, so this works in a clone that is not installed.
sys.path.insert(1, str(ROOT))

from ticket_processor.helpdesks.registry import KINDS  # noqa: E402
from ticket_processor.helpdesks.samples import load_samples  # noqa: E402
from ticket_processor.learned.labelled_file import load_labelled  # noqa: E402
from ticket_processor.learned.model_file import save_model  # noqa: E402
from ticket_processor.learned.train import TrainOptions, train  # noqa: E402
from ticket_processor.sandbox.desks import NewTicket, serve_desk  # noqa: E402
from ticket_processor.triage.taxonomy import load_taxonomy  # noqa: E402

TOKEN = "screenshot-token-0123456789abcdef"
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
DATA = ROOT / "tests" / "data"


def ticketbot(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "ticket_processor", *args],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--tickets", type=int, default=60)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    work = Path(tempfile.mkdtemp(prefix="ticketbot-dashboard-"))
    rows = load_labelled(DATA / "bitext.jsonl") + load_labelled(DATA / "banking77.jsonl")
    model = train(rows[::3], load_taxonomy(), options=TrainOptions(folds=2, embedding_weight=0))
    save_model(model.model, work / "model.zip")
    with serve_desk(KINDS["zendesk"]) as desk:
        samples = load_samples()[: args.tickets]
        desk.create([NewTicket(s.subject, s.description) for s in samples])
        env = {
            **desk.env(),
            "TICKETBOT_STATE_DIR": str(work / "state"),
            "TICKETBOT_LOG_DIR": str(work / "logs"),
            "TICKETBOT_LEARNED_MODEL": str(work / "model.zip"),
            "TICKETBOT_APPLY_AT": "category=0.99",
            "TICKETBOT_DASHBOARD_TOKEN": TOKEN,
        }
        ran = ticketbot("run", env=env)
        ran.communicate(timeout=600)
        dashboard = ticketbot("dashboard", "--port", "0", "--review", env=env)
        assert dashboard.stdout is not None
        url = re.search(r"http://\S+", dashboard.stdout.readline())
        assert url is not None, "the dashboard did not start"
        base = url.group(0)
        try:
            shoot(sync_playwright, base, args.out)
        finally:
            dashboard.send_signal(signal.SIGTERM)
            dashboard.wait(timeout=20)
    print(
        f"screenshots in {args.out}: dashboard-overview.png, dashboard-ticket.png, "
        "dashboard-phone-dark.png"
    )


def shoot(sync_playwright: object, base: str, out: Path) -> None:
    with sync_playwright() as driver:  # type: ignore[operator]
        browser = driver.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        headers = {"authorization": f"Bearer {TOKEN}"}
        page = browser.new_context(
            viewport={"width": 1200, "height": 900}, extra_http_headers=headers
        ).new_page()
        page.goto(base + "/review")
        for _ in range(2):
            page.locator('button[name="accept"]').first.click()
            page.wait_for_load_state()
        correct = page.locator('button[name="correct"]')
        if correct.count():
            select = page.locator('select[name^="value:"]').first
            options = select.locator("option").all_inner_texts()
            chosen = select.input_value()
            select.select_option(next(o for o in options if o != chosen))
            correct.first.click()
            page.wait_for_load_state()
        page.goto(base + "/")
        page.screenshot(path=str(out / "dashboard-overview.png"), full_page=True)
        page.goto(base + "/tickets?decision=suggested")
        page.locator("tr[data-ticket-id] a").first.click()
        page.wait_for_load_state()
        page.screenshot(path=str(out / "dashboard-ticket.png"), full_page=True)
        phone = browser.new_context(
            viewport={"width": 390, "height": 844},
            color_scheme="dark",
            extra_http_headers=headers,
        ).new_page()
        phone.goto(base + "/tickets")
        phone.screenshot(path=str(out / "dashboard-phone-dark.png"))
        browser.close()


if __name__ == "__main__":
    main()
