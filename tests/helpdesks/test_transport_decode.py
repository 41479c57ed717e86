"""A helpdesk's JSON answer decoded as ``requests`` decodes it, holding the answer once.

A 1,000-ticket export page (1.5 MB of UTF-8, 3 MB as text when a customer wrote outside
Latin-1) was held as bytes, as text and decoded at once; ``decode_json`` lets the bytes go once
they are text. Every body is read as ``Response.json()`` reads it (or refused as it refuses it).
"""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest
import requests

from ticket_processor.helpdesks.wire import decode_json

PAGE: dict[str, Any] = {
    "tickets": [
        {"id": n, "subject": f"Grüße {n} — 日本語 \u2603", "tags": ["a"]} for n in range(50)
    ],
    "after_cursor": "abc",
    "end_of_stream": False,
}


def response(body: bytes, content_type: str | None = "application/json") -> requests.Response:
    answer = requests.Response()
    answer.status_code = 200
    if content_type is not None:
        answer.headers["Content-Type"] = content_type
    answer.encoding = requests.utils.get_encoding_from_headers(answer.headers)
    answer._content = body
    answer._content_consumed = True  # type: ignore[attr-defined]
    return answer


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (json.dumps(PAGE, ensure_ascii=False).encode(), "application/json; charset=utf-8"),
        (json.dumps(PAGE, ensure_ascii=False).encode(), "application/json"),
        (json.dumps(PAGE, ensure_ascii=False).encode(), "application/json; charset=UTF8"),
        (json.dumps(PAGE, ensure_ascii=False).encode(), None),
        (json.dumps(PAGE).encode(), "application/json; charset=utf-8"),  # all \u escapes
        (codecs.BOM_UTF8 + json.dumps(PAGE, ensure_ascii=False).encode(), "application/json"),
        (json.dumps(PAGE, ensure_ascii=False).encode("utf-16"), "application/json"),
        (json.dumps(PAGE, ensure_ascii=False).encode("utf-16-le"), None),
    ],
)
def test_every_body_is_read_as_requests_reads_it(body: bytes, content_type: str | None) -> None:
    assert outcome(decode_json, body, content_type) == outcome(
        requests.Response.json, body, content_type
    )


def outcome(read: Any, body: bytes, content_type: str | None) -> Any:
    """What ``read`` makes of the answer: its value, or ``"ValueError"``."""
    try:
        return read(response(body, content_type))
    except ValueError:
        return "ValueError"


def test_a_utf8_answer_lets_its_bytes_go_once_they_are_text() -> None:
    answer = response(json.dumps(PAGE, ensure_ascii=False).encode(), "application/json")
    assert decode_json(answer) == PAGE
    assert answer._content is None  # the one copy held while decoding was the text


def test_a_lone_surrogate_a_customer_escaped_is_read() -> None:
    body = b'{"tickets": [{"id": 1, "subject": "half \\ud800 a pair"}]}'
    assert decode_json(response(body))["tickets"][0]["subject"] == "half \ud800 a pair"


@pytest.mark.parametrize(
    "body", [b"<html>502 Bad Gateway</html>", b'{"tickets": [', b"\xff\xfe\xfa not text"]
)
def test_what_is_not_json_is_a_value_error(body: bytes) -> None:
    with pytest.raises(ValueError, match=r"Expecting|decode"):
        decode_json(response(body, "application/json; charset=utf-8"))
