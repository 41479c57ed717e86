"""``report`` counts the tickets ``ticketbot serve`` triaged; a server's session is not one of
the scheduled runs (the schedule's health and success rate never hear of it)."""

from __future__ import annotations

from typing import Any

from ticket_processor.report.aggregate import build_report
from ticket_processor.report.runs import summarise_runs


def event(name: str, run_id: str, ts: str, **fields: Any) -> dict[str, Any]:
    return {"event": name, "run_id": run_id, "ts": ts, **fields}


def triaged(run_id: str, ticket_id: int, **fields: Any) -> dict[str, Any]:
    return event(
        "ticket_triaged",
        run_id,
        "2026-11-25T04:01:00Z",
        ticket_id=ticket_id,
        engine="rules",
        category="billing",
        **fields,
    )


EVENTS = [
    event("run_started", "cron", "2026-11-25T04:00:00Z"),
    triaged("cron", 1),
    event("run_finished", "cron", "2026-11-25T04:02:00Z", status="ok", triaged=1),
    event("run_started", "srv", "2026-11-25T04:00:00Z", source="serve", served=True),
    triaged("srv", 2, source="serve"),
    triaged("srv", 3, source="serve"),
    event("run_finished", "srv", "2026-11-25T04:09:00Z", status="ok", triaged=2, source="serve"),
]


def test_served_tickets_are_counted_and_the_session_is_not_a_run() -> None:
    report = build_report(EVENTS)
    assert report.tickets_triaged == 3
    assert report.served == 2
    assert report.runs == 1
    assert [run.run_id for run in summarise_runs(EVENTS)] == ["cron"]
    assert report.to_dict()["served"] == 2
