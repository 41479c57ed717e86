"""The account's shared canned responses on Freshdesk, as ``models.ReadyReply`` values.

Every folder but the personal ones (``personal`` true: one agent's own) is read
(``GET /api/v2/canned_response_folders``, then ``/canned_response_folders/{id}/responses``);
a response shown only to its author (``visibility`` 1) is left out. Freshdesk has no internal
canned response: each is a reply a customer may read. ``content`` is the text; where a listing
leaves it out, ``content_html`` with its tags taken out.
"""

from __future__ import annotations

from typing import Any

from ...models.ready_reply import ReadyReply
from .records import text_of
from .wire import FreshdeskTransport


def response_of(item: dict[str, Any]) -> ReadyReply | None:
    """One canned response as a ``ReadyReply``; None for one without an id or a title, or a
    personal one."""
    response_id, title = item.get("id"), item.get("title")
    if not isinstance(response_id, int) or not isinstance(title, str) or not title.strip():
        return None
    if item.get("visibility") == 1:
        return None
    updated = item.get("updated_at")
    text = text_of(item.get("content"), item.get("content_html"))
    return ReadyReply(
        response_id,
        title.strip(),
        text.strip(),
        True,
        updated if isinstance(updated, str) else None,
    )


def shared_responses(http: FreshdeskTransport) -> list[ReadyReply]:
    found: list[ReadyReply] = []
    for folders in http.pages("/api/v2/canned_response_folders"):
        for folder in folders:
            if not isinstance(folder, dict) or folder.get("personal") is True:
                continue
            path = f"/api/v2/canned_response_folders/{int(folder['id'])}/responses"
            for responses in http.pages(path):
                for item in responses:
                    macro = response_of(item) if isinstance(item, dict) else None
                    if macro is not None:
                        found.append(macro)
    return found


class CannedResponseReads:
    """What the macros feature reads of Freshdesk beyond the ``Helpdesk`` protocol (the
    adapter's, kept here by concern)."""

    # What ``macros sync`` says it read, one and many: Freshdesk's own word.
    MACROS_NOUN = ("shared canned response", "shared canned responses")
    MACRO_WORD = "canned response"  # one of them, in the helpdesk's own word

    http: FreshdeskTransport

    def macros(self) -> list[ReadyReply]:
        return shared_responses(self.http)
