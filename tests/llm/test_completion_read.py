"""A completion's body is read as the SDK's typed parse would read it.

``llm_client.wire.post_chat`` takes the SDK's plain response and ``answer_of_data`` reads the
few fields ticketbot uses from the decoded JSON, instead of building the SDK's
``ChatCompletion``: for any body, the answer (or the response error) must be the one
``answer_of`` gives on the SDK's model of the same body.
"""

from __future__ import annotations

import json
from typing import Any

import httpx2
import pytest
from openai._models import construct_type
from openai.types.chat import ChatCompletion

from ticket_processor.errors import LLMResponseError
from ticket_processor.llm_client.wire import Answer, answer_of, answer_of_data, completion_data


def _completion(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": '{"category": "billing"}'},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": 120,
            "completion_tokens": 9,
            "total_tokens": 129,
            "prompt_tokens_details": {"cached_tokens": 64},
        },
    }
    body.update(changes)
    return body


def _message(**fields: Any) -> list[dict[str, Any]]:
    return [{"index": 0, "message": {"role": "assistant", **fields}, "finish_reason": "length"}]


BODIES: list[object] = [
    _completion(),
    _completion(usage=None),
    _completion(usage={}),
    _completion(usage={"prompt_tokens": 5}),
    _completion(usage={"prompt_tokens": None, "completion_tokens": 3}),
    _completion(usage={"prompt_tokens": "7", "completion_tokens": 3}),
    _completion(usage={"prompt_tokens": "seven", "completion_tokens": 3}),
    _completion(usage={"prompt_tokens": 1, "completion_tokens": 2, "prompt_tokens_details": None}),
    _completion(
        usage={"prompt_tokens": 1, "completion_tokens": 2, "prompt_tokens_details": {"x": 1}}
    ),
    _completion(
        usage={
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": True},
        }
    ),
    _completion(usage={"prompt_tokens": 3.5, "completion_tokens": True}),
    _completion(usage={"prompt_tokens": "3.0", "completion_tokens": 1}),
    _completion(
        usage={
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": "3"},
        }
    ),
    _completion(
        usage={
            "prompt_tokens": 1,
            "completion_tokens": 2,
            "prompt_tokens_details": {"cached_tokens": 2.5},
        }
    ),
    _completion(usage=0),
    _completion(usage=[]),
    _completion(usage="lots"),
    _completion(choices=[]),
    _completion(choices=["text"]),
    _completion(choices=_message(content=None, refusal="I cannot help with that.")),
    _completion(choices=_message(content=["a", "list"])),
    _completion(choices=_message()),
    _completion(choices=[{"index": 0, "message": {"content": "x"}}]),
    _completion(choices=[{"index": 0, "finish_reason": "stop"}]),
    _completion(choices=[{"index": 0, "message": "x", "finish_reason": "stop"}]),
    _completion(choices=[{"index": 0, "message": {"content": "x"}, "finish_reason": None}]),
    _completion(choices=[{"index": 0, "message": None, "finish_reason": "stop"}]),
    _completion(choices=[{"index": 0, "message": {"content": 12}, "finish_reason": 0}]),
    _completion(choices=None),
    {"error": {"message": "no"}},
    {},
    None,
    [1, 2],
    "a string",
    3,
]


def _typed(data: object, model: str) -> Answer | str:
    """What ``answer_of`` gives on the SDK's model of ``data`` (its typed parse)."""
    try:
        parsed = None if data is None else construct_type(type_=ChatCompletion, value=data)
        return answer_of(parsed, model)
    except LLMResponseError as error:
        return f"error: {error}"


def _ours(data: object, model: str) -> Answer | str:
    try:
        return answer_of_data(data, model)
    except LLMResponseError as error:
        return f"error: {error}"


@pytest.mark.parametrize("data", BODIES, ids=range(len(BODIES)))
def test_the_answer_is_what_the_typed_parse_gives(data: object) -> None:
    assert _ours(data, "m") == _typed(data, "m")


def test_choices_not_a_list_are_a_response_error() -> None:
    # The SDK's model keeps such a value as it came and indexing it raised a KeyError; here it
    # is what every other body that is not a completion is.
    with pytest.raises(LLMResponseError):
        answer_of_data(_completion(choices={"0": 1}), "m")


def test_a_valid_completion_is_read_whole() -> None:
    assert answer_of_data(_completion(), "m") == Answer(
        content='{"category": "billing"}',
        finish_reason="stop",
        prompt_tokens=120,
        completion_tokens=9,
        cached_tokens=64,
    )


def test_a_body_is_decoded_as_the_sdk_decodes_it() -> None:
    def response(body: bytes, content_type: str | None) -> httpx2.Response:
        headers = {"content-type": content_type} if content_type else {}
        return httpx2.Response(200, content=body, headers=headers)

    assert completion_data(response(b'{"a": 1}', "application/json; charset=utf-8")) == {"a": 1}
    assert completion_data(response(b'{"a": 1}', "text/plain")) == {"a": 1}
    assert completion_data(response(b'{"a": 1}', None)) == {"a": 1}
    assert completion_data(response(b"<html>proxy</html>", "text/html")) is None
    with pytest.raises(json.JSONDecodeError):
        completion_data(response(b"<html>proxy</html>", "application/json"))
