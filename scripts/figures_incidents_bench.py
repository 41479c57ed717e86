"""The incidents' benchmark: generated hours with their outages, run on every helpdesk."""

from __future__ import annotations

import os
import sys
import tempfile
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from scripts import child_env, command_parser, run_dirs
from scripts.bench_launch import launch
from ticket_processor.incidents.fault import load_fault_head
from ticket_processor.incidents.grouping import judge, repeats
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.window import Row, Window, load_window, save_window

# incidents_bench ---------------------------------------------------------------------------------

WEEK = 7 * 86400


def comparison(window_size: int, new: int, rounds: int) -> dict[str, Any]:
    rng = np.random.default_rng(7)
    now = int(time.time())
    window = Window()
    step = 20_000
    for start in range(0, window_size, step):
        n = min(step, window_size - start)
        rows = [
            Row(
                start + i + 1,
                int(rng.integers(1, window_size // 3)),
                int(now - rng.integers(600, WEEK)),
                "c",
                bool(rng.random() < 0.2),
            )
            for i in range(n)
        ]
        window.add(rows, rng.standard_normal((n, 512)).astype(np.float32))
    window.baseline_from = now - WEEK
    policy = IncidentPolicy()
    fault = load_fault_head()  # as a run with the real encoder judges: faults only
    recent = int((window.created >= now - 3600).sum())
    timings = []
    peaks = []
    next_id = window_size + 1
    for _ in range(rounds):
        rows = [
            Row(
                next_id + i,
                int(rng.integers(1, window_size // 3)),
                now - int(rng.integers(0, 600)),
                "c",
                True,
            )
            for i in range(new)
        ]
        next_id += new
        vectors = rng.standard_normal((new, 512)).astype(np.float32)
        tracemalloc.start()
        began = time.perf_counter()
        window.add(rows, vectors)
        window.prune(now, WEEK, window_size + new * rounds)
        judge(window, now, policy, fault=fault)
        repeats(window, list(window.rows_of([r.ticket_id for r in rows])), policy)
        timings.append(time.perf_counter() - began)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    window_bytes = sum(
        getattr(window, name).nbytes
        for name in ("ids", "requesters", "created", "categories", "open", "incident", "vectors")
    )
    with tempfile.TemporaryDirectory() as directory:
        began = time.perf_counter()
        save_window(Path(directory), window)
        saved = time.perf_counter() - began
        size = (Path(directory) / "window.npz").stat().st_size
        began = time.perf_counter()
        load_window(Path(directory))
        loaded = time.perf_counter() - began
    per_run = float(np.median(timings))
    return {
        "window": len(window),
        "recent_in_hour": recent + new,
        "new_per_run": new,
        "seconds_per_run": round(per_run, 4),
        "ms_per_new_ticket": round(per_run / new * 1000, 3),
        "window_mb": round(window_bytes / 1e6, 1),
        "comparison_peak_mb": round(max(peaks) / 1e6, 1),
        "file_mb": round(size / 1e6, 1),
        "save_seconds": round(saved, 3),
        "load_seconds": round(loaded, 3),
        "requests": 0,
    }


def other_kind_cost(window_size: int, rounds: int) -> dict[str, Any]:
    """What the other-kind test (with the lookalike test) and the vote of a report's neighbours
    add in an hour where a group forms: a window of ``window_size`` random tickets with 25
    reports of one thing in the last hour, judged with each and without (every ticket taken for
    a fault: the cost is the comparison's, and every one of the hour's 521 other tickets is a
    candidate for the vote, more than a fault head leaves)."""
    rng = np.random.default_rng(11)
    now = 1_800_000_000
    vectors = rng.standard_normal((window_size, 512)).astype(np.float32)
    created = rng.integers(now - WEEK, now - 3600, window_size)
    created[-546:] = rng.integers(now - 3500, now - 10, 546)
    vectors[-25:] = rng.standard_normal(512) + 0.5 * rng.standard_normal((25, 512))
    window = Window()
    window.add([Row(i + 1, i + 1, int(created[i]), "", True) for i in range(window_size)], vectors)
    window.baseline_from = now - WEEK
    seconds = {}
    shipped = IncidentPolicy()
    policies = {
        # Neither the other-kind test nor the lookalike test (one pass over the window), nor
        # the vote.
        "judge_seconds_without": replace(
            shipped, other_kind_rank=0, lookalike_rank=0, vote_neighbours=0
        ),
        # Both tests, without the vote of a report's neighbours (the hour's free reports, each
        # compared with the whole window once).
        "judge_seconds_without_vote": replace(shipped, vote_neighbours=0),
        "judge_seconds": shipped,
    }
    for name, policy in policies.items():
        timings = []
        for _ in range(rounds):
            began = time.perf_counter()
            judge(window, now, policy)
            timings.append(time.perf_counter() - began)
        seconds[name] = round(float(np.median(timings)), 3)
    return {"window": window_size, **seconds}


def baseline(kind: str) -> dict[str, Any]:
    from support.incident_scenario import load_freshdesk, load_zendesk, scenario

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.incidents.plan import Sighting
    from ticket_processor.incidents.run_pass import IncidentPass
    from ticket_processor.run.connect import connect, load_settings
    from ticket_processor.sandbox.desks import serve_desk

    class Quiet:
        def emit(self, event: str, **fields: Any) -> dict[str, Any]:
            return fields

    now = int(time.time())
    specs = scenario(1000, now=now)
    with serve_desk(KINDS[kind]) as running, tempfile.TemporaryDirectory() as state:
        sandbox = running.sandbox
        if kind == "zendesk":
            sandbox.config.incremental_limit_per_min = 1000
        ids = (load_zendesk if kind == "zendesk" else load_freshdesk)(sandbox, specs)
        store = sandbox.store
        sightings = []
        for ticket_id, spec in zip(ids, specs, strict=True):
            if spec.status == "open" and spec.created_at >= now - 3600:
                raw = store.get(ticket_id) if kind == "zendesk" else store.find(ticket_id)
                sightings.append(
                    Sighting(
                        ticket_id,
                        spec.subject,
                        f"{spec.subject}\n{spec.body}",
                        int(raw["requester_id"]),
                        spec.created_at,
                        "c",
                        True,
                    )
                )
        env = {**os.environ, **running.env(), "TICKETBOT_STATE_DIR": state}
        helpdesk = connect(load_settings(env))
        running.reset_stats()
        began = time.perf_counter()
        try:
            done = IncidentPass(
                IncidentPolicy(), helpdesk, Path(state), Quiet(), "bench", False, None
            ).run(sightings)
        finally:
            helpdesk.close()
        seconds = time.perf_counter() - began
        stats = running.stats()
    requests = stats.get("requests", {})
    return {
        "helpdesk": kind,
        "baseline_tickets": done.baseline_tickets,
        "baseline_pages": done.baseline_pages,
        "pass_seconds": round(seconds, 2),
        "incidents": done.incidents,
        "linked": done.linked,
        "flagged": done.flagged,
        "requests_total": sum(requests.values()),
        "requests": requests,
    }


def run_rss(window_size: int) -> dict[str, Any]:
    """A real ``ticketbot run --since 1h`` (no LLM: the learned engine and its encoder) with
    incidents on, on the outage hour in the Zendesk sandbox, over a window already holding
    ``window_size`` tickets: the child process's peak RSS."""

    from support.incident_scenario import load_zendesk, scenario

    from ticket_processor.helpdesks.registry import KINDS
    from ticket_processor.sandbox.desks import serve_desk

    rng = np.random.default_rng(3)
    now = int(time.time())
    with serve_desk(KINDS["zendesk"]) as running, tempfile.TemporaryDirectory() as root:
        running.sandbox.config.incremental_limit_per_min = 1000
        load_zendesk(running.sandbox, scenario(1000, now=now))
        window = Window()
        for start in range(0, window_size, 20_000):
            n = min(20_000, window_size - start)
            rows = [
                Row(
                    10_000_000 + start + i,
                    10_000_000 + i,
                    int(now - rng.integers(7200, WEEK)),
                    "c",
                    False,
                )
                for i in range(n)
            ]
            window.add(rows, rng.standard_normal((n, 512)).astype(np.float32))
        window.baseline_from = now - WEEK
        save_window(Path(root) / "state" / "incidents", window)
        del window
        env = child_env(running.env(), run_dirs(root), TICKETBOT_INCIDENTS="true")
        # Through the small launcher: a child forked from this process would be charged with
        # this process's peak (``bench_launch.py`` says why).
        done = launch(
            [sys.executable, "-m", "ticket_processor", "run", "--since", "1h"],
            env=env,
            cwd=Path.cwd(),
            timeout=900,
        )
    return {
        "window": window_size,
        "exit_code": done.exit_code,
        "peak_rss_mb": round(done.peak_mib, 1),
        "seconds": round(done.seconds, 1),
        "incidents_line": next(
            (line for line in done.stdout.splitlines() if line.startswith("incidents")), ""
        ),
    }


def write_labelled(path: Path) -> None:
    """The outage hour as a labelled file for ``ticketbot eval --grouping`` (the README's
    format): the outage's reports one group, each repeat with its earlier ticket one group."""
    from support.incident_scenario import iso, scenario

    specs = scenario(1000, now=int(time.time()))
    groups: dict[int, str] = {}
    for index, spec in enumerate(specs):
        if spec.label == "outage":
            groups[index] = "outage"
        elif spec.label == "repeat" and spec.repeat_of is not None:
            groups[index] = groups[spec.repeat_of] = f"repeat-{spec.repeat_of}"
    lines = [
        orjson.dumps(
            {
                "id": index + 1,
                "subject": spec.subject,
                "body": spec.body,
                "requester": spec.email,
                "created_at": iso(spec.created_at),
                "status": spec.status,
                "group": groups.get(index),
            }
        ).decode()
        for index, spec in enumerate(specs)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def incidents_bench(argv: list[str] | None = None) -> int:
    parser = command_parser("incidents_bench")
    parser.add_argument("--window", type=int, default=100_000)
    parser.add_argument("--new", type=int, default=100, help="new tickets a run (100)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-helpdesks", action="store_true")
    parser.add_argument(
        "--rss", type=int, metavar="WINDOW", help="also a real run's peak RSS over this window"
    )
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--other-kind",
        action="store_true",
        help="only what the other-kind test and the vote add to judging an hour with a group",
    )
    parser.add_argument(
        "--labelled-file", type=Path, help="write the outage hour as a labelled file and stop"
    )
    args = parser.parse_args(argv)
    if args.labelled_file is not None:
        write_labelled(args.labelled_file)
        return 0
    if args.other_kind:
        print(orjson.dumps(other_kind_cost(args.window, args.rounds)).decode())
        return 0
    result: dict[str, Any] = {"comparison": comparison(args.window, args.new, args.rounds)}
    if not args.skip_helpdesks:
        result["first_run"] = [baseline("zendesk"), baseline("freshdesk")]
    if args.rss:
        result["run"] = run_rss(args.rss)
    if args.json:
        print(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return 0
    c = result["comparison"]
    print(
        f"window {c['window']:,} tickets ({c['window_mb']} MB in memory, {c['file_mb']} MB file, "
        f"saved in {c['save_seconds']} s, loaded in {c['load_seconds']} s)\n"
        f"a run with {c['new_per_run']} new tickets ({c['recent_in_hour']} in the hour): "
        f"{c['seconds_per_run']} s, {c['ms_per_new_ticket']} ms a new ticket, "
        f"peak {c['comparison_peak_mb']} MB allocated, {c['requests']} requests"
    )
    if "run" in result:
        r = result["run"]
        print(
            f"ticketbot run --since 1h over a window of {r['window']:,}: peak RSS "
            f"{r['peak_rss_mb']} MB, {r['seconds']} s, exit {r['exit_code']}; {r['incidents_line']}"
        )
    for run in result.get("first_run", []):
        print(
            f"{run['helpdesk']}: first run read {run['baseline_tickets']} tickets of baseline in "
            f"{run['baseline_pages']} page(s); the pass took {run['pass_seconds']} s and "
            f"{run['requests_total']} requests in all ({run['incidents']} incident, "
            f"{run['linked']} linked, {run['flagged']} flagged): {run['requests']}"
        )
    return 0
