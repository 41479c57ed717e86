"""The LLM analyser over the openai SDK: calls, deadlines, pacing, model fallback, errors.

The only module that calls the chat API (``llm_client/batch.py`` speaks the Batch API).
``LLMAnalyser.analyse`` sends one prepared (trimmed, redacted) ticket and returns a validated
``Triage``; every openai exception is translated here into the ``errors.LLMError`` tree, so
nothing above sees an SDK type. What is said and how the answer is read: ``llm_client/prompt.py``.

Every call has one deadline (``llm_client.http``: connect, send, the whole answer; a short connect
timeout apart): a trickled answer is an ``LLMConnectionError``, a breaker failure, as no answer.

Output modes, tried in order and remembered per model: a strict ``json_schema`` response format
(enums from the taxonomy), then ``json_object``, then plain text with the first JSON object
extracted from the prose. An answer that does not validate gets one repair attempt carrying the
validation error; then ``LLMResponseError``. Models are tried in the configured order: a model
that is missing (404) or fails for good hands over to the next.

Concurrency: the HTTP pool is sized to the workers; ``LLMPacer`` keeps calls and tokens under
the provider's announced rate limits before any 429; a 429 still halves the concurrency
(``AdaptiveLimit``) and successes let it creep back. A reset as a connection opens, while other
calls are answered (a full listen backlog), is back-pressure like a 429 (``LLMConnectionReset``);
``RESETS_BEFORE_OUTAGE`` resets in a row with no answer between them are an outage, and count for
the breaker as a refused connection does. ``run/engines.build_analyser`` is the one place an
analyser is built from the settings.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

# First: the SDK's model packages a run never reads stay unimported (``sdk_import.py``).
from .llm_client import sdk_import  # noqa: F401

# isort: split
import httpx2
import openai
from openai.types.chat import ChatCompletionMessageParam

from .common.scrub import display_url, url_credentials
from .errors import (
    BreakerOpenError,
    EmptyAnswer,
    InvalidAnswer,
    LLMAuthError,
    LLMConnectionError,
    LLMConnectionReset,
    LLMError,
    LLMRateLimited,
    LLMResponseError,
    ModeRejected,
)
from .llm_client import wire
from .llm_client.budget import SharedBudget
from .llm_client.deadline import call_deadline
from .llm_client.http import build_http_client, split_query
from .llm_client.pacer import LLMPacer
from .llm_client.prompt import (
    MODES,
    REPAIR_ECHO_CHARS,
    analysis_schema,
    chat_messages,
    read_analysis,
    response_format,
    system_prompt,
)
from .llm_client.translate import TRANSLATION_MAX_TOKENS, answer_room, translation_messages
from .llm_client.wire import Answer
from .models import Analysis, TokenUsage, Triage
from .resilience.bounds import LLM_MAX_BYTES
from .resilience.pacing import AdaptiveLimit
from .resilience.retry import Retrier
from .triage.prepare import PreparedTicket
from .triage.taxonomy import Taxonomy

__all__ = ["LLMAnalyser"]

T = TypeVar("T")
EventSink = Callable[..., object]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
# The customer's answer from a help-centre article (``write_answer``).
ANSWER_SYSTEM = (
    "You answer a customer of a software company with the help-centre article the user "
    "message holds. Write at most three short sentences in the language with ISO code "
    "{language}, using only facts, steps, numbers and links that are in the article. Add "
    "no greeting, no signature, no promise, no link and no number the article does not "
    "contain. Output only the answer."
)
ANSWER_ARTICLE_CHARS = 6000
ANSWER_MAX_CHARS = 800
CONNECT_TIMEOUT = 5.0
LISTED_SHOWN = 5  # models a "not listed" note names of what the endpoint lists
# Connection resets in a row, no call answered between them, before resets mean "down", not
# "busy". Halving the calls in flight on each wave ends a backlog's resets well before this.
RESETS_BEFORE_OUTAGE = 8


def _listed(model: str, listed: Sequence[str]) -> bool:
    # Ollama lists "llama3.1:latest" for "llama3.1"; vLLM and llama.cpp may list a path.
    return any(
        name == model or name.startswith(model + ":") or name.endswith("/" + model)
        for name in listed
    )


class LLMAnalyser:
    """Thread-safe: one openai client and its connection pool are shared by every worker."""

    def __init__(
        self,
        *,
        models: Sequence[str],
        taxonomy: Taxonomy,
        api_key: str | None,
        base_url: str | None,
        timeout: float = 30.0,
        connect_timeout: float = CONNECT_TIMEOUT,
        retrier: Retrier | None = None,
        limit: AdaptiveLimit | None = None,
        pacer: LLMPacer | None = None,
        budget: SharedBudget | None = None,
        reply_draft: bool = False,
        spam: bool = False,
        fault: bool = False,
        person_needed: bool = False,
        agent_language: str | None = None,
        max_tokens: int | None = None,
        temperature: float = 0.0,
        pool_size: int = 64,
        max_answer_bytes: int = LLM_MAX_BYTES,
    ) -> None:
        if not models:
            raise ValueError("models must name at least one model")
        self.models = tuple(models)
        self.taxonomy = taxonomy
        self.timeout = timeout
        self.reply_draft = reply_draft
        self.spam = spam  # ask for the spam view (the spam gate is on)
        self.fault = fault  # ask whether the ticket reports a fault (incidents are grouped)
        self.person_needed = person_needed  # ask whether a person must act (answers are on)
        self.agent_language = agent_language  # the note's texts asked in it (None: not asked)
        # Room for the JSON and a 300-character summary; a reply draft needs about as much again.
        self.max_tokens = max_tokens or (1200 if reply_draft else 600)
        self.temperature = temperature
        self.pacer = pacer
        # Every process's calls on this key share it (TICKETBOT_LLM_BUDGET); None: pace alone.
        self.budget = budget
        self._retrier = retrier
        self._limit = limit
        # What an echoing endpoint could send back: the key and any credentials in the URL.
        self._secret = (api_key or "", *url_credentials(base_url))
        self._shown_url = display_url(base_url or DEFAULT_BASE_URL)
        asked = {
            "reply_draft": reply_draft,
            "spam": spam,
            "fault": fault,
            "person_needed": person_needed,
        }
        self.schema = analysis_schema(taxonomy, **asked, agent_language=agent_language)
        self.system = system_prompt(taxonomy, **asked, agent_language=agent_language)
        self._mode_lock = threading.Lock()
        self._first_mode: dict[str, int] = {}
        self._resets_in_a_row = 0  # under _mode_lock
        self._calls = 0  # requests sent, retries included; under _mode_lock
        self._throttled = 0  # of them answered 429; under _mode_lock
        # One connection per worker: a smaller pool queues calls inside httpx.
        http_client = build_http_client(
            connections=max(8, pool_size),
            timeout=timeout,
            connect_timeout=min(timeout, connect_timeout),
            max_bytes=max_answer_bytes,
        )
        # base_url is always explicit: the SDK would otherwise read OPENAI_BASE_URL itself,
        # and settings are read in one place only. The timeout object (not a float) keeps the
        # connect timeout short: the SDK's per-request timeout replaces the client's.
        endpoint, query = split_query(base_url or DEFAULT_BASE_URL)
        self._client = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=endpoint,
            default_query=query,
            timeout=httpx2.Timeout(timeout, connect=min(timeout, connect_timeout)),
            max_retries=0,
            http_client=http_client,
            default_headers=wire.SDK_HEADERS_LEFT_OUT,
        )
        self._post_chat = wire.ChatPoster(self._client)

    # -- public ------------------------------------------------------------------------

    def analyse(self, ticket: PreparedTicket) -> Triage:
        """One ticket through the models in order; raises LLMError / BreakerOpenError."""
        started = time.perf_counter()
        usage = [0, 0, 0]
        last: LLMError | None = None
        for model in self.models:
            try:
                analysis = self._analyse_with(model, ticket, usage)
            except LLMAuthError:
                raise  # the same key is refused for every model
            except LLMError as exc:
                last = exc
                continue
            return Triage(
                analysis=analysis,
                engine="llm",
                model=model,
                usage=TokenUsage(
                    prompt_tokens=usage[0], completion_tokens=usage[1], cached_tokens=usage[2]
                ),
                llm_seconds=time.perf_counter() - started,
            )
        assert last is not None
        raise last

    def complete_text(self, system: str, user: str) -> str:
        """A plain-text answer to ``user`` (already redacted by the caller), from the first
        model that answers; raises LLMError. For short texts ticketbot shows, never parses."""
        messages: list[Any] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        last: LLMError | None = None
        for model in self.models:
            try:
                return self._call(model, messages, "text").content or ""
            except LLMAuthError:
                raise
            except LLMError as exc:
                last = exc
        assert last is not None
        raise last

    def judge_text(self, system: str, user: str) -> tuple[str, str, int, int]:
        """``user`` (redacted by the caller) answered by the first model, with what it used:
        (text, model, prompt tokens, completion tokens), so a run counts the call; raises
        LLMError."""
        messages: list[Any] = [
            {"role": "system", "content": system},
            {"role": "user", "content": user},
        ]
        answer = self._call(self.models[0], messages, "text")
        return answer.content or "", self.models[0], answer.prompt_tokens, answer.completion_tokens

    def write_answer(self, article: str, language: str) -> str | None:
        """A short answer for a customer, written only from ``article`` (its plain text), in
        the language of ISO code ``language``; None when the endpoint does not answer. The
        ticket's text is never sent: what the customer wrote cannot steer the answer, and the
        caller still checks every sentence against the article (``answers.compose``)."""
        messages: list[ChatCompletionMessageParam] = [
            {"role": "system", "content": ANSWER_SYSTEM.format(language=language)},
            {"role": "user", "content": article[:ANSWER_ARTICLE_CHARS]},
        ]
        try:
            answer = self._call(self.models[0], messages, "text")
        except (LLMError, BreakerOpenError):  # an LLM that is down is one that does not answer
            return None
        text = (answer.content or "").strip()
        return text[:ANSWER_MAX_CHARS] or None

    def translate(self, text: str, language: str) -> str | None:
        """``text`` (already redacted by the caller) in the language of ISO code ``language``;
        None when the endpoint does not answer (the note says no translation is available)."""
        messages: list[Any] = translation_messages(text, language)
        # Room for the whole translation (about a token per two characters, generously); one cut
        # short is no translation: the note says none is available rather than show half.
        fenced = len(messages[-1]["content"])
        room = max(self.max_tokens, min(TRANSLATION_MAX_TOKENS, fenced // 2 + 64))
        try:
            answer = self._call(self.models[0], messages, "text", max_tokens=room)
        except (LLMError, BreakerOpenError):  # its breaker open: no translation, as no answer
            return None
        if answer.finish_reason == "length":
            return None
        return (answer.content or "").strip() or None

    def mode_for(self, model: str) -> str:
        """The output mode the next call to ``model`` starts with."""
        with self._mode_lock:
            return MODES[self._first_mode.get(model, 0)]

    def concurrency(self) -> dict[str, Any]:
        """What bounds the LLM side of a run, for the run summary (``PacerStats.as_fields``)."""
        pacer = self.pacer.stats().as_fields() if self.pacer is not None else {}
        with self._mode_lock:
            calls: dict[str, object] = {"llm_calls": self._calls, "llm_throttled": self._throttled}
        if self.budget is not None:
            calls |= self.budget.stats()
        return pacer | (self._limit.stats() if self._limit is not None else {}) | calls

    def check(self, timeout: float = 5.0) -> str:
        """A cheap liveness check for ``ticketbot health``; raises LLMError."""
        client = self._client.with_options(timeout=timeout)
        return _check(client, self.models, self._translate, timeout)

    def close(self) -> None:
        self._client.close()

    # -- one model -----------------------------------------------------------------------

    def _analyse_with(self, model: str, ticket: PreparedTicket, usage: list[int]) -> Analysis:
        messages: list[Any] = chat_messages(self.system, ticket)
        room = answer_room(self.max_tokens, ticket, self.agent_language)
        answer = self._complete(model, messages, usage, room)
        try:
            return self._read(answer)
        except InvalidAnswer as problem:
            repair: list[Any] = [
                *messages,
                {"role": "assistant", "content": (answer.content or "")[:REPAIR_ECHO_CHARS]},
                {
                    "role": "user",
                    "content": f"That answer is not valid: {problem}. Answer again with only "
                    "the JSON object, using exactly the keys and allowed values given.",
                },
            ]
        answer = self._complete(model, repair, usage, room)
        try:
            return self._read(answer)
        except InvalidAnswer as problem:
            raise LLMResponseError(
                f"model {model} gave no valid analysis after one repair: {problem}"
            ) from None

    def _read(self, answer: Answer) -> Analysis:
        if answer.refusal and not (answer.content or "").strip():
            raise LLMResponseError(f"the model refused: {answer.refusal[:200]}")
        try:
            return read_analysis(
                answer.content,
                answer.finish_reason,
                self.taxonomy,
                reply_draft=self.reply_draft,
                spam=self.spam,
                fault=self.fault,
                person_needed=self.person_needed,
                agent_language=self.agent_language,
            )
        except EmptyAnswer as exc:
            raise LLMResponseError(str(exc)) from None

    def _complete(
        self, model: str, messages: list[ChatCompletionMessageParam], usage: list[int], room: int
    ) -> Answer:
        """One completion of at most ``room`` tokens, falling through the output modes the
        server refuses."""
        with self._mode_lock:
            index = self._first_mode.get(model, 0)
        while True:
            try:
                answer = self._call(model, messages, MODES[index], max_tokens=room)
            except ModeRejected:
                if index + 1 >= len(MODES):
                    raise
                index += 1
                with self._mode_lock:
                    self._first_mode[model] = max(self._first_mode.get(model, 0), index)
                continue
            usage[0] += answer.prompt_tokens
            usage[1] += answer.completion_tokens
            usage[2] += answer.cached_tokens
            return answer

    def _call(
        self,
        model: str,
        messages: list[ChatCompletionMessageParam],
        mode: str,
        max_tokens: int | None = None,
    ) -> Answer:
        form = response_format(mode, self.schema)
        limit = max_tokens or self.max_tokens
        body = wire.chat_body(
            model,
            messages,
            max_tokens=limit,
            temperature=self.temperature,
            response_format=form,
        )
        # What the provider charges against its token limit: the prompt plus max_tokens.
        charge = sum(len(str(m.get("content") or "")) for m in messages) // 4 + limit

        def once() -> object:
            # The shared budget first: waiting for it holds no local slot.
            if self.budget is not None:
                self.budget.acquire(charge)
            # The adaptive limit and the pacer are held for the request only, never across a
            # retry's wait.
            gate, pacer = self._limit, self.pacer
            if gate is not None:
                gate.acquire()
            permit = pacer.acquire(charge) if pacer is not None else None
            started = time.monotonic()
            headers: Mapping[str, str] | None = None
            with self._mode_lock:
                self._calls += 1
            try:
                with call_deadline(self.timeout):
                    response = self._post_chat(body)
                    headers = response.headers
                    data = wire.completion_data(response)
            except openai.OpenAIError as exc:
                if isinstance(exc, openai.APIStatusError):
                    headers = exc.response.headers
                error = self._back_pressure_or_outage(self._translate(exc, model, mode))
                if isinstance(error, LLMRateLimited):
                    with self._mode_lock:
                        self._throttled += 1
                    if self.budget is not None:
                        self.budget.observe(headers, retry_after=error.retry_after or 1.0)
                    if gate is not None:
                        gate.on_throttled()
                raise error from exc
            finally:
                if pacer is not None and permit is not None:
                    pacer.release(permit, headers)
                if gate is not None:
                    gate.release()
            if gate is not None:
                gate.on_success(time.monotonic() - started)
            if self.budget is not None:
                self.budget.observe(headers, retry_after=None)
            with self._mode_lock:
                self._resets_in_a_row = 0
            return data

        return wire.answer_of_data(self._with_retries(once), model)

    def _with_retries(self, fn: Callable[[], T]) -> T:
        return self._retrier.call(fn) if self._retrier is not None else fn()

    # -- errors --------------------------------------------------------------------------

    def _back_pressure_or_outage(self, error: LLMError) -> LLMError:
        """A reset is back-pressure while calls are answered; after ``RESETS_BEFORE_OUTAGE``
        resets in a row with none answered, the endpoint is down: a breaker failure."""
        if not isinstance(error, LLMConnectionReset):
            return error
        with self._mode_lock:
            self._resets_in_a_row += 1
            resets = self._resets_in_a_row
        if resets < RESETS_BEFORE_OUTAGE:
            return error
        return LLMConnectionError(
            f"{error} — {resets} connections in a row, none answered: the endpoint is down or "
            "refusing every call; check OPENAI_BASE_URL and the server"
        )

    def _translate(self, exc: openai.OpenAIError, model: str, mode: str) -> LLMError:
        return wire.translate_error(
            exc,
            model=model,
            mode=mode,
            timeout=self.timeout,
            secret=self._secret,
            base_url=self._shown_url,
        )


def _check(
    client: openai.OpenAI,
    models: tuple[str, ...],
    translate: Callable[[openai.OpenAIError, str, str], LLMError],
    timeout: float,
) -> str:
    """The model list (or, without one, a one-token completion) within ``timeout``."""
    try:
        with call_deadline(timeout):
            listed = [str(model.id) for model in client.models.list().data]
    except openai.NotFoundError:
        listed = []
    except openai.OpenAIError as exc:
        raise translate(exc, models[0], "text") from exc
    except (AttributeError, TypeError):
        raise LLMResponseError(
            "the endpoint's model list is not OpenAI-shaped: is OPENAI_BASE_URL the /v1 URL?"
        ) from None
    if not listed:
        try:
            with call_deadline(timeout):
                client.chat.completions.create(
                    model=models[0], messages=[{"role": "user", "content": "ping"}], max_tokens=1
                )
        except openai.OpenAIError as exc:
            raise translate(exc, models[0], "text") from exc
        return f"answers chat completions with {models[0]}"
    missing = [model for model in models if not _listed(model, listed)]
    shown = ", ".join(listed[:LISTED_SHOWN]) + (
        f" and {len(listed) - LISTED_SHOWN} more" if len(listed) > LISTED_SHOWN else ""
    )
    note = (
        f"; not listed: {', '.join(missing)} (the endpoint lists {shown}: set TICKETBOT_MODEL "
        "to one of them)"
        if missing
        else ""
    )
    return f"{len(listed)} model(s) available, using {models[0]}{note}"
