"""Walking the places (``places.PLACES``) for one person: each place's handler finds their
traces (``traces``, the audit store's ``audit``) and, asked to, removes them."""

from __future__ import annotations

from collections.abc import Iterator

from .audit import visit_audit
from .places import Place
from .traces import Trace, Where, Who, cache, counted, json_file, jsonl, logs, sqlite, window


def visit(place: Place, where: Where, who: Who, *, erase: bool) -> Trace:
    """What ``place`` holds of ``who``; removed too with ``erase``."""
    trace = Trace(place.path)
    if place.handler == "audit":
        visit_audit(place, where, who, erase=erase, trace=trace)
        return trace
    if place.handler == "logs":
        if where.log_dir.is_dir():
            logs(where.log_dir, who, erase, trace)
        return trace
    path = where.state_dir / place.path
    if not path.is_file():
        return trace
    handlers = {"json": json_file, "jsonl": jsonl, "cache": cache, "window": window}
    if place.handler in handlers:
        handlers[place.handler](path, who, erase, trace)
    elif place.handler == "sqlite":
        sqlite(path, place, who, erase, trace)
    elif place.visit is not None:
        counted(path, who, erase, trace, place.visit)
    return trace


def every_place(
    places: tuple[Place, ...], where: Where, who: Who, *, erase: bool
) -> Iterator[Trace]:
    for place in places:
        if place.handler != "people":
            yield visit(place, where, who, erase=erase)
