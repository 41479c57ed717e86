"""Comment redactions as the Zendesk sandbox serves them, in Zendesk's shapes:

- ``PUT /api/v2/comment_redactions/{ticket_comment_id}`` (the agent workspace's): the body
  ``{"ticket_id", "html_body"}``, the comment's ``html_body`` with ``<redact>`` tags around what
  goes;
- ``PUT /api/v2/tickets/{ticket_id}/comments/{ticket_comment_id}/redact`` (the older one): the
  body ``{"text"}``, the string that goes wherever it stands in the comment.

Both answer 200 ``{"comment": {...}}`` with every character redacted replaced by ``▇`` in the
comment's ``body``, ``plain_body`` and ``html_body`` (and the ticket's ``description`` when it is
the first comment), and record the ticket audit Zendesk records: a ``CommentRedactionEvent``
naming the comment (``comment_id``), in the ticket's audits and the ticket event export. What
was redacted is kept nowhere, the export's earlier comment events included. The ``html_body``
is redacted where the tags stand when the one sent is the comment's own; otherwise, and in the
plain texts, a tagged phrase is redacted where it first stands (the sandbox does not map the
HTML's positions onto the plain text).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .config import bad_request
from .routes import Call, Handler, Services

BLOCK = "\u2587"  # ▇, what Zendesk writes for each character redacted
_TAGGED = re.compile(r"<redact>(.*?)</redact>", re.DOTALL)
_TEXTS = ("body", "plain_body", "html_body")


def _redactor(
    phrases: list[str], *, everywhere: bool, tagged: str | None = None
) -> Callable[[dict[str, Any]], bool]:
    """A function that redacts ``phrases`` in a comment's texts (each once, or every time it
    stands there) and says whether it changed any. ``tagged``: the ``html_body`` sent with its
    ``<redact>`` tags, redacted where the tags stand when it is the comment's own."""
    plain = _TAGGED.sub(lambda m: m.group(1), tagged) if tagged is not None else None

    def redact(comment: dict[str, Any]) -> bool:
        changed = False
        for key in _TEXTS:
            text = comment.get(key)
            if not isinstance(text, str):
                continue
            if key == "html_body" and tagged is not None and text == plain:
                comment[key] = _TAGGED.sub(lambda m: BLOCK * len(m.group(1)), tagged)
                changed = changed or comment[key] != text
                continue
            for phrase in phrases:
                if phrase and phrase in text:
                    text = text.replace(phrase, BLOCK * len(phrase), -1 if everywhere else 1)
                    changed = True
            comment[key] = text
        return changed

    return redact


def _body(call: Call) -> dict[str, Any]:
    return call.body if isinstance(call.body, dict) else {}


def redact_in_workspace(svc: Services, call: Call) -> tuple[int, Any]:
    comment_id = int(call.args[0])
    body = _body(call)
    ticket_id, html_body = body.get("ticket_id"), body.get("html_body")
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        raise bad_request("InvalidValue", "ticket_id is required")
    if not isinstance(html_body, str):
        raise bad_request("InvalidValue", "html_body with <redact> tags is required")
    phrases = [p for p in _TAGGED.findall(html_body) if p]
    redact = _redactor(phrases, everywhere=False, tagged=html_body)
    comment = svc.store.redact_comment(ticket_id, comment_id, redact)
    return 200, {"comment": comment}


def redact_string(svc: Services, call: Call) -> tuple[int, Any]:
    ticket_id, comment_id = int(call.args[0]), int(call.args[1])
    text = _body(call).get("text")
    if not isinstance(text, str) or not text:
        raise bad_request("InvalidValue", "text is required")
    comment = svc.store.redact_comment(ticket_id, comment_id, _redactor([text], everywhere=True))
    return 200, {"comment": comment}


REDACTION_ROUTES: list[tuple[str, str, Handler]] = [
    ("PUT", "/api/v2/comment_redactions/{id}", redact_in_workspace),
    ("PUT", "/api/v2/tickets/{id}/comments/{id}/redact", redact_string),
]
