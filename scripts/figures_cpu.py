"""CPU figures: profiles of a run and of its stages.

The CPU of a run's parts alone (the encoder, redaction, the spam reading, an LLM call) is in
``figures_cpu_parts.py``; the run fingerprint in ``figures_fingerprint.py``."""

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import pstats
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from rich.console import Console
from rich.table import Table

from scripts import command_parser
from scripts.bench import parse_args as bench_args
from scripts.bench_harness import run_bench

# profile_run -------------------------------------------------------------------------------------

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
    parser = command_parser("profile_run")
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
        usage = "%(prog)s DIR [--cprofile] ARGS... (ARGS: ticketbot's own)"
        command_parser("profile_stages", usage=usage).print_help()
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
