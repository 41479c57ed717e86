"""An event log the tests read back: what a pass or a run emitted, in order."""

from __future__ import annotations

from typing import Any


class Events:
    """Stands where the code takes an ``EventLog`` (anything with ``emit``); keeps each event."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def emit(self, event: str, **fields: Any) -> dict[str, Any]:
        self.items.append({"event": event, **fields})
        return self.items[-1]

    @property
    def names(self) -> list[str]:
        """The events' names, in order."""
        return [item["event"] for item in self.items]
