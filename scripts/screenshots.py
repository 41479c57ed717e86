"""The dashboard's and the report's screenshots for the docs."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scripts import command_parser
from ticket_processor.common.eventlog import EventLog, new_run_id
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.samples import load_samples
from ticket_processor.learned.labelled_file import load_labelled
from ticket_processor.learned.model_file import save_model
from ticket_processor.learned.train import TrainOptions, train
from ticket_processor.sandbox.desks import NewTicket, serve_desk
from ticket_processor.triage.taxonomy import load_taxonomy

# dashboard_screenshots ---------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
# The checkout's package, so this works in a clone that is not installed.


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


def dashboard_screenshots(argv: list[str] | None = None) -> None:
    parser = command_parser("dashboard_screenshots")
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    parser.add_argument("--tickets", type=int, default=60)
    args = parser.parse_args(argv)
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


# report_screenshot -------------------------------------------------------------------------------

# The checkout's package, so this works in a clone that is not installed.


# The sample day ends at the top of the current hour: ``report`` reads up to now.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
CATEGORIES = {
    "bug": 24,
    "how_to": 18,
    "billing": 14,
    "account": 12,
    "feature_request": 9,
    "shipping": 7,
    "refund": 6,
    "security": 2,
    "other": 8,
}
URGENCY = {"low": 30, "medium": 45, "high": 20, "critical": 5}
PRIORITY = {"critical": "urgent", "high": "high"}
ROUTES = {"security": ("security", "Security"), "billing": ("billing", "Billing")}
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
]


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def sample_day(log_dir: Path, *, seed: int = 7) -> int:
    """Write 12 hours of runs, one every 20 minutes, ending at ``NOW``; return the run count."""
    rng = random.Random(seed)
    ticket = 4100
    starts = [NOW - timedelta(hours=12) + timedelta(minutes=20 * i) for i in range(36)]
    for index, start in enumerate(starts):
        clock = [start]

        def now(clock: list[datetime] = clock) -> datetime:
            return clock[0]

        log = EventLog(log_dir, run_id=new_run_id(), clock=now)
        special = {5: "aborted", 17: "partial", 24: "stopped", 29: "dry"}.get(index)
        log.emit("run_started", engine="llm", dry_run=special == "dry", workers=8)
        if special == "aborted":
            clock[0] += timedelta(seconds=2)
            reason = "Zendesk rejected the credentials (401): check ZENDESK_API_TOKEN"
            log.emit("run_finished", status="aborted", exit_code=1, reason=reason, seconds=2.1)
            log.close()
            continue
        count = max(1, int(rng.gauss(9 + 6 * (8 <= index <= 26), 3)))
        triaged = failed = 0
        for _ in range(count):
            ticket += 1
            clock[0] += timedelta(seconds=rng.uniform(1.5, 6))
            if special == "partial" and failed < 4:
                failed += 1
                log.emit(
                    "ticket_failed",
                    ticket_id=ticket,
                    stage="write",
                    error_type="RecordInvalidError" if failed == 1 else "HelpdeskServerError",
                    error=(
                        "422 RecordInvalid: priority is not a valid value"
                        if failed == 1
                        else "503 from update_many job: retried 3 times"
                    ),
                    ticket_url=f"https://example.zendesk.com/agent/tickets/{ticket}",
                )
                continue
            triaged += 1
            emit_triaged(log, rng, ticket, dry_run=special == "dry")
        clock[0] += timedelta(seconds=1)
        status, code = {"partial": ("partial", 3), "stopped": ("stopped", 143)}.get(
            special or "", ("ok", 0)
        )
        log.emit(
            "run_finished",
            status=status,
            exit_code=code,
            triaged=triaged,
            failed=failed,
            seconds=(clock[0] - start).total_seconds(),
        )
        log.close()
    agreement(log_dir, rng)
    return len(starts)


def emit_triaged(log: EventLog, rng: random.Random, ticket: int, *, dry_run: bool) -> None:
    category, urgency = pick(rng, CATEGORIES), pick(rng, URGENCY)
    roll = rng.random()
    engine, fallback = ("llm", False) if roll < 0.78 else ("learned", False)
    if roll > 0.95:
        engine, fallback = "rules", True
    cached = engine == "llm" and rng.random() < 0.08
    llm = engine == "llm" and not cached
    route, group = ROUTES.get(category, (None, None))
    log.emit(
        "ticket_triaged",
        ticket_id=ticket,
        category=category,
        urgency=urgency,
        sentiment=pick(rng, {"negative": 35, "neutral": 50, "positive": 15}),
        language=pick(rng, {"en": 80, "de": 9, "fr": 6, "es": 5}),
        engine=engine,
        model="gpt-4o-mini" if llm else None,
        fallback=fallback,
        fallback_reason="LLMTimeoutError" if fallback else None,
        cached=cached,
        prompt_tokens=rng.randint(700, 1400) if llm else 0,
        completion_tokens=rng.randint(90, 180) if llm else 0,
        llm_seconds=round(rng.uniform(0.6, 2.4), 3) if llm else 0.0,
        seconds=round(rng.uniform(0.9, 3.5), 3),
        priority=PRIORITY.get(urgency),
        route=route,
        group=group,
        escalated=category == "security" or (urgency == "critical" and category == "bug"),
        dry_run=dry_run,
    )


def agreement(log_dir: Path, rng: random.Random) -> None:
    """What agents kept on the tickets solved today (as a learned-engine job would log it)."""
    clock = [NOW - timedelta(minutes=5)]
    log = EventLog(log_dir, run_id=new_run_id(), clock=lambda: clock[0])
    corrections = {"how_to": "bug", "feature_request": "bug", "other": "account"}
    for ticket in range(4101, 4181):
        ours = pick(rng, CATEGORIES)
        theirs = corrections.get(ours, ours) if rng.random() < 0.35 else ours
        log.emit("agreement", ticket_id=ticket, field="category", ticketbot=ours, agent=theirs)
        level = pick(rng, URGENCY)
        kept = level if rng.random() < 0.8 else pick(rng, URGENCY)
        log.emit("agreement", ticket_id=ticket, field="urgency", ticketbot=level, agent=kept)
    log.close()


def screenshot(chromium: str, page: Path, output: Path, size: str) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={output}",
                f"--window-size={size}",
                page.resolve().as_uri(),
            ],
            check=True,
            timeout=120,
            capture_output=True,
        )


def report_screenshot(argv: list[str] | None = None, *, echo: Callable[[str], None] = print) -> int:
    parser = command_parser("report_screenshot")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--html", type=Path, help="Also keep the HTML page here.")
    parser.add_argument("--window-size", default="1280,2000")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        logs = Path(work) / "logs"
        runs = sample_day(logs)
        page = args.html or Path(work) / "report.html"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TICKETBOT_PRICES": ""}
        command = [sys.executable, "-m", "ticket_processor", "report", "--since", "13h"]
        subprocess.run(
            [*command, "--log-dir", str(logs), "--html", str(page)],
            check=True,
            env=env,
            cwd=work,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )
        args.output.parent.mkdir(parents=True, exist_ok=True)
        screenshot(args.chromium, page, args.output, args.window_size)
    echo(f"{runs} runs synthesised; {args.output} written ({args.output.stat().st_size:,} bytes)")
    return 0
