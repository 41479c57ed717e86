"""A helpdesk's ready-made reply: a Zendesk macro or a Freshdesk canned response, as the
macros feature reads it (``helpdesks/<kind>/macros.py`` make these; ``macros/`` suggests them)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Macro:
    """One shared, active macro: its id and exact title as the helpdesk shows them, the reply
    text it writes (plain text; empty for a macro that only sets fields) and whether that reply
    is public (a macro may write an internal note instead: never quoted to a customer)."""

    id: int
    title: str
    text: str
    public: bool
    updated_at: str | None = None
