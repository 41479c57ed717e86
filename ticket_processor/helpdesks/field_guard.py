"""Custom-field values a helpdesk refuses because the field or its drop-down option is gone.

A run resolves ``fields.toml`` against the helpdesk once, at its start. An admin who renames or
removes a drop-down option while the run is under way makes the helpdesk refuse every write that
sets it (Zendesk: the job's per-ticket ``RecordInvalid`` and a PUT's 422; Freshdesk: the update's
400 ``invalid_value``), and with it the rest of the change: the tags, the priority, the group,
on Zendesk the note. ``FieldGuard`` is what an adapter asks when a write with custom fields is
refused: it reads the helpdesk's fields again (one listing), learns which values are no longer
valid (a field that is gone, or an option that is not among the drop-down's), and from then on
``strip`` leaves exactly those out of every change, so the write goes again, once, without
them. ``refused`` names them for the run (its ``fields`` warning and alert, then ``health``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from ..models import HelpdeskField, WriteBack


class FieldGuard:
    """The refused ``(key, value)`` pairs of one helpdesk connection; thread-safe."""

    def __init__(self, listing: Callable[[], list[HelpdeskField]]) -> None:
        self._listing = listing
        self._lock = threading.Lock()
        self._refused: dict[tuple[str, str], str] = {}  # (key, value) -> the field's title

    @property
    def refused(self) -> dict[str, str]:
        """Each refused field's key and title."""
        with self._lock:
            return {key: title for (key, _), title in self._refused.items()}

    def strip(self, change: WriteBack) -> WriteBack:
        """``change`` without the custom-field values known to be refused."""
        with self._lock:
            if not self._refused or not change.custom_fields:
                return change
            kept = {
                key: value
                for key, value in change.custom_fields.items()
                if (key, str(value)) not in self._refused
            }
        if len(kept) == len(change.custom_fields):
            return change
        return change.model_copy(update={"custom_fields": kept})

    def learn(self, changes: Iterable[WriteBack]) -> bool:
        """After a refusal: read the fields again and learn which of these changes' values the
        helpdesk no longer takes; True when one was found (the changes are worth sending
        again through ``strip``)."""
        asked = {
            (key, str(value))
            for change in changes
            for key, value in change.custom_fields.items()
            if value is not None and value != ""
        }
        if not asked:
            return False
        fields = {field.key: field for field in self._listing()}
        found: dict[tuple[str, str], str] = {}
        for key, value in asked:
            field = fields.get(key)
            if field is None:
                found[(key, value)] = key  # the field itself is gone
            elif field.kind == "dropdown" and value not in {o.value for o in field.options}:
                found[(key, value)] = field.title
        with self._lock:
            self._refused.update(found)
        return bool(found)
