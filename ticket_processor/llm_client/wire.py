"""What comes back over the wire from the openai SDK: completions read, errors translated.

Shared by the online client (``llm.py``) and the Batch API client (``batch.py``): the one
status -> error table of the LLM side, so nothing above sees an SDK type.
"""

from __future__ import annotations

import email.utils
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

import httpx2
import openai
import orjson
from openai._httpx2 import request_exceptions, status_exceptions, timeout_exceptions
from openai._models import FinalRequestOptions, construct_type
from openai._utils._json import openapi_dumps
from openai.types.chat import ChatCompletion
from openai.types.completion_usage import CompletionUsage

from ..common.scrub import Scrubber
from ..errors import (
    LLMAnswerRefused,
    LLMAuthError,
    LLMConnectionError,
    LLMConnectionReset,
    LLMError,
    LLMRateLimited,
    LLMResponseError,
    LLMServerError,
    ModeRejected,
)
from ..resilience.retry_after import bounded_hold
from .http import AnswerRefused


def chat_body(
    model: str,
    messages: list[Any],
    *,
    max_tokens: int | None,
    temperature: float | None,
    response_format: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The JSON body ``chat.completions.create`` sends for these arguments, key for key and in
    its order (``response_format`` None: left out, as ``openai.omit``)."""
    body: dict[str, Any] = {"model": model, "messages": messages, "max_tokens": max_tokens}
    if response_format is not None:
        body["response_format"] = response_format
    body["temperature"] = temperature
    return body


# The SDK's telemetry headers (its version, the OS, the CPU, the runtime; a retry count that
# is always 0 here, the SDK's retries being off; the read timeout): nine of the sixteen headers
# of every call, each merged, checked and encoded on every request, none needed by an endpoint.
# ``SDK_HEADERS_LEFT_OUT`` goes in the client's ``default_headers``; the last two are set per
# request unless the request names them, so ``post_chat`` names them too.
_PER_REQUEST = ("X-Stainless-Retry-Count", "X-Stainless-Read-Timeout")
# The SDK types ``default_headers`` as strings; its header merge drops a name given ``Omit()``.
SDK_HEADERS_LEFT_OUT = cast(
    Mapping[str, str],
    {
        name: openai.Omit()
        for name in (
            "X-Stainless-Lang",
            "X-Stainless-Package-Version",
            "X-Stainless-OS",
            "X-Stainless-Arch",
            "X-Stainless-Runtime",
            "X-Stainless-Runtime-Version",
            "X-Stainless-Async",
            *_PER_REQUEST,
        )
    },
)
_PER_REQUEST_LEFT_OUT = {name: openai.Omit() for name in _PER_REQUEST}


def post_chat(client: openai.OpenAI, body: Mapping[str, Any]) -> httpx2.Response:
    """``POST /chat/completions`` with ``body`` as it is; the SDK's response, body read.

    ``create`` runs the SDK's typed-dict transform over its arguments first: every message
    through each of the six message types in turn, the response format's JSON schema key by
    key. For a body of plain strings and numbers that changes nothing (a test holds
    ``chat_body`` to it) and cost about a fifth of a run's CPU with the LLM. Nor is the answer
    built into the SDK's typed ``ChatCompletion`` (a model for each choice, message and usage
    object, about a tenth of an LLM call's CPU): ``completion_data`` and ``answer_of_data``
    read the few fields we use. The SDK still sends the request (its auth headers, base URL
    and query) and raises its own errors for a status, a timeout or a connection failure.
    """
    # A mapping of this call's own: the SDK is handed it and must not share one between calls.
    options: Any = {"headers": dict(_PER_REQUEST_LEFT_OUT)}
    return client.post(
        "/chat/completions", cast_to=httpx2.Response, body=dict(body), options=options
    )


# orjson writes a chat body as the SDK's ``openapi_dumps`` does (compact, UTF-8 unescaped, the
# same escapes; ``tests/llm/test_chat_body.py`` compares them) in a tenth of its CPU, but for
# floats, which each writes its own way (json ``2.5e-05``, orjson ``0.000025``) and for a NaN
# or an infinity, which json refuses and orjson writes as ``null``. A chat body's one float of
# the caller's is its temperature: one orjson would write otherwise, or a body with a float in
# exponent form elsewhere, or one orjson refuses (an int past 64 bits, a lone surrogate), is
# left to the SDK's serialiser, which writes or raises as it always did.
_EXPONENT = re.compile(rb"[0-9]e[-+]?[0-9]")


def body_bytes(body: Mapping[str, Any]) -> bytes:
    """``openapi_dumps(body)``, byte for byte, mostly by orjson."""
    temperature = body.get("temperature")
    if isinstance(temperature, float) and (
        not math.isfinite(temperature) or orjson.dumps(temperature) != repr(temperature).encode()
    ):
        return openapi_dumps(dict(body))
    try:
        data = orjson.dumps(body)
    except TypeError:  # orjson.JSONEncodeError is one
        return openapi_dumps(dict(body))
    return openapi_dumps(dict(body)) if _EXPONENT.search(data) else data


# Set on a client whose every request is prepared afresh: a key read from a provider, a cloud
# provider's request transform, workload identity. A name the SDK no longer has counts as set.
_PER_REQUEST_AUTH = ("_api_key_provider", "_provider_runtime", "_workload_identity_auth")


class ChatPoster:
    """``post_chat`` for one client, with the request's fixed parts worked out once.

    Of what ``client.post`` does for each call, only the body changes from call to call: the
    options model it builds and copies twice, the headers it merges (auth, user agent, the
    ones left out), the URL it joins to the base URL and its default query, the timeout. That
    was about two fifths of an LLM call's CPU on ticketbot's side. Here the SDK builds that
    request once, and each call sends a copy of it with its own body, serialised as the SDK
    serialises it, through the SDK's own send and httpx client, so the same bytes reach the
    endpoint (``tests/llm/test_chat_poster.py`` compares them). A failure is raised as the
    SDK's request loop raises it with its retries off: a timeout as ``APITimeoutError``,
    another transport failure as ``APIConnectionError``, a status as the SDK's error for it.

    A client whose requests depend on more than the body (a key read from a provider, a
    cloud provider's transform, workload identity, or a cookie an endpoint set, which httpx
    adds as it builds each request) is posted through ``post_chat``, the SDK's whole path.
    """

    def __init__(self, client: openai.OpenAI) -> None:
        self._client = client
        self._prepared = not any(
            getattr(client, name, ChatPoster) is not None for name in _PER_REQUEST_AUTH
        )
        if not self._prepared:  # its key may not even be read yet: nothing to make once
            return
        options = FinalRequestOptions.construct(
            method="post",
            url="/chat/completions",
            json_data={},
            headers=dict(_PER_REQUEST_LEFT_OUT),
        )
        made = client._build_request(options)
        self._url = made.url
        # httpx puts the length of each body last, as it did for the SDK's own request.
        self._headers = [
            (name, value) for name, value in made.headers.raw if name.lower() != b"content-length"
        ]
        self._extensions = made.extensions

    def __call__(self, body: Mapping[str, Any]) -> httpx2.Response:
        client = self._client
        if not self._prepared or client._client.cookies:
            return post_chat(client, body)
        request = httpx2.Request(
            "POST",
            self._url,
            headers=self._headers,
            content=body_bytes(body),
            extensions=dict(self._extensions),
        )
        try:
            response = client._send_request(request, stream=False)
        except timeout_exceptions() as exc:
            raise openai.APITimeoutError(request=request) from exc
        except openai.OpenAIError:
            raise
        except request_exceptions() as exc:
            raise openai.APIConnectionError(request=request) from exc
        try:
            response.raise_for_status()
        except status_exceptions() as exc:
            if not exc.response.is_closed:
                exc.response.read()
            raise client._make_status_error_from_response(exc.response) from None
        return response


_MODE_REJECTION = ("response_format", "json_schema", "json_object", "not supported", "unsupported")


@dataclass
class Answer:
    content: str | None
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int = 0
    refusal: str | None = None


def cached_tokens(usage: object) -> int:
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None)
    if cached is None and isinstance(details, dict):
        cached = details.get("cached_tokens")
    return _count(cached)


def _count(value: object) -> int:
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0


def answer_of(response: object, model: str) -> Answer:
    """The parts of a completion we use; anything not shaped like one is a response error.

    The SDK does not validate bodies, so a proxy's HTML page or a foreign JSON arrives here as
    a str or a half-built object.
    """
    try:
        if not isinstance(response, ChatCompletion):
            raise TypeError(type(response).__name__)
        choice = response.choices[0]
        content: object = choice.message.content
        usage = response.usage
        return Answer(
            content=content if content is None or isinstance(content, str) else str(content),
            finish_reason=str(choice.finish_reason) if choice.finish_reason else None,
            prompt_tokens=int(usage.prompt_tokens or 0) if usage else 0,
            completion_tokens=int(usage.completion_tokens or 0) if usage else 0,
            cached_tokens=cached_tokens(usage) if usage else 0,
            refusal=getattr(choice.message, "refusal", None),
        )
    except (AttributeError, IndexError, TypeError, ValueError):
        raise LLMResponseError(
            f"model {model}: the endpoint's answer is not a chat completion "
            "(is OPENAI_BASE_URL the OpenAI-compatible /v1 URL?)"
        ) from None


def _cached_of(details: dict[str, Any]) -> int:
    """``cached_tokens`` of a usage's ``prompt_tokens_details`` as the SDK's model gives it: an
    int as it is, anything else through the model (which reads ``"3"`` or ``True`` as a count)."""
    cached = details.get("cached_tokens")
    if type(cached) is int:
        return cached
    if cached is None:
        return 0
    return cached_tokens(
        construct_type(type_=CompletionUsage, value={"prompt_tokens_details": details})
    )


def completion_data(response: httpx2.Response) -> object:
    """The decoded body of a completion, as the SDK's typed parse reads it before building
    its ``ChatCompletion``: a JSON content type is parsed (a body that is not JSON raises as
    ``response.json()`` does); any other is tried as JSON and is otherwise no completion."""
    content_type = response.headers.get("content-type", "*").split(";")[0]
    if content_type.endswith("json"):
        return response.json()
    try:
        return response.json()
    except ValueError:  # not JSON (or not UTF-8): the SDK hands back its text, no completion
        return None


def answer_of_data(data: object, model: str) -> Answer:
    """``answer_of`` for a decoded body, read as the SDK's ``ChatCompletion`` model of it
    reads: a key the body lacks is None, a value of the wrong shape is a response error
    (``tests/llm/test_completion_read.py`` holds the two to the same answers)."""
    try:
        if not isinstance(data, dict):
            raise TypeError(type(data).__name__)
        body: dict[str, Any] = data
        choice = body.get("choices")[0]  # type: ignore[index]  # None: a TypeError, as typed
        message = choice.get("message")
        finish_reason = choice.get("finish_reason")
        content: object = message.get("content")
        usage = body.get("usage")
        if not usage and not isinstance(usage, dict):  # None, 0, "": the model's "no usage"
            prompt = completion = cached = 0
        else:
            prompt = int(usage.get("prompt_tokens") or 0)
            completion = int(usage.get("completion_tokens") or 0)
            details = usage.get("prompt_tokens_details")
            cached = _cached_of(details) if isinstance(details, dict) else 0
        return Answer(
            content=content if content is None or isinstance(content, str) else str(content),
            finish_reason=str(finish_reason) if finish_reason else None,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cached_tokens=cached,
            refusal=message.get("refusal"),
        )
    except (AttributeError, LookupError, TypeError, ValueError):
        raise LLMResponseError(
            f"model {model}: the endpoint's answer is not a chat completion "
            "(is OPENAI_BASE_URL the OpenAI-compatible /v1 URL?)"
        ) from None


def retry_after_seconds(headers: httpx2.Headers) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), held to
    ``MAX_HOLD_S``: a huge, negative or unreadable value never holds a run (or, through the
    shared budget, every installation) for longer."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return bounded_hold(float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return bounded_hold(float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None  # neither seconds nor a date: the retry policy's own back-off
    return bounded_hold(parsed.timestamp() - time.time())


def dropped_before_answering(exc: BaseException) -> bool:
    """The server took the connection and reset (or closed) it before any answer: what a small
    server does when its listen backlog overflows. The kernel completes the handshake before
    the server accepts, so the client sees it while connecting or on its first read
    (``ConnectionResetError`` under httpx's ``ConnectError`` / ``ReadError``, or httpx's "server
    disconnected without sending a response"). Not a refused connection (nothing listens) or a
    name that does not resolve: those mean the endpoint is not there at all."""
    found: BaseException | None = exc
    for _ in range(8):  # the chain: openai's error, httpx's, httpcore's, the OS's
        if found is None:
            return False
        if isinstance(found, ConnectionResetError | ConnectionAbortedError):
            return True
        if isinstance(found, httpx2.RemoteProtocolError) and "without sending" in str(found):
            return True
        found = found.__cause__ or found.__context__
    return False


def translate_error(
    exc: openai.OpenAIError,
    *,
    model: str,
    mode: str,
    timeout: float,
    secret: tuple[str, ...],
    base_url: str | None = None,
) -> LLMError:
    """openai's exception -> ours, carrying status, Retry-After and a fix-it message.

    ``base_url`` (credentials already removed) is named in a connection failure's message."""
    if isinstance(exc, openai.APITimeoutError):
        return LLMConnectionError(
            f"the LLM endpoint did not answer: no complete answer within {timeout:g} s"
        )
    if isinstance(exc, openai.APIConnectionError) and isinstance(exc.__cause__, AnswerRefused):
        # Too large, or a redirect: the same call brings the same answer, so not retried.
        return LLMAnswerRefused(str(exc.__cause__))
    if isinstance(exc, openai.APIConnectionError):
        where = f"the LLM at {base_url}" if base_url else "the LLM endpoint"
        if dropped_before_answering(exc):
            return LLMConnectionReset(
                f"{where} reset a connection before answering (its listen backlog is full?): "
                "fewer calls at once"
            )
        return LLMConnectionError(f"could not reach {where}: check OPENAI_BASE_URL")
    if not isinstance(exc, openai.APIStatusError):
        return LLMError(f"LLM call failed: {type(exc).__name__}")
    status = exc.status_code
    detail = " ".join(str(exc.message).split())[:300]
    detail = Scrubber(secret).text(detail)
    if isinstance(exc, openai.RateLimitError):
        if exc.code == "insufficient_quota":
            return LLMError(f"LLM quota exhausted (429): {detail}", status_code=status)
        return LLMRateLimited(
            f"LLM rate limit (429) for {model}",
            retry_after=retry_after_seconds(exc.response.headers),
        )
    if status >= 500:
        return LLMServerError(f"LLM server error {status} for {model}", status_code=status)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return LLMAuthError(
            f"the LLM endpoint refused the API key ({status}): check OPENAI_API_KEY",
            status_code=status,
        )
    rejects_mode = any(word in detail.lower() for word in _MODE_REJECTION)
    if status in (400, 422) and mode != "text" and rejects_mode:
        return ModeRejected(f"{model} refused {mode}: {detail}", status_code=status)
    if status == 404:
        return LLMError(f"model {model} not found (404): check TICKETBOT_MODEL", status_code=404)
    return LLMError(f"LLM endpoint answered {status} for {model}: {detail}", status_code=status)
