"""The account's shared, active macros on Zendesk, as ``models.Macro`` values.

``GET /api/v2/macros/active?access=shared`` lists them (an agent's personal macros are not the
team's answers, and a restricted one (``restriction`` set) is left out too). A macro's reply is
its ``comment_value`` action (a string, or ``[channel, text]``) or its ``comment_value_html``
(tags taken out); ``comment_mode_is_public`` false (``"false"`` as Zendesk sends it, or a
boolean) makes it an internal note.
"""

from __future__ import annotations

import html
import re
from typing import Any

from ...models.macro import Macro
from .client import ZendeskClient

_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.IGNORECASE)


def _plain(markup: str) -> str:
    text = html.unescape(_TAG.sub("", _BREAK.sub("\n", markup)))
    return "\n".join(line.strip() for line in text.splitlines()).strip()


def _comment(value: Any) -> str:
    if isinstance(value, list):  # ["channel:all", "text"]: the text is the last element
        value = value[-1] if value else ""
    return value if isinstance(value, str) else ""


def macro_of(item: dict[str, Any]) -> Macro | None:
    """One listed macro as a ``Macro``; None for one without an id or a title."""
    macro_id, title = item.get("id"), item.get("title")
    if not isinstance(macro_id, int) or not isinstance(title, str) or not title.strip():
        return None
    text, markup, public = "", "", True
    for action in item.get("actions") or ():
        if not isinstance(action, dict):
            continue
        field, value = action.get("field"), action.get("value")
        if field == "comment_value":
            text = _comment(value)
        elif field == "comment_value_html":
            markup = _comment(value)
        elif field == "comment_mode_is_public":
            public = str(value).strip().lower() not in ("false", "0")
    if not text and markup:
        text = _plain(markup)
    updated = item.get("updated_at")
    return Macro(
        macro_id, title.strip(), text.strip(), public, updated if isinstance(updated, str) else None
    )


def shared_macros(client: ZendeskClient) -> list[Macro]:
    """The shared, active macros, in Zendesk's order."""
    listed = client.paged("/api/v2/macros/active.json", "macros", params={"access": "shared"})
    found = [
        macro_of(item)
        for item in listed
        if isinstance(item, dict) and item.get("restriction") is None
    ]
    return [macro for macro in found if macro is not None]


class ZendeskMacroReads:
    """What the macros feature reads of Zendesk beyond the ``Helpdesk`` protocol (the adapter's,
    kept here by concern)."""

    client: ZendeskClient

    def macros(self) -> list[Macro]:
        return shared_macros(self.client)
