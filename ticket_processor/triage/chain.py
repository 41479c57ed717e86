"""One ``triage()`` for ``run`` and ``eval``: prepared text through the engine chain.

The chain is LLM → learned model → keyword rules, each present or not. The first engine that
answers decides; an engine that fails (an LLM error, an open breaker, a model that cannot
score) hands the ticket to the next, and the triage says so (``fallback``, ``fallback_reason``:
the engine, the error class and a fixed cause, never the error's own text).
The rules never fail, so every ticket is triaged. Both ``run`` and ``eval`` call this on the
same ``PreparedTicket`` (trimmed, cut to the token budget, personal data replaced), so eval's
figures are the run's.

``TriageCache`` adds what a run needs on top: identical tickets analysed once, across runs (a
content-hash cache) and within one (in-flight coalescing). Only an LLM's answer is cached: the
learned model and the rules are cheaper to run again than to look up.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Protocol, runtime_checkable

from ..errors import (
    BreakerOpenError,
    ConfigError,
    LLMAnswerRefused,
    LLMAuthError,
    LLMConnectionError,
    LLMError,
    LLMRateLimited,
    LLMResponseError,
    LLMServerError,
    StopRequested,
)
from ..models import Analysis, Engine, TokenUsage, Triage
from .prepare import PreparedTicket


class TriageEngine(Protocol):
    """One link of the chain: answers, or raises to hand the ticket on."""

    @property
    def name(self) -> Engine: ...

    def analyse(self, ticket: PreparedTicket) -> Triage: ...


class TextEngine(Protocol):
    """The shape of the rules and the learned model: subject and body in, an analysis out."""

    def analyse(self, subject: str, body: str) -> Analysis: ...


@runtime_checkable
class CalibratedEngine(Protocol):
    """A text engine that also says how sure it is of each field (the learned model)."""

    def assess(
        self, subject: str, body: str
    ) -> tuple[Analysis, dict[str, float], dict[str, float]]: ...


class LocalEngine:
    """A ``TextEngine`` (rules, learned model) as a link of the chain; one that can ``assess``
    gives its calibrated confidence per field and its apply thresholds with the analysis."""

    def __init__(self, name: Engine, engine: TextEngine) -> None:
        self._name: Engine = name
        self._engine = engine

    @property
    def name(self) -> Engine:
        return self._name

    def analyse(self, ticket: PreparedTicket) -> Triage:
        if isinstance(self._engine, CalibratedEngine):
            analysis, confidence, apply_at = self._engine.assess(ticket.subject, ticket.body)
            return Triage(
                analysis=analysis,
                engine=self._name,
                field_confidence=confidence,
                apply_at=apply_at,
            )
        return Triage(analysis=self._engine.analyse(ticket.subject, ticket.body), engine=self._name)


class PreparedAnalyser(Protocol):
    """The LLM analyser's shape: it already answers with a ``Triage``."""

    def analyse(self, ticket: PreparedTicket) -> Triage: ...


class Calibrating(Protocol):
    def apply(self, triage: Triage) -> Triage: ...


class LLMEngine:
    """The LLM analyser as a link of the chain; with a calibration (``ticketbot calibrate``)
    its answers carry a calibrated confidence per field."""

    def __init__(self, analyser: PreparedAnalyser, calibration: Calibrating | None = None) -> None:
        self._analyser = analyser
        self.calibration = calibration

    @property
    def name(self) -> Engine:
        return "llm"

    def analyse(self, ticket: PreparedTicket) -> Triage:
        result = self._analyser.analyse(ticket)
        if self.calibration is None or result.engine != "llm":
            return result
        return self.calibration.apply(result)

    def answer_writer(self) -> Callable[[str, str], str | None] | None:
        """The analyser's ``write_answer`` (an article's text, a language → a short answer
        for the customer), when it has one: answers may then be the LLM's words."""
        write = getattr(self._analyser, "write_answer", None)
        return write if callable(write) else None

    def judge(self) -> Callable[[str, str], tuple[str, str, int, int]] | None:
        """The analyser's ``judge_text`` (a system prompt and a redacted message to the reply,
        the model and its tokens), when it has one: the answers' second opinion."""
        judge = getattr(self._analyser, "judge_text", None)
        return judge if callable(judge) else None

    def text_writer(self) -> Callable[[str, str], str] | None:
        """The analyser's ``complete_text`` (a system prompt and a redacted user message to
        the answer's text), when it has one: the running summary's one extra call."""
        complete = getattr(self._analyser, "complete_text", None)
        return complete if callable(complete) else None

    def translator(self) -> Callable[[str, str], str | None] | None:
        """The analyser's ``translate`` (a redacted text, a language → the text in it), when it
        has one: the note then carries the customer's message in the agent's language."""
        translate = getattr(self._analyser, "translate", None)
        return translate if callable(translate) else None

    def concurrency(self) -> dict[str, object]:
        """What bounded the LLM side of the run (the analyser's pacer), for the summary."""
        stats = getattr(self._analyser, "concurrency", None)
        found = stats() if callable(stats) else {}
        return dict(found) if isinstance(found, dict) else {}


def triage(
    ticket: PreparedTicket, chain: Sequence[TriageEngine], *, preferred: Engine | None = None
) -> Triage:
    """The first answer of ``chain`` for ``ticket``. ``preferred`` is the engine the user asked
    for: an answer from a later engine is a fallback, and says why the earlier ones did not
    answer. The last engine must not fail (the rules do not)."""
    if not chain:
        raise ValueError("triage needs at least one engine")
    wanted = preferred or chain[0].name
    reasons: list[str] = []
    cause: str | None = None
    for position, engine in enumerate(chain):
        try:
            result = engine.analyse(ticket)
        except StopRequested:
            raise  # the run is stopping: the ticket is the next run's, not the next engine's
        except Exception as exc:
            if position == len(chain) - 1:
                raise
            reasons.append(f"{engine.name}: {type(exc).__name__}: {failure_cause(exc)}")
            if cause is None:
                # An open breaker's own failure is the one that opened it: that says the fix.
                first = getattr(exc, "cause", None) if isinstance(exc, BreakerOpenError) else None
                cause = failure_cause(first if isinstance(first, Exception) else exc)
            continue
        if result.engine == wanted or result.cascaded:
            return result
        if wanted == "llm" and not reasons:
            reasons.append("no LLM configured")
        return result.model_copy(
            update={
                "fallback": True,
                "fallback_reason": "; ".join(reasons)[:300] or None,
                "fallback_cause": cause,
            }
        )
    raise AssertionError("unreachable: the last engine answered or raised")


# Most specific first: LLMRateLimited and LLMServerError are LLMErrors too.
_CAUSES: tuple[tuple[type[Exception], str], ...] = (
    (BreakerOpenError, "its circuit breaker is open after repeated failures"),
    (LLMConnectionError, "the LLM was unreachable or did not answer in time"),
    (LLMRateLimited, "the LLM kept answering rate limited"),
    (LLMServerError, "the LLM endpoint kept failing"),
    (LLMAuthError, "the LLM endpoint refused the API key: check OPENAI_API_KEY"),
    (LLMResponseError, "the LLM's answer was malformed"),
    (ConfigError, "the engine is not usable as configured"),
)


def failure_cause(exc: Exception) -> str:
    """Why an engine did not answer, in a short fixed form for the note and the log.

    Never the exception's text: an LLM error quotes the endpoint's error body, which may echo
    anything it was sent (a key in the URL's query, the ticket's text). The status code is
    kept: it is ours to read, and says most of what the body would.
    """
    if isinstance(exc, (LLMConnectionError, LLMAnswerRefused)):
        # Messages ticketbot writes itself (the endpoint shown through ``display_url``) that
        # say the fix: "could not reach the LLM at …: check OPENAI_BASE_URL", or the cap.
        return str(exc)
    for kind, cause in _CAUSES:
        if isinstance(exc, kind):
            return cause
    if isinstance(exc, LLMError):
        status = exc.status_code
        if status == 404:
            return "the LLM endpoint answered 404: check TICKETBOT_MODEL and OPENAI_BASE_URL"
        return f"the LLM endpoint refused the request ({status or 'no status'})"
    return "the engine failed"


def cache_key(content_hash: str, tag: str) -> str:
    """The analysis cache's key for a prepared ticket's text (``tag``: models and taxonomy)."""
    return hashlib.sha256(f"{content_hash}|{tag}".encode()).hexdigest()


class TriageCache:
    """Content-hash cache and in-flight coalescing around ``triage()`` for LLM answers."""

    def __init__(self, store: _Store, *, tag: str) -> None:
        self._store = store
        self._tag = tag
        self._lock = threading.Lock()
        self._running: dict[str, Future[Triage]] = {}

    def triage(
        self, ticket: PreparedTicket, chain: Sequence[TriageEngine], preferred: Engine | None
    ) -> Triage:
        # Whether it forwards a mail is this ticket's, not the cached answer's: two tickets
        # with the same words of their own share an answer, forwarding or not.
        found = self._answer(ticket, chain, preferred)
        return found.model_copy(update={"forwards": ticket.forwards}) if ticket.forwards else found

    def _answer(
        self, ticket: PreparedTicket, chain: Sequence[TriageEngine], preferred: Engine | None
    ) -> Triage:
        if not chain or chain[0].name != "llm":
            return triage(ticket, chain, preferred=preferred)
        key = cache_key(ticket.content_hash, self._tag)
        hit = self._store.get(key)
        if hit is not None:
            try:
                found = Triage.model_validate({**hit, "cached": True})
            except ValueError:
                found = None  # an entry in an older format: analyse again
            if found is not None and found.billing == "batch":
                # A backfill's batch answer is paid for by its first use, at the batch price;
                # after that it is an answer like any other in the cache.
                self._store.put(key, {**hit, "billing": "online"})
                return found
            if found is not None:
                # An online answer was paid for when it was made: using it again costs nothing.
                return found.model_copy(update={"usage": TokenUsage()})
        with self._lock:
            running = self._running.get(key)
            if running is None:
                mine: Future[Triage] = Future()
                self._running[key] = mine
        if running is not None:
            shared = running.result()
            return shared.model_copy(update={"cached": True, "usage": TokenUsage()})
        try:
            result = triage(ticket, chain, preferred=preferred)
            if result.engine == "llm":
                self._store.put(key, result.model_dump(mode="json", exclude={"cached"}))
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        finally:
            with self._lock:
                self._running.pop(key, None)
        mine.set_result(result)
        return result


class _Store(Protocol):
    def get(self, key: str) -> dict[str, object] | None: ...
    def put(self, key: str, value: dict[str, object]) -> None: ...
