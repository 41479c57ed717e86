"""CPU figures: profiles of a run and its stages, the run's fingerprint, the encoder's and an LLM
call's CPU."""

from __future__ import annotations

import argparse
import base64
import functools
import gc
import hashlib
import hmac
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import pstats
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
import requests
from rich.console import Console
from rich.table import Table

from scripts.bench import parse_args as bench_args
from scripts.bench_harness import REPO_ROOT, run_bench
from ticket_processor.learned.embed import Encoder
from ticket_processor.llm import LLMAnalyser
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

# profile_run -------------------------------------------------------------------------------------

PROFILE_RUN_DOC = """\
Where a run's CPU goes: CPU seconds per 1,000 tickets by stage, with the LLM stand-in and the
learned engine.

    python -m scripts.figures profile_run                          # 1,000 tickets, llm and learned
    python -m scripts.figures profile_run --engines llm --tickets 500 --llm-latency 0.2 --json

Each engine gets what ``scripts/bench.py`` does (the Zendesk sandbox and the OpenAI stand-in in
this process, N distinct seeded tickets, ``ticketbot run`` as a child process; every flag of
bench.py but ``--engine`` is taken and means the same), except that the child is
``python -m scripts.figures profile_stages``: the same command in the same process, with a timer of
the calling thread's CPU on each stage's functions (explicit stage timers, not a sampling
profiler: a thread waiting on the LLM costs nothing and is counted as nothing). The timers
live in that script only, so a normal run pays nothing for them.

The stages: start-up (the interpreter and the imports of ``ticketbot``'s command line), set-up
(settings, clients, state files, the help-centre sync: until the first stage is entered),
discovery, preparation and redaction, the engine, the help-centre lookup, planning and answers,
incidents, the audit store, the write-back, the log; "other" is the rest of the process's CPU
(the HTTP connection pools, threads, the garbage collector, the shutdown, the stages' own
callers). The total is the process's CPU (``time.process_time``); ``rusage`` is the launcher's
``wait4`` figure, as bench.py's ``child_cpu_seconds``.
"""


HERE = Path(__file__).resolve().parent


def profile(engine: str, argv: list[str], say: Any, cprofile: Path | None = None) -> dict[str, Any]:
    """One benchmark of ``engine`` under the stage timers; figures per 1,000 tickets."""
    settings, _ = bench_args([*argv, "--engine", engine])
    with tempfile.TemporaryDirectory(prefix="ticketbot-profile-") as tmp:
        out = Path(tmp)
        entry = [str(HERE / "figures.py"), "profile_stages", str(out)]
        if cprofile is not None:
            entry.append("--cprofile")
        result = run_bench(settings, say=say, entry=entry)
        runs = [orjson.loads(p.read_bytes()) for p in sorted(out.glob("*.json"))]
        if cprofile is not None:
            stats = pstats.Stats(*(str(p) for p in sorted(out.glob("*.prof"))))
            stats.dump_stats(str(cprofile.with_name(f"{cprofile.stem}-{engine}{cprofile.suffix}")))
    if not runs:
        raise SystemExit(f"{engine}: the run wrote no profile ({result['child_stderr_tail']})")
    per = 1000.0 / max(1, result["triaged"])
    cpu: dict[str, float] = {"start-up": 0.0, "set-up": 0.0}
    for stage in STAGES:
        cpu[stage] = 0.0
    total = 0.0
    for run in runs:
        for stage in run["stages"]:
            cpu.setdefault(stage, 0.0)
    for run in runs:
        began = run["began_cpu_seconds"] or run["total_cpu_seconds"]
        cpu["start-up"] += run["startup_cpu_seconds"]
        cpu["set-up"] += began - run["startup_cpu_seconds"]
        for stage, figures in run["stages"].items():
            cpu[stage] = cpu.get(stage, 0.0) + figures["cpu_seconds"]
        total += run["total_cpu_seconds"]
    cpu["other"] = total - sum(cpu.values())
    return {
        "engine": engine,
        "tickets": result["tickets"],
        "triaged": result["triaged"],
        "runs": len(runs),
        "cpu_seconds_per_1000": {k: round(v * per, 3) for k, v in cpu.items()},
        "total_cpu_seconds_per_1000": round(total * per, 3),
        "rusage_cpu_seconds_per_1000": round(float(result["child_cpu_seconds"]) * per, 3),
        "startup_cpu_seconds_per_run": round(cpu["start-up"] / len(runs), 3),
        "not_found": sorted({name for run in runs for name in run["not_found"]}),
        "exit_code": result["exit_code"],
    }


def table(profiles: list[dict[str, Any]]) -> Table:
    out = Table(title="CPU seconds per 1,000 tickets, by stage", header_style="bold")
    out.add_column("stage")
    for p in profiles:
        out.add_column(f"{p['engine']} ({p['triaged']} tickets, {p['runs']} runs)", justify="right")
    stages = dict.fromkeys(k for p in profiles for k in p["cpu_seconds_per_1000"])
    for stage in stages:
        out.add_row(stage, *(f"{p['cpu_seconds_per_1000'].get(stage, 0.0):.3f}" for p in profiles))
    out.add_row(
        "total (process_time)", *(f"{p['total_cpu_seconds_per_1000']:.3f}" for p in profiles)
    )
    out.add_row("total (rusage)", *(f"{p['rusage_cpu_seconds_per_1000']:.3f}" for p in profiles))
    return out


def profile_run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=PROFILE_RUN_DOC.split("\n\n")[0])
    parser.add_argument("--engines", default="llm,learned", help="engines, by commas (llm,learned)")
    parser.add_argument("--tickets", type=int, default=1000, help="tickets to seed (1000)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument(
        "--cprofile",
        type=Path,
        metavar="FILE",
        help="also cProfile every thread into FILE-<engine> (pstats; slows the run: its "
        "stage figures are then proportions only)",
    )
    args, rest = parser.parse_known_args(argv)
    err = Console(stderr=True, highlight=False)

    def say(message: str) -> None:
        if not args.json:
            err.print(f"[dim]{message}[/]")

    profiles = [
        profile(engine, [*rest, "--tickets", str(args.tickets)], say, args.cprofile)
        for engine in args.engines.split(",")
    ]
    for p in profiles:
        if p["not_found"]:
            err.print(
                f"[yellow]{p['engine']}: not loaded by this run, or moved: "
                f"{', '.join(p['not_found'])}"
            )
    if args.json:
        sys.stdout.write(orjson.dumps(profiles, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        Console(highlight=False).print(table(profiles))
    return 0 if all(p["exit_code"] == 0 for p in profiles) else 1


# profile_stages ----------------------------------------------------------------------------------

PROFILE_STAGES_DOC = """\
``ticketbot`` run in this process with CPU timers on its stages.

    python -m scripts.figures profile_stages DIR [--cprofile] ARGS...

``python -m scripts.figures profile_run`` starts this instead of ``python -m ticket_processor``.
Before the command runs, the functions each stage is made of (``STAGES``: qualified names, looked up
in whatever module of the package defines them, so the figures survive modules moving) are
wrapped with a timer of the calling thread's CPU (``time.thread_time``). A stage's figure is
its own CPU: time spent in a nested stage (the audit feed inside the log's ``emit``, the
help-centre lookup inside the triage cache) is counted there, not twice. Modules imported
later in the run (an engine, the help-centre retrieval) are wrapped as they load.

The product is not touched: with this script not in use nothing is wrapped and nothing is
timed, so the timers cost a normal run nothing. The wrapped run pays about a microsecond per
call of a wrapped function.

At exit ``DIR/<pid>.json`` gets one JSON object: the process's CPU seconds
(``time.process_time``) at start-up (the interpreter and ``import ticket_processor.cli``),
when the run began its work (the first stage entered), and at the end; each stage's CPU
seconds and calls; and which names were not found (a stage that moved or was renamed, or a
module this run never loaded: the profile says so rather than printing a silent zero).
"""


# Which stage each function's own CPU goes to: ``Name`` is a function, ``Class.method`` a
# method of a class defined anywhere in ticket_processor (``*`` all its public methods).
STAGES: dict[str, tuple[str, ...]] = {
    "discovery": ("Discovery.pages", "Discovery.wanted", "ReplyPass.*"),
    "preparation and redaction": ("prepare_ticket",),
    "engine": ("LLMEngine.analyse", "LocalEngine.analyse", "TriageCache.triage"),
    "help-centre lookup": ("SuggestingTriageCache.suggest",),
    "planning and answers": ("ChangePlanner.*", "RunAnswers.*"),
    "incidents": ("Sightings.*", "IncidentPass.*", "FaultHead.*"),
    "audit store": ("AuditFeed.*", "SqliteWriter.*"),
    "write-back": ("BatchWriter._write_batch",),
    "log": ("EventLog.emit", "RunRecorder.*"),
}

_local = threading.local()
_lock = threading.Lock()
_cpu: dict[str, float] = {}
_calls: dict[str, int] = {}
_began: list[float] = []
_wrapped: set[str] = set()


def _enter() -> list[float]:
    """A frame for this call: [children's CPU]; pushed on this thread's stack."""
    stack: list[list[float]] | None = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    if not _began:
        _began.append(time.process_time())
    frame = [0.0]
    stack.append(frame)
    return frame


def _leave(stage: str, frame: list[float], elapsed: float) -> None:
    stack: list[list[float]] = _local.stack
    stack.pop()
    if stack:
        stack[-1][0] += elapsed
    own = elapsed - frame[0]
    with _lock:
        _cpu[stage] = _cpu.get(stage, 0.0) + own
        _calls[stage] = _calls.get(stage, 0) + 1


def _timed(stage: str, func: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.isgeneratorfunction(func):

        @functools.wraps(func)
        def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
            inner = func(*args, **kwargs)
            while True:  # each step timed; the consumer's work between steps is not
                frame, started = _enter(), time.thread_time()
                try:
                    item = next(inner)
                except StopIteration:
                    return
                finally:
                    _leave(stage, frame, time.thread_time() - started)
                yield item

        return generator

    @functools.wraps(func)
    def timed(*args: Any, **kwargs: Any) -> Any:
        frame, started = _enter(), time.thread_time()
        try:
            return func(*args, **kwargs)
        finally:
            _leave(stage, frame, time.thread_time() - started)

    timed.__wrapped_stage__ = stage  # type: ignore[attr-defined]
    return timed


_gc_started: dict[int, float] = {}


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    """The garbage collector's CPU, as a stage of its own (it runs in whichever thread
    allocated last, inside whatever that thread was doing: taken out of that stage)."""
    now = time.thread_time()
    if phase == "start":
        _gc_started[threading.get_ident()] = now
        return
    started = _gc_started.pop(threading.get_ident(), None)
    if started is None:
        return
    elapsed = now - started
    stack: list[list[float]] | None = getattr(_local, "stack", None)
    if stack:
        stack[-1][0] += elapsed
    generation = f"garbage collector (generation {info.get('generation', '?')})"
    with _lock:
        _cpu[generation] = _cpu.get(generation, 0.0) + elapsed
        _calls[generation] = _calls.get(generation, 0) + 1


def _targets() -> dict[str, str]:
    return {name: stage for stage, names in STAGES.items() for name in names}


def _wrap_module(module: ModuleType) -> None:
    """Wrap the stage functions and methods ``module`` defines (or holds by name)."""
    for name, stage in _targets().items():
        owner_name, _, method = name.partition(".")
        found = getattr(module, owner_name, None)
        if found is None or not getattr(found, "__module__", "").startswith("ticket_processor"):
            continue
        if not method:
            if callable(found) and not hasattr(found, "__wrapped_stage__"):
                setattr(module, owner_name, _timed(stage, found))
                _wrapped.add(name)
            continue
        if not inspect.isclass(found):
            continue
        methods = [m for m in vars(found) if not m.startswith("_")] if method == "*" else [method]
        for attr in methods:
            value = vars(found).get(attr)
            if inspect.isfunction(value) and not hasattr(value, "__wrapped_stage__"):
                setattr(found, attr, _timed(stage, value))
                _wrapped.add(name)


class _Wrapper(importlib.abc.MetaPathFinder):
    """Wraps the stages of each ticket_processor module as it finishes loading."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("ticket_processor"):
            return None
        for finder in sys.meta_path:
            if finder is self:
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                loader = spec.loader
                exec_module = loader.exec_module

                def exec_and_wrap(module: ModuleType, run: Any = exec_module) -> None:
                    run(module)
                    _wrap_module(module)

                loader.exec_module = exec_and_wrap  # type: ignore[method-assign]
                return spec
        return None


def _wrap_loaded() -> None:
    for name, module in list(sys.modules.items()):
        if name.startswith("ticket_processor") and module is not None:
            _wrap_module(module)


def _cprofile_threads(out: Path) -> Callable[[], None]:
    """cProfile every thread (the main one and each as it starts); the returned function
    writes ``DIR/<pid>.prof`` with all their statistics merged (for ``pstats``)."""
    import cProfile
    import pstats

    profiles: list[cProfile.Profile] = []

    def start(*_: object) -> None:
        profile = cProfile.Profile(time.thread_time)  # CPU, not threads waiting
        profiles.append(profile)
        profile.enable()  # replaces this hook for the thread

    threading.setprofile(start)
    start()

    def dump() -> None:
        merged = pstats.Stats(profiles[0])
        for profile in profiles[1:]:
            merged.add(profile)
        merged.dump_stats(str(out / f"{os.getpid()}.prof"))

    return dump


def profile_stages(argv: list[str]) -> None:
    if argv[:1] in (["-h"], ["--help"]) or not argv:
        print(PROFILE_STAGES_DOC)
        return
    out, args = Path(argv[0]), argv[1:]
    figures: dict[str, Any] = {}
    dump: Callable[[], None] | None = None
    if args[:1] == ["--cprofile"]:
        # A function-level profile as well (cProfile slows the run about twofold: its stage
        # figures are then no measure, only its proportions are).
        args = args[1:]
        dump = _cprofile_threads(out)
    sys.meta_path.insert(0, _Wrapper())
    gc.callbacks.append(_gc_timer)
    import ticket_processor.cli as cli

    figures["startup_cpu_seconds"] = time.process_time()
    _wrap_loaded()
    sys.argv = ["ticketbot", *args]
    code: str | int | None = 0
    try:
        cli.main()
    except SystemExit as ended:
        code = ended.code if isinstance(ended.code, (str, int)) else None
    finally:
        figures["began_cpu_seconds"] = _began[0] if _began else None
        figures["total_cpu_seconds"] = time.process_time()
        with _lock:
            figures["stages"] = {
                stage: {"cpu_seconds": _cpu.get(stage, 0.0), "calls": _calls.get(stage, 0)}
                for stage in [*STAGES, *sorted(k for k in _cpu if k.startswith("garbage"))]
            }
        figures["not_found"] = sorted(set(_targets()) - _wrapped)
        (out / f"{os.getpid()}.json").write_text(json.dumps(figures), encoding="utf-8")
        if dump is not None:
            dump()
    if isinstance(code, int):
        cli.leave(code)  # as the console script ends: no teardown
    sys.exit(code)


# run_fingerprint ---------------------------------------------------------------------------------

RUN_FINGERPRINT_DOC = """\
A behaviour fingerprint of ticketbot runs: what a run writes and which API calls it makes,
on the local Zendesk and Freshdesk sandboxes, as one JSON document that ``diff`` can compare.

It measures, for each helpdesk (Zendesk, Freshdesk) and each engine (``rules``: the keyword
rules; ``llm``: the LLM path through the OpenAI-compatible stand-in that ``ticketbot sandbox
--llm`` serves), one scenario on a fresh sandbox:

1. ``ticketbot sandbox`` on a free loopback port with its own ``--state`` file, ``ticketbot
   seed --count 50`` (the shipped sample tickets, groups, help centre), then over the
   sandbox's plain HTTP API two custom fields (a text field "Order number", a drop-down
   "Product") and four tickets of this script's own (three fill the fields, one is routed to
   Security and escalated);
   ``TICKETBOT_ROUTES`` (a copy of the sample routes, with escalation and an extra tag),
   ``TICKETBOT_FIELDS`` and ``TICKETBOT_ALERT_WEBHOOK`` (a local receiver in this script);
2. ``run1``: ``ticketbot run --engine E --workers 1``; ``run2``: the same again, which should
   write nothing;
3. unless ``--quick``: three customer replies (an angry one, a thank-you, an out-of-office)
   over the helpdesk's API, then ``run3`` (re-triage) and ``run4`` (should write nothing). On
   Zendesk the ticket event export leaves out its last minute, so ``run3`` waits until the
   replies are a minute old, and the audit log is read a minute after the last run;
4. ``served``: ``ticketbot serve`` on a free port, two new tickets delivered to it as the
   helpdesk's webhook sends them (signed), served until both carry the marker, then SIGTERM;
5. ``backfill``: two more tickets, ``ticketbot backfill --since <yesterday> --no-batch``
   (the backfill's own cursor), then ``run5``, which should write nothing but count what
   ``serve`` triaged (the served journal).

What is recorded (``scenarios.<helpdesk>/<engine>``):

- ``tickets``: every ticket, keyed by its subject (ids are not stable: Freshdesk's seed
  creates tickets concurrently), read back over the helpdesk's API after the last run: status,
  priority, tags (sorted), group and assignee (by name), custom fields (by title), and every
  comment / conversation in order (author role, public or private, body as sent).
- ``phases.<phase>.api_calls``: the API calls the helpdesk sandbox received during that
  command, from the sandbox's own request counters (``GET /sandbox/stats``, reset with ``POST
  /sandbox/reset_stats`` before each command): a multiset of ``METHOD /path-pattern`` -> count,
  plus its rate-limit, fault, job and (Freshdesk) credit counters. Job status polls
  (``GET .../job_statuses/{job_id}``) count as ``polled``: how many polls a job takes before
  the sandbox's job thread finishes depends on the machine's load; ``api_calls_total`` leaves
  them out. Zendesk's ``PUT /api/v2/tickets/update_many`` counts as ``batched`` too: the run's
  writer sends a batch once its first ticket waited a second, so a run slowed by a busy machine
  sends its 54 tickets in two jobs instead of one; every write is still in ``audits``.
  Neither sandbox exposes a per-request log over HTTP, so calls are compared as this multiset;
  their order is not recorded.
  ``llm_calls`` is the stand-in's ``/stats`` counters over the same command (llm scenarios).
- ``phases.<phase>.changed``: the tickets that command wrote (their tags, priority, group,
  assignee, fields or ``updated_at`` moved; so ``run2`` and ``run4`` should show none);
  ``stdout``/``exit_code``: the command's output.
- ``phases.<phase>.log``: the run's JSON-lines log events (``TICKETBOT_LOG_DIR``).
- ``phases.<phase>.webhook``: the alert / escalation posts the run made.
- ``audits`` (Zendesk, without ``--quick``): the sandbox's audit trail, read through the
  ticket event export (``GET /api/v2/incremental/ticket_events.json``): every write, by
  phase and ticket, with what each changed (comment bodies as a hash: they are in ``tickets``).

Normalised away: on Freshdesk, ``run3``'s count of tickets listed again (``skipped``,
``tickets_seen``: run1's writes that shared its last second, which depends on the machine's
speed); timestamps and dates, run ids, durations and latencies (any key ending in
``seconds``, ``_s``, ``_at``, ``ts``), ports and loopback URLs, temporary paths, ticket,
comment, user, group and field ids where the API gives them (replaced by subjects, ordinals
and names), a comment's ``answers=<id>`` in a trailer (replaced by the comment's ordinal in its
ticket), ticket ids in alert texts (by subject), and the host name. Ids that the seed makes
the same every time (groups, help-centre articles: ``group=…``, ``articles=…`` in a note's
trailer) are kept as written.

Run it from the checkout whose behaviour you want (the package importable as
``ticket_processor``, e.g. its venv, or ``PYTHONPATH=<checkout>``); it takes about three and a
half minutes, mostly Zendesk's minute waits (the four scenarios run side by side; ``--quick``
under a minute). It exits 1 if any ticketbot command failed.

    python -m scripts.figures run_fingerprint --out /tmp/fingerprint-after.json
    diff /tmp/fingerprint-before.json /tmp/fingerprint-after.json && echo same

It talks to ticketbot only through ``python -m ticket_processor`` (``sandbox``, ``seed``,
``run``), environment variables, and plain HTTP to the sandboxes, so it measures the same thing
before and after modules move. Nothing outside its temporary directory is touched.
"""


HELPDESKS = ("zendesk", "freshdesk")
ENGINES = ("rules", "llm")
# Only when asked (``--engine learned``): ``--engine llm`` with no LLM configured, which is a
# default run's engine without one, the bundled learned model.
LEARNED = "learned"
SEED_COUNT = 50
# Environment the child processes must not inherit from the caller (a developer's own
# helpdesk or LLM settings): each scenario sets exactly what it needs.
_ENV_PREFIXES = ("ZENDESK_", "FRESHDESK_", "OPENAI_", "TICKETBOT_", "ZENPY_")
# Zendesk's ticket event export leaves out its last minute: wait this long after a write.
EXPORT_LAG = 63.0
# Gap between two commands, so that second-resolution timestamps tell their writes apart.
GAP = 2.0
TIMEOUT = 180.0

# The fingerprint's routes, custom fields and own tickets (scripts/data/fingerprint/).
FINGERPRINT_DATA = Path(__file__).resolve().parent / "data" / "fingerprint"
ROUTES_TOML = (FINGERPRINT_DATA / "routes.toml").read_text("utf-8")
FIELDS_TOML = (FINGERPRINT_DATA / "fields.toml").read_text("utf-8")
_TICKETS = tomllib.loads((FINGERPRINT_DATA / "tickets.toml").read_text("utf-8"))


def _tickets(part: str) -> tuple[tuple[str, str], ...]:
    """One part of tickets.toml as (subject, text) pairs."""
    return tuple((row["subject"], row["text"]) for row in _TICKETS[part])


PRODUCT_OPTIONS = (
    ("Mobile app", "product_mobile_app"),
    ("Web app", "product_web"),
    ("Desktop client", "product_desktop"),
)

EXTRA_TICKETS = _tickets("extra")
SERVED_TICKETS = _tickets("served")
BACKFILL_TICKETS = _tickets("backfill")
REPLIES = _tickets("replies")
SERVE_SECRET = "whsec-fingerprint-0123456789abcdef"


# -- normalisation ----------------------------------------------------------------------------

_RUN_ID = re.compile(r"\b\d{8}T\d{6}Z-[0-9a-f]{4,}\b")
_ISO_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}| UTC)?"
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_LOOPBACK = re.compile(r"https?://(127\.0\.0\.1|localhost):\d+")
_ANSWERS = re.compile(r"\banswers=(\d+)\b")
# The run's summary line: how long it took and what bounded it depend on the machine.
_TIMING = re.compile(r"\b(seconds|bound|llm_in_flight_peak)=\S+")
# Freshdesk lists again the tickets written in the second the last run's cursor stopped at:
# how many of run1's writes fell into its last second is the machine's speed, not behaviour.
_RELISTED = re.compile(r"\bskipped=\d+")
_JOB_POLL = re.compile(r"^GET /api/v2/(job_statuses|jobs)/\{job_id\}")
_BATCHED = re.compile(r"^PUT /api/v2/tickets/update_many$")
_TICKET_REF = re.compile(r"(#|tickets/)(\d+)\b")
_VOLATILE_KEYS = {"ts", "run_id", "time", "timestamp", "pid", "host"}
_VOLATILE_SUFFIXES = ("seconds", "_s", "_at", "_ms")
_TIMING_KEYS = {"bound", "llm_bound", "llm_latency_s", "max_inflight"}


@dataclass
class Normaliser:
    """Text rewritten so that what legitimately differs between runs reads the same."""

    urls: dict[str, str] = field(default_factory=dict)  # base URL -> placeholder
    paths: dict[str, str] = field(default_factory=dict)  # temp path -> placeholder

    def text(self, value: str, answers: Mapping[int, str] | None = None) -> str:
        for url, name in sorted(self.urls.items(), key=lambda kv: -len(kv[0])):
            value = value.replace(url, name)
        for path, name in sorted(self.paths.items(), key=lambda kv: -len(kv[0])):
            value = value.replace(path, name)
        value = _LOOPBACK.sub("<url>", value)
        value = value.replace(f"@{socket.gethostname()}", "@<host>")
        value = _RUN_ID.sub("<run-id>", value)
        value = _TIMING.sub(lambda m: f"{m[1]}=<timing>", value)
        value = _ISO_TIME.sub("<time>", value)
        value = _DATE.sub("<date>", value)
        if answers is not None:
            value = _ANSWERS.sub(lambda m: f"answers={answers.get(int(m[1]), '?')}", value)
        return value

    def value(self, value: Any) -> Any:
        """A JSON value with volatile keys dropped and every string normalised."""
        if isinstance(value, dict):
            return {str(k): self.value(v) for k, v in value.items() if not _volatile(str(k))}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def _volatile(key: str) -> bool:
    return key in _VOLATILE_KEYS or key in _TIMING_KEYS or key.endswith(_VOLATILE_SUFFIXES)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# -- the alert webhook ------------------------------------------------------------------------


class _HookServer(ThreadingHTTPServer):
    posts: dict[str, list[Any]]
    lock: threading.Lock


class _HookHandler(BaseHTTPRequestHandler):
    server: _HookServer

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body: Any = json.loads(raw or b"null")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self.server.lock:
            self.server.posts.setdefault(self.path, []).append(body)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class Webhook:
    """A local Slack-compatible receiver: each scenario posts to its own path."""

    def __init__(self) -> None:
        self._server = _HookServer(("127.0.0.1", 0), _HookHandler)
        self._server.posts = {}
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    def take(self, path: str) -> list[Any]:
        with self._server.lock:
            return self._server.posts.pop(path, [])

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# -- processes --------------------------------------------------------------------------------


def child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES)}
    env.update({"PYTHONUNBUFFERED": "1", "NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"})
    env.update(extra)
    return env


@dataclass
class Sandbox:
    """``ticketbot sandbox`` in a child process, and the settings its banner printed."""

    process: subprocess.Popen[str]
    settings: dict[str, str]
    lines: list[str]


@contextmanager
def sandbox(helpdesk: str, *, llm: bool, workdir: Path, python: str) -> Iterator[Sandbox]:
    args = [python, "-m", "ticket_processor", "sandbox", "--helpdesk", helpdesk, "--port", "0"]
    args += ["--state", str(workdir / "sandbox-state.json")]
    if llm:
        args += ["--llm", "--llm-port", "0"]
    stderr = (workdir / "sandbox.stderr").open("w", encoding="utf-8")
    process = subprocess.Popen(
        args,
        cwd=workdir,
        env=child_env({}),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line.rstrip("\n"))
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    settings: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"{helpdesk} sandbox printed no banner: {seen}") from None
            if line is None:
                raise RuntimeError(f"{helpdesk} sandbox ended: {seen}")
            seen.append(line)
            match = re.fullmatch(r"([A-Z][A-Z0-9_]*)=(\S+)", line.strip())
            if match:
                settings[match[1]] = match[2]
            if line.strip().startswith("Ctrl-C"):
                break
        yield Sandbox(process, settings, seen)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        stderr.close()


@dataclass
class Done:
    exit_code: int
    stdout: str
    stderr: str


def ticketbot(args: list[str], *, env: Mapping[str, str], workdir: Path, python: str) -> Done:
    proc = subprocess.run(
        [python, "-m", "ticket_processor", *args],
        cwd=workdir,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    return Done(proc.returncode, proc.stdout, proc.stderr)


# -- the helpdesks' APIs ----------------------------------------------------------------------


class Desk:
    """What this script reads and writes over one sandbox's plain HTTP API."""

    kind = ""

    def __init__(self, base: str, session: requests.Session) -> None:
        self.base = base
        self.http = session

    def get(self, path: str, **params: Any) -> Any:
        # The script's own reads share the account's rate limit with ticketbot (Freshdesk's
        # per-minute budget): a 429 waits its Retry-After, as any client should.
        for _ in range(10):
            answer = self.http.get(f"{self.base}{path}", params=params or None, timeout=30)
            if answer.status_code != 429:
                break
            time.sleep(min(float(answer.headers.get("Retry-After") or 5), 60.0))
        answer.raise_for_status()
        return answer.json()

    def send(self, method: str, path: str, body: Any) -> Any:
        answer = self.http.request(method, f"{self.base}{path}", json=body, timeout=30)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json() if answer.content else None

    def stats(self) -> dict[str, Any]:
        return dict(self.get("/sandbox/stats"))

    def reset_stats(self) -> None:
        self.send("POST", "/sandbox/reset_stats", {})

    # Each helpdesk answers these.
    def create_fields(self) -> None:
        raise NotImplementedError

    def create_ticket(self, subject: str, body: str) -> None:
        raise NotImplementedError

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        raise NotImplementedError

    def listing(self) -> dict[int, dict[str, Any]]:
        """Every ticket: id -> its fields as the ticket list gives them (one or two requests,
        so the reads between commands barely touch the rate limits the runs see)."""
        raise NotImplementedError

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        raise NotImplementedError

    def snapshot(self) -> dict[int, dict[str, Any]]:
        """Every ticket with its comments (``_comments``): read once, after the last run."""
        return {
            tid: {**ticket, "_comments": self.comments(tid)}
            for tid, ticket in self.listing().items()
        }

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        """Group id -> name, agent or user id -> email, custom field key -> title."""
        raise NotImplementedError


def _pages(desk: Desk, path: str, key: str | None, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged list (Zendesk ``next_page``, Freshdesk ``page``)."""
    out: list[dict[str, Any]] = []
    if key is None:  # Freshdesk: a bare list a page, ?page=N
        page = 1
        while True:
            items = desk.get(path, per_page=100, page=page, **params)
            out.extend(items)
            if len(items) < 100:
                return out
            page += 1
    url: str | None = f"{desk.base}{path}"
    first = True
    while url:
        answer = desk.http.get(url, params=params if first else None, timeout=30)
        answer.raise_for_status()
        data = answer.json()
        out.extend(data[key])
        url = data.get("next_page")
        first = False
    return out


class ZendeskDesk(Desk):
    kind = "zendesk"

    def create_fields(self) -> None:
        text = {"type": "text", "title": "Order number"}
        drop = {
            "type": "tagger",
            "title": "Product",
            "custom_field_options": [{"name": n, "value": v} for n, v in PRODUCT_OPTIONS],
        }
        for spec in (text, drop):
            self.send("POST", "/api/v2/ticket_fields.json", {"ticket_field": spec})

    def create_ticket(self, subject: str, body: str) -> None:
        ticket = {"subject": subject, "comment": {"body": body, "public": True}, "status": "new"}
        self.send("POST", "/api/v2/tickets.json", {"ticket": ticket})

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        comment = {"body": body, "public": True, "author_id": requester_id}
        self.send("PUT", f"/api/v2/tickets/{ticket_id}.json", {"ticket": {"comment": comment}})

    def listing(self) -> dict[int, dict[str, Any]]:
        tickets = _pages(self, "/api/v2/tickets.json", "tickets", per_page=100)
        return {int(t["id"]): t for t in tickets}

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return _pages(self, f"/api/v2/tickets/{ticket_id}/comments.json", "comments")

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        groups = {
            int(g["id"]): str(g["name"]) for g in _pages(self, "/api/v2/groups.json", "groups")
        }
        users = {
            int(u["id"]): str(u.get("email") or u.get("name"))
            for u in _pages(self, "/api/v2/users.json", "users")
        }
        fields = {
            str(f["id"]): str(f["title"])
            for f in _pages(self, "/api/v2/ticket_fields.json", "ticket_fields")
        }
        return groups, users, fields

    def audits(self) -> list[dict[str, Any]]:
        """Every write's audit, through the ticket event export, oldest first."""
        events: list[dict[str, Any]] = []
        seen: set[int] = set()
        start = 0
        while True:
            data = self.get(
                "/api/v2/incremental/ticket_events.json",
                start_time=start,
                include="comment_events",
            )
            for event in data["ticket_events"]:
                if int(event["id"]) not in seen:  # a full page repeats its last second
                    seen.add(int(event["id"]))
                    events.append(event)
            if data.get("end_of_stream") or int(data["end_time"]) <= start:
                return events
            start = int(data["end_time"])


class FreshdeskDesk(Desk):
    kind = "freshdesk"

    def create_fields(self) -> None:
        text = {
            "label": "Order number",
            "label_for_customers": "Order number",
            "type": "custom_text",
        }
        drop = {
            "label": "Product",
            "label_for_customers": "Product",
            "type": "custom_dropdown",
            "choices": [
                {"value": n, "position": i} for i, (n, _) in enumerate(PRODUCT_OPTIONS, start=1)
            ],
        }
        for spec in (text, drop):
            self.send("POST", "/api/v2/admin/ticket_fields", spec)

    def create_ticket(self, subject: str, body: str) -> None:
        ticket = {
            "subject": subject,
            "description": f"<p>{body}</p>",
            "email": "fingerprint.customer@example.com",
            "status": 2,
            "priority": 1,
        }
        self.send("POST", "/api/v2/tickets", ticket)

    def reply(self, ticket_id: int, requester_id: int, body: str) -> None:
        note = {"body": f"<p>{body}</p>", "incoming": True, "private": False}
        note["user_id"] = requester_id
        self.send("POST", f"/api/v2/tickets/{ticket_id}/notes", note)

    def listing(self) -> dict[int, dict[str, Any]]:
        tickets = _pages(
            self,
            "/api/v2/tickets",
            None,
            updated_since="2000-01-01T00:00:00Z",
            include="description",
        )
        return {int(t["id"]): t for t in tickets}

    def comments(self, ticket_id: int) -> list[dict[str, Any]]:
        return _pages(self, f"/api/v2/tickets/{ticket_id}/conversations", None)

    def names(self) -> tuple[dict[int, str], dict[int, str], dict[str, str]]:
        groups = {int(g["id"]): str(g["name"]) for g in _pages(self, "/api/v2/groups", None)}
        agents = {
            int(a["id"]): str(a.get("contact", {}).get("email") or a["id"])
            for a in _pages(self, "/api/v2/agents", None)
        }
        fields = {str(f["name"]): str(f["label"]) for f in self.get("/api/v2/ticket_fields")}
        return groups, agents, fields


# -- one scenario -----------------------------------------------------------------------------


def ticket_keys(raw: Mapping[int, Mapping[str, Any]]) -> dict[int, str]:
    """Ticket id -> its subject (ids differ between runs; the subjects are unique)."""
    by_subject: dict[str, list[tuple[str, int]]] = {}
    for tid, ticket in raw.items():
        text = str(ticket.get("description") or ticket.get("description_text") or "")
        by_subject.setdefault(str(ticket.get("subject")), []).append((digest(text), tid))
    keys: dict[int, str] = {}
    for subject, group in by_subject.items():
        for n, (_, tid) in enumerate(sorted(group)):
            keys[tid] = subject if n == 0 else f"{subject} #{n + 1}"
    return keys


@dataclass
class Scenario:
    helpdesk: str
    engine: str
    quick: bool
    python: str
    hook: Webhook
    workdir: Path
    norm: Normaliser = field(default_factory=Normaliser)
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    windows: list[tuple[str, float, float]] = field(default_factory=list)
    keys: dict[int, str] = field(default_factory=dict)
    log_lines_seen: int = 0

    @property
    def name(self) -> str:
        return f"{self.helpdesk}/{self.engine}"

    @property
    def cli_engine(self) -> str:
        """What ``--engine`` the commands are given (``learned``: ``llm`` with no LLM)."""
        return "llm" if self.engine == LEARNED else self.engine

    def run(self) -> dict[str, Any]:
        with sandbox(
            self.helpdesk, llm=self.engine == "llm", workdir=self.workdir, python=self.python
        ) as box:
            return self._run(box)

    def _run(self, box: Sandbox) -> dict[str, Any]:
        s = box.settings
        session = requests.Session()
        desk: Desk
        if self.helpdesk == "zendesk":
            base = s["ZENDESK_URL"]
            session.auth = (f"{s['ZENDESK_EMAIL']}/token", s["ZENDESK_API_TOKEN"])
            desk = ZendeskDesk(base, session)
        else:
            base = s["FRESHDESK_URL"]
            session.auth = (s["FRESHDESK_API_KEY"], "X")
            desk = FreshdeskDesk(base, session)
        self.norm.urls[base] = "<sandbox>"
        self.norm.paths[str(self.workdir)] = "<tmp>"
        hook_path = f"/hook/{self.helpdesk}-{self.engine}"
        self.norm.urls[f"{self.hook.base}{hook_path}"] = "<webhook>"
        (self.workdir / "routes.toml").write_text(ROUTES_TOML, "utf-8")
        (self.workdir / "fields.toml").write_text(FIELDS_TOML, "utf-8")
        env = child_env({**s, "TICKETBOT_HELPDESK": self.helpdesk})
        env.update(
            {
                "TICKETBOT_STATE_DIR": str(self.workdir / "state"),
                "TICKETBOT_LOG_DIR": str(self.workdir / "logs"),
                "TICKETBOT_ROUTES": str(self.workdir / "routes.toml"),
                "TICKETBOT_FIELDS": str(self.workdir / "fields.toml"),
                "TICKETBOT_ALERT_WEBHOOK": f"{self.hook.base}{hook_path}",
                "TICKETBOT_WORKERS": "1",
            }
        )
        llm_stats: str | None = None
        if self.engine == "llm":
            llm_base = s["OPENAI_BASE_URL"]
            self.norm.urls[llm_base.removesuffix("/v1")] = "<llm>"
            llm_stats = llm_base.removesuffix("/v1") + "/stats"

        def command(phase: str, args: list[str]) -> None:
            desk.reset_stats()
            before_llm = _llm_stats(session, llm_stats)
            self.hook.take(hook_path)
            started = time.time()
            done = ticketbot(args, env=env, workdir=self.workdir, python=self.python)
            ended = time.time()
            self.windows.append((phase, started, ended))
            stats = desk.stats()
            calls = _api_calls(stats.get("requests", {}))
            relisted = self.helpdesk == "freshdesk" and phase == "run3"
            stdout = self.norm.text(done.stdout)
            if relisted:
                stdout = _RELISTED.sub("skipped=<timing>", stdout)
            record: dict[str, Any] = {
                "command": " ".join(args),
                "exit_code": done.exit_code,
                "stdout": stdout.splitlines(),
                "api_calls": calls,
                "api_counters": {
                    k: v
                    for k, v in stats.items()
                    if k not in ("requests", "requests_total", "jobs_pending", "jobs")
                },
                "api_calls_total": sum(n for n in calls.values() if isinstance(n, int)),
            }
            if llm_stats is not None:
                record["llm_calls"] = _llm_calls_since(session, llm_stats, before_llm)
            record["log"] = self._log_events(relisted=relisted)
            record["webhook"] = [
                self._ticket_refs(self.norm.value(p)) for p in self.hook.take(hook_path)
            ]
            if done.exit_code != 0:
                record["stderr"] = self.norm.text(done.stderr).splitlines()[-20:]
            self.phases[phase] = record
            time.sleep(GAP)

        command("seed", ["seed", "--count", str(SEED_COUNT)])
        started = time.time()
        desk.create_fields()
        for subject, body in EXTRA_TICKETS:
            desk.create_ticket(subject, body)
        self.windows.append(("extra tickets", started, time.time()))
        time.sleep(GAP)
        run = ["run", "--engine", self.cli_engine, "--workers", "1"]
        state = desk.listing()
        self.keys = ticket_keys(state)
        for phase in ("run1", "run2"):
            command(phase, run)
            state = self._changes(phase, desk, state)
        if not self.quick:
            self._replies(desk, state)
            replied = time.time()
            if self.helpdesk == "zendesk":
                _sleep_until(replied + EXPORT_LAG)
            for phase in ("run3", "run4"):
                command(phase, run)
                state = self._changes(phase, desk, state)
        state = self._served(desk, env, state, llm_stats, session)
        for subject, body in BACKFILL_TICKETS:
            desk.create_ticket(subject, body)
        self.keys = ticket_keys(desk.listing())
        time.sleep(GAP)
        since = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
        command("backfill", ["backfill", "--since", since, "--no-batch", "--workers", "1"])
        state = self._changes("backfill", desk, state)
        command("run5", run)
        state = self._changes("run5", desk, state)
        out: dict[str, Any] = {
            "seed_extra_tickets": [subject for subject, _ in EXTRA_TICKETS],
            "phases": self.phases,
            "tickets": self._tickets(desk, desk.snapshot()),
        }
        if isinstance(desk, ZendeskDesk) and not self.quick:
            _sleep_until(self.windows[-1][2] + EXPORT_LAG)
            out["audits"] = self._audits(desk.audits())
        return out

    def _served(
        self,
        desk: Desk,
        env: Mapping[str, str],
        state: Mapping[int, Mapping[str, Any]],
        llm_stats: str | None,
        session: requests.Session,
    ) -> dict[int, dict[str, Any]]:
        """``ticketbot serve`` started, two tickets created and delivered to it as the
        helpdesk's webhook would, served until both carry the marker, then stopped (SIGTERM)."""
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        desk.reset_stats()
        before_llm = _llm_stats(session, llm_stats)
        started = time.time()
        errors = (self.workdir / "serve.stderr").open("w", encoding="utf-8")
        command = [self.python, "-m", "ticket_processor", "serve", "--port", str(port)]
        process = subprocess.Popen(
            [*command, "--engine", self.cli_engine],
            cwd=self.workdir,
            env={**env, "TICKETBOT_SERVE_SECRET": SERVE_SECRET},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            _wait_for(lambda: _ready(base), 60, "serve did not become ready")
            # Its catch-up (what was created while no server ran) over before the new tickets
            # exist: else whether the catch-up or the webhook brings them is a race.
            _wait_for(lambda: bool(self._logged("serve_caught_up")), 60, "serve never caught up")
            for subject, text in SERVED_TICKETS:
                desk.create_ticket(subject, text)
            listed = desk.listing()
            self.keys = ticket_keys(listed)
            new = sorted(tid for tid in listed if tid not in state)
            for tid in new:
                raw, headers = _delivery(self.helpdesk, tid)
                answer = requests.post(
                    f"{base}/webhooks/{self.helpdesk}", data=raw, headers=headers, timeout=10
                )
                answer.raise_for_status()

            def marked() -> bool:
                # From serve's own log, not the helpdesk: the phase's API calls are serve's.
                done = {event.get("ticket_id") for event in self._logged("ticket_triaged")}
                return all(tid in done for tid in new)

            _wait_for(marked, 120, "serve did not triage the delivered tickets", every=3.0)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                exit_code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                exit_code = process.wait()
            errors.close()
        self.windows.append(("served", started, time.time()))
        stats = desk.stats()
        calls = _api_calls(stats.get("requests", {}))
        record: dict[str, Any] = {
            "command": "serve (two signed deliveries)",
            "exit_code": exit_code,
            "api_calls": calls,
            "api_calls_total": sum(n for n in calls.values() if isinstance(n, int)),
            "log": self._log_events(relisted=False),
        }
        if llm_stats is not None:
            record["llm_calls"] = _llm_calls_since(session, llm_stats, before_llm)
        self.phases["served"] = record
        time.sleep(GAP)
        return self._changes("served", desk, state)

    def _logged(self, name: str) -> list[dict[str, Any]]:
        """The events called ``name`` in the log directory so far (every command's)."""
        found = []
        for path in (self.workdir / "logs").glob("*.jsonl"):
            for line in path.read_text("utf-8").splitlines():
                if f'"{name}"' in line:
                    event = json.loads(line)
                    if event.get("event") == name:
                        found.append(event)
        return found

    def _replies(self, desk: Desk, state: Mapping[int, Mapping[str, Any]]) -> None:
        ids = {key: tid for tid, key in self.keys.items()}
        # All three in one second: Freshdesk's list is paged by the second of ``updated_at``,
        # so replies straddling two seconds would change what the next runs list again.
        _sleep_until(int(time.time()) + 1.05)
        started = time.time()
        for subject, text in REPLIES:
            tid = ids[subject]
            desk.reply(tid, int(state[tid]["requester_id"]), text)
        self.windows.append(("replies", started, time.time()))
        self.phases["replies"] = {
            "posted": [{"ticket": subject, "text": text} for subject, text in REPLIES]
        }
        time.sleep(GAP)

    def _changes(
        self, phase: str, desk: Desk, before: Mapping[int, Mapping[str, Any]]
    ) -> dict[int, dict[str, Any]]:
        after = desk.listing()
        changed = sorted(
            self.keys.get(tid, f"<new ticket {tid}>")
            for tid in set(before) | set(after)
            if _comparable(before.get(tid)) != _comparable(after.get(tid))
        )
        self.phases[phase]["changed"] = changed
        self.phases[phase]["changed_count"] = len(changed)
        return after

    def _ticket_refs(self, value: Any) -> Any:
        """Ticket ids in an alert's text (``#12``, ``.../tickets/12``) as the tickets' keys."""
        if isinstance(value, dict):
            return {k: self._ticket_refs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._ticket_refs(v) for v in value]
        if isinstance(value, str):
            return _TICKET_REF.sub(lambda m: f"{m[1]}[{self.keys.get(int(m[2]), m[2])}]", value)
        return value

    def _log_events(self, *, relisted: bool) -> list[Any]:
        lines: list[str] = []
        for path in sorted((self.workdir / "logs").glob("*.jsonl")):
            lines.extend(path.read_text("utf-8").splitlines())
        new, self.log_lines_seen = lines[self.log_lines_seen :], len(lines)
        events = []
        for line in new:
            if not line.strip():
                continue
            event = json.loads(line)
            tid = event.get("ticket_id")
            if isinstance(tid, int) and tid in self.keys:
                event["ticket_id"] = self.keys[tid]
            if relisted and event.get("event") == "run_finished":
                event.update({k: "<timing>" for k in ("skipped", "tickets_seen") if k in event})
            events.append(self.norm.value(_drop_ids(event)))
        # Workers finish in their own order: sort by content, so only what was logged counts.
        return sorted(events, key=lambda e: json.dumps(e, sort_keys=True))

    def _tickets(
        self, desk: Desk, state: Mapping[int, Mapping[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        groups, people, fields = desk.names()
        out: dict[str, dict[str, Any]] = {}
        for tid, raw in state.items():
            comments = raw["_comments"]
            ordinal = {int(c["id"]): f"c{n}" for n, c in enumerate(comments, start=1)}
            requester = raw.get("requester_id")
            notes = []
            for c in comments:
                author = c.get("author_id", c.get("user_id"))
                if desk.kind == "zendesk":
                    public = bool(c.get("public"))
                else:
                    public = not bool(c.get("private"))
                notes.append(
                    {
                        "n": ordinal[int(c["id"])],
                        "author": "requester" if author == requester else "agent",
                        "public": public,
                        "incoming": c.get("incoming"),
                        "body": self.norm.text(str(c.get("body")), ordinal),
                    }
                )
            if desk.kind == "zendesk":
                custom = {
                    fields.get(str(f["id"]), str(f["id"])): f["value"]
                    for f in raw.get("custom_fields") or []
                }
                assignee = raw.get("assignee_id")
            else:
                custom = {fields.get(k, k): v for k, v in (raw.get("custom_fields") or {}).items()}
                assignee = raw.get("responder_id")
            group = raw.get("group_id")
            out[self.keys.get(tid, f"<new ticket {tid}>")] = {
                "status": raw.get("status"),
                "priority": raw.get("priority"),
                "tags": sorted(raw.get("tags") or []),
                "group": None if group is None else groups.get(int(group), f"<group {group}>"),
                "assignee": None
                if assignee is None
                else people.get(int(assignee), f"<agent {assignee}>"),
                "custom_fields": {k: custom[k] for k in sorted(custom)},
                "comments": notes,
                "description_sha": digest(
                    str(raw.get("description") or raw.get("description_text") or "")
                ),
            }
        return out

    def _audits(self, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        def phase_of(stamp: float) -> str:
            for phase, start, end in self.windows:
                if int(start) - 1 <= stamp <= end + 1:
                    return phase
            return "between commands"

        counters: dict[str, int] = {}
        out = []
        for event in sorted(events, key=lambda e: int(e["id"])):
            key = self.keys.get(int(event["ticket_id"]), f"<new ticket {event['ticket_id']}>")
            counters[key] = counters.get(key, 0) + 1
            children = []
            for child in event.get("child_events") or []:
                item = {
                    k: v
                    for k, v in child.items()
                    if k not in ("id", "via", "via_reference_id", "html_body", "plain_body")
                    and not k.endswith("_id")
                }
                if "body" in item:
                    item["body_sha"] = digest(self.norm.text(str(item.pop("body"))))
                if "attachments" in item:
                    item.pop("attachments")
                if "metadata" in item:
                    item.pop("metadata")
                children.append(self.norm.value(_drop_ids(item)))
            out.append(
                {
                    "ticket": key,
                    "write": counters[key],
                    "phase": phase_of(float(event["timestamp"])),
                    "changes": children,
                }
            )
        return sorted(out, key=lambda a: (a["ticket"], a["write"]))


def _drop_ids(event: dict[str, Any]) -> dict[str, Any]:
    """Ids the helpdesk gives out (groups, jobs, comments): dropped; the names stay."""
    return {
        k: v
        for k, v in event.items()
        # serve's port is a free one each time
        if not (k.endswith(("_id", "_ids")) and k not in ("ticket_id",))
        and k not in ("ticket_url", "port")
    }


def _comparable(ticket: Mapping[str, Any] | None) -> Any:
    """What a write changes: a note moves ``updated_at`` as the fields' changes do."""
    if ticket is None:
        return None
    keep = ("status", "priority", "group_id", "assignee_id", "responder_id", "custom_fields")
    return (
        {k: ticket.get(k) for k in keep},
        sorted(ticket.get("tags") or []),
        ticket.get("updated_at"),
    )


def _api_calls(requests_by_key: Mapping[str, int]) -> dict[str, int | str]:
    """The sandbox's counts by endpoint; a job's status polls only as ``polled`` (how often a
    client asks before the sandbox's job thread is done is the machine's speed) and Zendesk's
    ``update_many`` as ``batched`` (the writer also sends a batch that waited a second)."""
    out: dict[str, int | str] = {}
    for key, count in sorted(requests_by_key.items()):
        if _JOB_POLL.search(key):
            out[key] = "polled" if count else 0
        elif _BATCHED.search(key):
            out[key] = "batched" if count else 0
        else:
            out[key] = count
    return out


def _llm_stats(session: requests.Session, url: str | None) -> dict[str, int]:
    if url is None:
        return {}
    answer = session.get(url, timeout=10)
    answer.raise_for_status()
    return {str(k): int(v) for k, v in answer.json().items()}


def _llm_calls_since(
    session: requests.Session, url: str | None, before: dict[str, int]
) -> dict[str, int]:
    """The stand-in's counters' growth since ``before``, without its timing figures."""
    after = _llm_stats(session, url)
    return {
        k: after.get(k, 0) - before.get(k, 0)
        for k in sorted(set(after) | set(before))
        if k not in _TIMING_KEYS
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _ready(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _wait_for(done: Callable[[], bool], seconds: float, what: str, *, every: float = 0.25) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise RuntimeError(what)
        time.sleep(every)


def _delivery(helpdesk: str, ticket_id: int) -> tuple[bytes, dict[str, str]]:
    """A webhook's body and headers as each helpdesk sends them to ``serve``: Zendesk signs
    the timestamp and body (HMAC-SHA256, base64); a Freshdesk automation sends the shared
    secret and ticketbot's own signature header (``serve --print-setup`` shows both)."""
    if helpdesk == "zendesk":
        body = json.dumps({"ticket_id": str(ticket_id), "event": "created"}).encode()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        mac = hmac.new(SERVE_SECRET.encode(), stamp.encode() + body, hashlib.sha256).digest()
        return body, {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Id": "01HFINGERPRINT",
            "X-Zendesk-Webhook-Invocation-Id": f"inv-{ticket_id}",
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
            "X-Zendesk-Webhook-Signature": base64.b64encode(mac).decode(),
        }
    body = json.dumps({"ticket_id": ticket_id, "event": "created"}).encode()
    mac_hex = hmac.new(SERVE_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return body, {
        "Content-Type": "application/json",
        "X-Ticketbot-Secret": SERVE_SECRET,
        "X-Ticketbot-Signature": f"sha256={mac_hex}",
    }


def _sleep_until(moment: float) -> None:
    delay = moment - time.time()
    if delay > 0:
        time.sleep(delay)


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
    parser = argparse.ArgumentParser(description=RUN_FINGERPRINT_DOC.split("\n\n")[0])
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


# encoder_cpu -------------------------------------------------------------------------------------

ENCODER_CPU_DOC = """\
CPU of the learned engine's sentence encoder in this process: loading it, then encoding
tickets one by one (as a run's workers do when they do not meet at the encoder).

A whole run's CPU (``scripts/bench.py``) moves by two or three seconds between runs on a shared
machine, more than a change to the encoder saves; this measures the encoder alone. The texts
are the tickets and replies of ``tests/data`` (the project's own writing): each row's subject
and text, 667 of them.

    python -m scripts.figures encoder_cpu
    PYTHONPATH=/path/to/other/checkout python -m scripts.figures encoder_cpu --json

Prints the CPU seconds (``time.process_time``) of loading the model and of encoding the texts.
"""


DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
FILES = (
    "answers_tickets.jsonl",
    "replies.jsonl",
    "replies_second.jsonl",
    "kb_tickets.jsonl",
    "examples_tickets.jsonl",
)


def texts() -> list[str]:
    found: list[str] = []
    for name in FILES:
        for line in (DATA / name).read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            body = row.get("text") or row.get("description") or row.get("body") or ""
            found.append(f"{row.get('subject', '')}\n{body}")
    return found


def encoder_cpu(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=ENCODER_CPU_DOC.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    rows = texts()
    started = time.process_time()
    model = Encoder()._load()
    model.encode(["warm"])  # the weights and the tokeniser load on the first call
    loaded = time.process_time() - started
    started = time.process_time()
    for text in rows:
        Encoder().encode([text])
    encoded = time.process_time() - started
    figures = {
        "texts": len(rows),
        "mean_chars": round(sum(map(len, rows)) / len(rows)),
        "load_cpu_seconds": round(loaded, 3),
        "encode_cpu_seconds": round(encoded, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        load, encode = figures["load_cpu_seconds"], figures["encode_cpu_seconds"]
        print(
            f"{figures['texts']} texts, {figures['mean_chars']} characters on average: "
            f"loading {load} s of CPU, encoding {encode} s"
        )


# redaction_cpu -----------------------------------------------------------------------------------

REDACTION_CPU_DOC = """\
CPU of personal-data redaction (``triage.redact.redact``) over the texts a benchmark run
redacts: each ticket's subject and body as ``scripts/bench.py`` seeds them (the shipped
samples, a running number in each), ``--tickets`` of them, ``--rounds`` times over.

A run redacts each text once, among much other work; this measures redaction alone, in a child
interpreter, after one call that compiles the patterns. ``--checkout DIR`` measures another
checkout of the repository the same way (a worktree of another commit: ``git worktree add
--detach /tmp/base 5f35817``), its own code and its own seeded texts. Compare two commits in
one sitting, alternating, and quote the ratio: a shared machine moves the seconds.
"""

# The measurement, run by a child interpreter on the checkout it is given: the same code
# measures this checkout and any other, none of whose modules this process has loaded. Its
# PYTHONPATH names the checkout and its scripts/ folder, so an older checkout whose scripts
# were loose files measures too.
_REDACTION_CPU_CHILD = """
import json, sys, time
root, tickets, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
from bench_harness import make_tickets
from ticket_processor.triage.redact import redact
seeded = make_tickets(tickets, duplicates=0.0, seed=7)
texts = [text for t in seeded for text in (t.subject, t.description)]
redact("warm up: +44 20 7946 0958, jane@example.com")
started = time.process_time()
for _ in range(rounds):
    for text in texts:
        redact(text)
print(json.dumps({"texts": len(texts) * rounds, "cpu_seconds": time.process_time() - started}))
"""


def redaction_cpu(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=REDACTION_CPU_DOC.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=REDACTION_CPU_DOC,
    )
    parser.add_argument("--tickets", type=int, default=2000, help="tickets' texts (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="times over them (3)")
    parser.add_argument(
        "--checkout", type=Path, default=REPO_ROOT, help="the repository measured (this one)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    root = args.checkout.resolve()
    if not (root / "ticket_processor").is_dir():
        parser.error(f"--checkout {args.checkout}: no ticket_processor package there")
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _REDACTION_CPU_CHILD,
            str(root),
            str(args.tickets),
            str(args.rounds),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join((str(root), str(root / "scripts")))},
    )
    measured = json.loads(child.stdout)
    spent, texts = measured["cpu_seconds"], measured["texts"]
    figures = {
        "texts": texts,
        "cpu_seconds": round(spent, 3),
        "cpu_ms_per_text": round(1000 * spent / texts, 4),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['texts']} texts: {figures['cpu_seconds']} s of CPU, "
            f"{figures['cpu_ms_per_text']} ms a text"
        )


# spam_reading_cpu --------------------------------------------------------------------------------

SPAM_READING_CPU_DOC = """\
CPU of the spam gate's reading of a ticket (``spam.reading.read_ticket``: the sender's own
words, prepared and undisguised, and the lure families read from them) and of the lure families
alone (``spam.lures.lure_families`` over the readings' texts), over the tickets
``scripts/bench.py`` seeds, ``--tickets`` of them, ``--rounds`` times over.

A run with no LLM reads every ticket so, beside the encoder's pass. Compare two commits in one
sitting, alternating, and quote the ratio: a shared machine moves the seconds.
"""


def spam_reading_cpu(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=SPAM_READING_CPU_DOC.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=SPAM_READING_CPU_DOC,
    )
    parser.add_argument("--tickets", type=int, default=2000, help="tickets (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="times over them (3)")
    parser.add_argument("--json", action="store_true", help="one JSON object")
    args = parser.parse_args(argv)
    from scripts.bench_harness import make_tickets
    from ticket_processor.spam.lures import lure_families
    from ticket_processor.spam.reading import read_ticket

    tickets = make_tickets(args.tickets, duplicates=0.0, seed=7)
    texts = [read_ticket(t.subject, t.description).text for t in tickets]  # and warm up
    started = time.process_time()
    for _ in range(args.rounds):
        for ticket in tickets:
            read_ticket(ticket.subject, ticket.description)
    reading = time.process_time() - started
    started = time.process_time()
    for _ in range(args.rounds):
        for text in texts:
            lure_families(text)
    lures = time.process_time() - started
    figures = {
        "tickets": len(tickets) * args.rounds,
        "reading_cpu_seconds": round(reading, 3),
        "lures_cpu_seconds": round(lures, 3),
    }
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"{figures['tickets']} tickets: reading {figures['reading_cpu_seconds']} s of CPU, "
            f"of which lure families {figures['lures_cpu_seconds']} s"
        )


# llm_call_cpu ------------------------------------------------------------------------------------

LLM_CALL_CPU_DOC = """\
CPU of one LLM call on ticketbot's side: the calling thread's CPU per ``LLMAnalyser.analyse``.

A whole run's CPU (``scripts/bench.py``) moves by a second or two between runs on a shared
machine, more than a change to the LLM call path saves; this measures that path alone. The
OpenAI-compatible stand-in answers from a child process (no latency, so nothing here waits
on the GIL for it) and ``analyse`` runs in the main thread, which makes the whole call (the
prompt, the SDK's request building, httpx, the read of the answer); ``time.thread_time`` of
that thread is the figure.

    python -m scripts.figures llm_call_cpu                 # 300 calls a round, seven rounds
    PYTHONPATH=/path/to/other/checkout python -m scripts.figures llm_call_cpu --json

Prints the CPU microseconds a call: the least and the median over the rounds (on a loaded
machine the least is the steadier figure: other processes only ever add to a round).
"""


TICKETS = [
    ("Refund for order 1234", "I was charged twice for my order, please refund one of them."),
    ("Cannot log in", "The app says my password is wrong although I reset it an hour ago."),
    ("Parcel not arrived", "My parcel was due on Monday and the tracking has not moved since."),
    ("Crash on start", "Since the last update the app closes as soon as I open it on Android."),
    ("Invoice needs company name", "Please add my company's name to the invoice for March."),
    ("Ich möchte kündigen", "Bitte kündigen Sie mein Abo zum Monatsende, danke."),
    ("Wrong size delivered", "I ordered a medium and got a small. How do I exchange it?"),
    ("Thanks!", "Just wanted to say the support team was great yesterday."),
]

# The stand-in in a child process: prints its base URL, serves until its stdin closes.
STANDIN = """
import sys
from ticket_processor.sandbox.llm_standin.server import StandinConfig, serve_in_thread
with serve_in_thread(StandinConfig(seed=7)) as running:
    print(running.url, flush=True)
    sys.stdin.read()
"""


def llm_call_cpu(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=LLM_CALL_CPU_DOC.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300, help="calls a round (300)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds (7)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    taxonomy = load_taxonomy()
    tickets = [prepare_ticket(subject, body) for subject, body in TICKETS]
    with subprocess.Popen(
        [sys.executable, "-c", STANDIN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as standin:
        assert standin.stdout is not None
        assert standin.stdin is not None
        url = standin.stdout.readline().strip()
        analyser = LLMAnalyser(models=("stand-in",), taxonomy=taxonomy, api_key="k", base_url=url)
        for ticket in tickets:  # connections made, caches warm
            analyser.analyse(ticket)
        rounds: list[float] = []
        for _ in range(args.rounds):
            started = time.thread_time()
            for index in range(args.calls):
                analyser.analyse(tickets[index % len(tickets)])
            rounds.append((time.thread_time() - started) / args.calls * 1e6)
        analyser.close()
        standin.stdin.close()  # the child's read ends: it stops
    least, median = min(rounds), statistics.median(rounds)
    if args.json:
        print(json.dumps({"least_us": round(least), "median_us": round(median), "rounds": rounds}))
    else:
        each = ", ".join(f"{value:.0f}" for value in rounds)
        print(f"CPU a call: least {least:.0f} µs, median {median:.0f} µs (rounds: {each})")
