"""A helpdesk's ready-made reply, the team's own text an agent applies in one click, as a
helpdesk's adapter reads it (each kind's readers, in its folder, make these; the features that
suggest or quote them read only this shape)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadyReply:
    """One shared, active ready-made reply: its id and exact title as the helpdesk shows them,
    the reply text it writes (plain text; empty for one that only sets fields) and whether that
    reply is public (one may write an internal note instead: never quoted to a customer)."""

    id: int
    title: str
    text: str
    public: bool
    updated_at: str | None = None
