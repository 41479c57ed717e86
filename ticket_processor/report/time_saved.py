"""Agents' time ticketbot saved: counted work times the seconds each piece is assumed to save.

    saved = triaged × per triage + suggestions kept × per suggestion + answers sent × per answer

- *triaged*: tickets a real run triaged and wrote (shadow and dry runs wrote nothing, so they
  saved nothing);
- *suggestions kept*: what an agent used of ticketbot's work, as the report already counts it —
  a field ticketbot set or suggested that agents left as it was on a solved ticket (the
  agreement rows), and an answer draft an agent sent on (the drafts used);
- *answers sent*: public replies ticketbot sent to customers.

The three seconds are settings (``TICKETBOT_SAVED_SECONDS_PER_TRIAGE``, ``..._PER_SUGGESTION``,
``..._PER_ANSWER``): assumptions a team replaces with its own handling times, not measurements;
the report prints them beside the figure. ``aggregate.with_time_saved`` counts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TimeSaved:
    """The counts, the seconds each is assumed to save, and the sum."""

    triaged: int
    suggestions_kept: int
    answers_sent: int
    per_triage: float
    per_suggestion: float
    per_answer: float

    @property
    def seconds(self) -> float:
        return (
            self.triaged * self.per_triage
            + self.suggestions_kept * self.per_suggestion
            + self.answers_sent * self.per_answer
        )

    def formula(self) -> str:
        """``12 triaged × 30 s + 5 suggestions kept × 10 s + 2 answers sent × 120 s``."""
        return " + ".join(
            f"{fmt_count(n)} {what} × {_plain(s)} s"
            for n, what, s in (
                (self.triaged, "triaged", self.per_triage),
                (self.suggestions_kept, "suggestions kept", self.per_suggestion),
                (self.answers_sent, "answers sent", self.per_answer),
            )
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "triaged": self.triaged,
            "suggestions_kept": self.suggestions_kept,
            "answers_sent": self.answers_sent,
            "seconds_per_triage": self.per_triage,
            "seconds_per_suggestion": self.per_suggestion,
            "seconds_per_answer": self.per_answer,
            "seconds": self.seconds,
            "formula": self.formula(),
        }


def fmt_count(value: int) -> str:
    return f"{value:,}"


def _plain(seconds: float) -> str:
    return f"{seconds:g}"


def fmt_duration(seconds: float) -> str:
    """``2 h 05 min``, ``4 min 30 s``, ``45 s``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{fmt_count(hours)} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"
