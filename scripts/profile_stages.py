"""``ticketbot`` run in this process with CPU timers on its stages.

    python scripts/profile_stages.py DIR [--cprofile] ARGS...

``scripts/profile_run.py`` starts this instead of ``python -m ticket_processor``. Before the
command runs, the functions each stage is made of (``STAGES``: qualified names, looked up in
whatever module of the package defines them, so the figures survive modules moving) are
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

from __future__ import annotations

import functools
import gc
import importlib.abc
import importlib.machinery
import inspect
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

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


def main(argv: list[str]) -> None:
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


if __name__ == "__main__":
    main(sys.argv[1:])
