"""The run fingerprint: what ticketbot asks of each helpdesk and writes, normalised, per scenario.

Its parts: ``fingerprint_base.py`` (constants, normalisation, helpers), ``fingerprint_desks.py``
(processes, the helpdesks' APIs), ``fingerprint_scenario.py`` (one scenario); its routes, fields
and tickets are in ``scripts/data/fingerprint/``."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from scripts import command_parser
from scripts.fingerprint_base import ENGINES, HELPDESKS, LEARNED, Webhook
from scripts.fingerprint_desks import child_env
from scripts.fingerprint_scenario import Scenario

# run_fingerprint ---------------------------------------------------------------------------------

# fp_main ------------------------------------------------------------------------------------------

# -- main -------------------------------------------------------------------------------------


def fingerprint(
    helpdesks: list[str], engines: list[str], *, quick: bool, parallel: bool, python: str
) -> dict[str, Any]:
    hook = Webhook()
    root = Path(tempfile.mkdtemp(prefix="ticketbot-fingerprint-"))
    try:
        scenarios = [
            Scenario(h, e, quick, python, hook, root / f"{h}-{e}")
            for h in helpdesks
            for e in engines
        ]
        for scenario in scenarios:
            scenario.workdir.mkdir()
        with ThreadPoolExecutor(len(scenarios) if parallel else 1) as pool:
            results = list(pool.map(Scenario.run, scenarios))
    finally:
        hook.close()
        shutil.rmtree(root, ignore_errors=True)
    version = subprocess.run(
        [python, "-m", "ticket_processor", "--version"],
        capture_output=True,
        text=True,
        check=False,
        env=child_env({}),
        timeout=60,
    ).stdout.strip()
    summary = {}
    for scenario, result in zip(scenarios, results, strict=True):
        tickets = result["tickets"]
        summary[scenario.name] = {
            "tickets": len(tickets),
            "comments": sum(len(t["comments"]) for t in tickets.values()),
            "private_notes": sum(
                1 for t in tickets.values() for c in t["comments"] if not c["public"]
            ),
            "api_calls_by_phase": {
                p: r.get("api_calls_total") for p, r in result["phases"].items() if "api_calls" in r
            },
            "audits": len(result.get("audits", [])),
        }
    return {
        "fingerprint_version": 1,
        "ticketbot_version": version,
        "quick": quick,
        "api_call_source": "the sandbox's request counters (GET /sandbox/stats) per command"
        + ("; Zendesk writes from the ticket event export" if not quick else ""),
        "summary": summary,
        "scenarios": {s.name: r for s, r in zip(scenarios, results, strict=True)},
    }


def run_fingerprint(argv: list[str] | None = None) -> int:
    parser = command_parser("run_fingerprint")
    parser.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    parser.add_argument("--helpdesk", choices=[*HELPDESKS, "all"], default="all")
    parser.add_argument("--engine", choices=[*ENGINES, LEARNED, "all"], default="all")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="only seed, run1 and run2: no replies, no Zendesk audit (no minute waits)",
    )
    parser.add_argument("--serial", action="store_true", help="one scenario at a time")
    parser.add_argument(
        "--python", default=sys.executable, help="the interpreter that runs ticketbot"
    )
    args = parser.parse_args(argv)
    helpdesks = list(HELPDESKS) if args.helpdesk == "all" else [args.helpdesk]
    engines = list(ENGINES) if args.engine == "all" else [args.engine]
    started = time.monotonic()
    doc = fingerprint(
        helpdesks, engines, quick=args.quick, parallel=not args.serial, python=args.python
    )
    text = json.dumps(doc, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    if args.out:
        args.out.write_text(text, "utf-8")
    else:
        sys.stdout.write(text)
    print(
        f"fingerprint: {json.dumps(doc['summary'], sort_keys=True)} "
        f"in {time.monotonic() - started:.0f} s",
        file=sys.stderr,
    )
    failed = [
        f"{name} {phase}"
        for name, scenario in doc["scenarios"].items()
        for phase, record in scenario["phases"].items()
        if record.get("exit_code", 0) != 0
    ]
    if failed:
        print(f"fingerprint: commands failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0
