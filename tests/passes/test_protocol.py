"""The pass interface: every pass plans before any writes, every pass writes before any does its
after-write work, each in the order the run lists them; a pass takes part only in the rounds it
overrides."""

from __future__ import annotations

from ticket_processor.passes.protocol import Pass, RunEnd, RunPass, after_writes, plan_and_write
from ticket_processor.passes.types import RunSummary


class Recording(Pass):
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name, self.seen = name, seen

    def plan(self, end: RunEnd) -> None:
        self.seen.append(f"plan {self.name}")

    def write(self, end: RunEnd) -> None:
        self.seen.append(f"write {self.name}")

    def after(self, end: RunEnd) -> None:
        self.seen.append(f"after {self.name}")


class PlansOnly(Pass):
    name = "plans only"

    def __init__(self, seen: list[str]) -> None:
        self.seen = seen

    def plan(self, end: RunEnd) -> None:
        self.seen.append(f"plan {self.name}")


class Sink:
    def __init__(self) -> None:
        self.events: list[str] = []

    def emit(self, event: str, **fields: object) -> dict[str, object]:
        self.events.append(event)
        return {"event": event}


def test_the_rounds_run_in_order_across_the_passes() -> None:
    seen: list[str] = []
    passes: list[RunPass] = [Recording("a", seen), PlansOnly(seen), Recording("b", seen)]
    end = RunEnd("r1", RunSummary(run_id="r1"), Sink())
    plan_and_write(passes, end)
    assert seen == ["plan a", "plan plans only", "plan b", "write a", "write b"]
    after_writes(passes, end)
    assert seen[5:] == ["after a", "after b"]


def test_what_a_pass_is_told_about_the_run() -> None:
    live = RunEnd("r", RunSummary(run_id="r"), Sink())
    assert live.writes
    assert not live.aborted
    assert not RunEnd("r", RunSummary(run_id="r"), Sink(), dry_run=True).writes
    assert not RunEnd("r", RunSummary(run_id="r"), Sink(), shadow=True).writes
    aborted = RunSummary(run_id="r")
    aborted.status = "aborted"
    assert RunEnd("r", aborted, Sink()).aborted
