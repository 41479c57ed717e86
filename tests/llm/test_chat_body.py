"""The chat body ticketbot posts itself is the one ``chat.completions.create`` would send.

``llm_client.wire.post_chat`` skips the SDK's argument transform (a fifth of a run's CPU); the
request must not change for it: same keys, same values, same order, so the same bytes.
"""

from __future__ import annotations

import http.server
import json
import threading
from typing import Any, ClassVar

import openai
import pytest
from openai._utils import maybe_transform
from openai._utils._json import openapi_dumps
from openai.types.chat import completion_create_params

from ticket_processor.llm import LLMAnalyser
from ticket_processor.llm_client.prompt import analysis_schema, chat_messages, response_format
from ticket_processor.llm_client.wire import body_bytes, chat_body
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy


def _create_body(**arguments: Any) -> dict[str, Any]:
    """What ``Completions.create`` hands to ``_post`` for these arguments."""
    every = {
        "model": arguments["model"],
        "stream": openai.omit,
        "service_tier": openai.omit,
        "messages": arguments["messages"],
        "max_tokens": arguments["max_tokens"],
        "response_format": arguments["response_format"],
        "temperature": arguments["temperature"],
    }
    body = maybe_transform(every, completion_create_params.CompletionCreateParamsNonStreaming)
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "text"])
@pytest.mark.parametrize("max_tokens", [600, None])
def test_the_body_is_what_create_sends(mode: str, max_tokens: int | None) -> None:
    ticket = prepare_ticket("Refund for order 1234", "Ich möchte mein Geld zurück, bitte.")
    messages: list[Any] = chat_messages("You triage tickets.", ticket)
    form = response_format(mode, analysis_schema(load_taxonomy(), reply_draft=True))
    ours = chat_body(
        "gpt-4o-mini", messages, max_tokens=max_tokens, temperature=0.0, response_format=form
    )
    theirs = _create_body(
        model="gpt-4o-mini",
        messages=messages,
        max_tokens=max_tokens,
        temperature=0.0,
        response_format=form if form is not None else openai.omit,
    )
    assert ours == theirs
    assert list(ours) == list(theirs)  # the same order, so the same JSON bytes


class _Recorder(http.server.BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that keeps each request's headers and answers one
    completion."""

    seen: ClassVar[list[dict[str, str]]] = []

    def do_POST(self) -> None:
        self.seen.append({name.lower(): value for name, value in self.headers.items()})
        self.rfile.read(int(self.headers["content-length"]))
        answer = {
            "choices": [{"message": {"content": "Bonjour"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
        }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


def test_a_call_sends_the_key_and_none_of_the_sdks_telemetry_headers() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        analyser = LLMAnalyser(
            models=("m",),
            taxonomy=load_taxonomy(),
            api_key="sk-test",
            base_url=f"http://127.0.0.1:{server.server_port}/v1",
        )
        assert analyser.translate("Hello", "fr") == "Bonjour"
        analyser.close()
    finally:
        server.shutdown()
        server.server_close()
    headers = _Recorder.seen[-1]
    assert headers["authorization"] == "Bearer sk-test"
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("OpenAI/Python")
    assert not [name for name in headers if name.startswith("x-stainless")]


# Characters a ticket may hold that JSON writers treat differently: controls, quotes and
# backslashes, the line separators JavaScript minds, a byte-order mark, astral characters.
_AWKWARD = "".join(chr(code) for code in range(0x20)) + (
    '"\\/\x7f\x80\u2028\u2029\ufeff😀\U0010ffffé'
)


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "text"])
@pytest.mark.parametrize("temperature", [None, 0.0, 0.2, 1.0, 1e-7, 2.5e-5, 1e16, 0.1 + 0.2])
def test_the_body_bytes_are_the_sdks(mode: str, temperature: float | None) -> None:
    for start in range(0, len(_AWKWARD), 7):
        ticket = prepare_ticket(f"Subject {_AWKWARD[start:]}", f"{_AWKWARD[: start + 3]} body")
        messages: list[Any] = chat_messages("You triage tickets.", ticket)
        messages.append({"role": "user", "content": _AWKWARD})
        form = response_format(mode, analysis_schema(load_taxonomy(), reply_draft=True))
        body = chat_body(
            "m", messages, max_tokens=600, temperature=temperature, response_format=form
        )
        assert body_bytes(body) == openapi_dumps(body)


@pytest.mark.parametrize("temperature", [float("nan"), float("inf")])
def test_a_body_the_sdk_refuses_is_refused(temperature: float) -> None:
    body = chat_body("m", [], max_tokens=600, temperature=temperature, response_format=None)
    with pytest.raises(ValueError, match="JSON compliant") as theirs:
        openapi_dumps(body)
    with pytest.raises(ValueError, match="JSON compliant") as ours:
        body_bytes(body)
    assert str(ours.value) == str(theirs.value)


def test_what_orjson_refuses_is_written_as_the_sdk_writes_it() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "x"}], "max_tokens": 2**70}
    assert body_bytes(body) == openapi_dumps(body)
    lone = {"model": "m", "messages": [{"role": "user", "content": "\ud800"}]}
    with pytest.raises(UnicodeEncodeError):
        openapi_dumps(lone)
    with pytest.raises(UnicodeEncodeError):
        body_bytes(lone)
