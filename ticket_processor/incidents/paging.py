"""The open incidents PagerDuty pages (``alerts.channels``): those alerted so far, read from the
incident book after the incident pass wrote it. numpy (the book's centres) is loaded only when
this is called, so a run without incidents or without PagerDuty never loads it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..alerts.channels import PagedIncident


def paged_incidents(
    state_dir: Path, ticket_url: Callable[[int], str]
) -> list[PagedIncident] | None:
    """The open incidents that were alerted; None when the book cannot be read, so no page is
    resolved for want of it."""
    from .book import load_book
    from .run_pass import STATE_SUBDIR

    book, why = load_book(state_dir / STATE_SUBDIR)
    if why is not None:
        return None
    return [
        PagedIncident(i.key, i.title, i.reports, ticket_url(i.key))
        for i in book.open_incidents()
        if i.alerted_size
    ]
