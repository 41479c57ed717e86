"""``wire.ChatPoster`` sends what the SDK's own ``post`` sends and fails as it fails.

The poster has the SDK build the request once and sends a copy with each call's body, to save
the SDK's per-call building; an endpoint must not be able to tell: the same request line,
headers in the same order, the same body bytes, and for a refusal, a timeout or a dead port the
same SDK error, with the answer's status and headers (what ``wire.translate_error`` reads).
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx2
import openai
import pytest

from ticket_processor.llm_client.http import build_http_client
from ticket_processor.llm_client.prompt import analysis_schema, chat_messages, response_format
from ticket_processor.llm_client.wire import SDK_HEADERS_LEFT_OUT, ChatPoster, chat_body, post_chat
from ticket_processor.triage.prepare import prepare_ticket
from ticket_processor.triage.taxonomy import load_taxonomy

ANSWER = {
    "choices": [{"message": {"content": "Bonjour"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Keeps each request as it arrived (line, headers in order, body bytes) and answers with
    the next of ``script`` (status, extra headers), a completion when it is empty."""

    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[tuple[str, list[tuple[str, str]], bytes]]] = []
    script: ClassVar[list[tuple[int, dict[str, str]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        self.seen.append((self.requestline, list(self.headers.items()), body))
        status, extra = self.script.pop(0) if self.script else (200, {})
        payload = ANSWER if status == 200 else {"error": {"message": "slow down", "code": None}}
        data = json.dumps(payload).encode()
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.seen.clear()
    _Recorder.script.clear()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/v1"
    finally:
        server.shutdown()
        server.server_close()


def _client(base_url: str, timeout: float = 10.0) -> openai.OpenAI:
    """A client made as ``LLMAnalyser`` makes its own."""
    return openai.OpenAI(
        api_key="sk-test",
        base_url=base_url,
        default_query={"api-version": "2024-06-01"},
        timeout=httpx2.Timeout(timeout, connect=min(timeout, 5.0)),
        max_retries=0,
        http_client=build_http_client(connections=8, timeout=timeout, connect_timeout=5.0),
        default_headers=SDK_HEADERS_LEFT_OUT,
    )


def _body(mode: str) -> dict[str, Any]:
    ticket = prepare_ticket("Remboursement «commande» 1234", 'Ich möchte "mein" Geld\nzurück.')
    messages: list[Any] = chat_messages("You triage tickets.", ticket)
    form = response_format(mode, analysis_schema(load_taxonomy(), reply_draft=True))
    return chat_body("m", messages, max_tokens=600, temperature=0.0, response_format=form)


@pytest.mark.parametrize("mode", ["json_schema", "json_object", "text"])
def test_the_endpoint_gets_the_request_the_sdk_sends(recorder: str, mode: str) -> None:
    client = _client(recorder)
    body = _body(mode)
    theirs = post_chat(client, body)
    poster = ChatPoster(client)
    ours = poster(body)
    poster(body)  # the request made once serves every call
    client.close()
    assert ours.json() == theirs.json() == ANSWER
    assert ours.status_code == theirs.status_code == 200
    (line_sdk, headers_sdk, bytes_sdk), *posted = _Recorder.seen
    assert len(posted) == 2  # one request a call
    for line, headers, sent in posted:
        assert line == line_sdk == "POST /v1/chat/completions?api-version=2024-06-01 HTTP/1.1"
        assert headers == headers_sdk
        assert sent == bytes_sdk
    assert json.loads(bytes_sdk) == body


@pytest.mark.parametrize(
    ("status", "error", "headers"),
    [
        (429, openai.RateLimitError, {"retry-after": "7"}),
        (500, openai.InternalServerError, {}),
        (401, openai.AuthenticationError, {}),
        (404, openai.NotFoundError, {}),
    ],
)
def test_a_refusal_is_the_sdks_error_with_the_answers_headers(
    recorder: str, status: int, error: type[openai.APIStatusError], headers: dict[str, str]
) -> None:
    client = _client(recorder)
    _Recorder.script.extend([(status, headers), (status, headers)])
    with pytest.raises(error) as theirs:
        post_chat(client, _body("text"))
    with pytest.raises(error) as ours:
        ChatPoster(client)(_body("text"))
    client.close()
    assert type(ours.value) is type(theirs.value)
    assert ours.value.status_code == theirs.value.status_code == status
    assert ours.value.message == theirs.value.message
    assert ours.value.response.headers.get("retry-after") == headers.get("retry-after")


def test_no_answer_in_time_and_no_server_are_the_sdks_errors() -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts the connection, never answers
    client = _client(f"http://127.0.0.1:{silent.getsockname()[1]}/v1", timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        ChatPoster(client)(_body("text"))
    client.close()
    silent.close()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    client = _client(f"http://127.0.0.1:{port}/v1")
    with pytest.raises(openai.APIConnectionError) as refused:
        ChatPoster(client)(_body("text"))
    client.close()
    assert not isinstance(refused.value, openai.APITimeoutError)


def test_a_cookie_the_endpoint_set_goes_back_as_the_sdk_sends_it(recorder: str) -> None:
    client = _client(recorder)
    poster = ChatPoster(client)
    _Recorder.script.append((200, {"set-cookie": "lb=node-2; Path=/"}))
    poster(_body("text"))
    poster(_body("text"))
    client.close()
    (_, _, _), (_, headers, _) = _Recorder.seen
    assert ("Cookie", "lb=node-2") in headers


def test_a_key_read_from_a_provider_is_read_for_every_call(recorder: str) -> None:
    keys = iter(["sk-first", "sk-second"])
    client = openai.OpenAI(
        api_key=lambda: next(keys),
        base_url=recorder,
        max_retries=0,
        http_client=build_http_client(connections=8, timeout=10.0, connect_timeout=5.0),
        default_headers=SDK_HEADERS_LEFT_OUT,
    )
    poster = ChatPoster(client)
    poster(_body("text"))
    poster(_body("text"))
    client.close()
    sent = [dict(headers)["authorization"] for _, headers, _ in _Recorder.seen]
    assert sent == ["Bearer sk-first", "Bearer sk-second"]
