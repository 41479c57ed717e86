"""The judgements running in a cautious mode, and why: what a team's first days are told.

A judgement that knows too little to act on its own (an incident test with no week of the
helpdesk's history behind it, a gate with no calibration yet) still runs, in a mode that only
suggests, and says so: it hands the run one ``Caution`` (``say``), which the run's summary
keeps by judgement (``RunSummary.cautions``). The summary line names them
(``commands.render.summary_line``), ``last_run.json`` keeps them with the rest of the summary,
and ``ticketbot health`` reads them from there (``ops.health_verdicts.caution_check``): one
mechanism, whatever the judgement.

A caution about a state (the answers' ladder, the incidents' days of history) is said from that
state on every run, a quiet one too, so health does not lose it after a run with nothing new;
one about events (the spam gate's known customers) says the span it counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .types import RunSummary


@dataclass(frozen=True)
class Caution:
    """A judgement in a cautious mode: which (``incidents``), the mode (``suggest-only``), until
    when (``until 7 days of history``) and why, in words a person can act on."""

    judgement: str
    mode: str
    until: str
    why: str

    def text(self) -> str:
        """``suggest-only until 7 days of history (the helpdesk has 2.5 days)``."""
        return f"{self.mode} {self.until} ({self.why})"


def say(summary: RunSummary, caution: Caution) -> None:
    """Put the judgement's caution in the run's summary (one a judgement: the last said)."""
    summary.cautions[caution.judgement] = caution.text()


def quoted(line: str) -> str:
    """The summary line's ``cautious="…"``: always double quotes, as the docs show them (a
    ``repr`` picks single or double by whether the text holds an apostrophe)."""
    return '"' + line.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cautions_line(cautions: Mapping[str, str]) -> str:
    """``incidents: suggest-only until 7 days of history (...); answers: ...``."""
    return "; ".join(f"{name}: {text}" for name, text in sorted(cautions.items()))
