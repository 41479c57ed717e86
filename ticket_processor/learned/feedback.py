"""Agents' corrections as a quality figure: how often agents changed what ticketbot wrote.

Over solved tickets ticketbot triaged, each pair is what ticketbot wrote (from its note,
``labels.written_labels``) and the labels the ticket carries now (``labels.labels_from_tags``).
Per field: how many were compared, how many changed, and per value ticketbot chose the most
common replacements, e.g. ``bug → how_to`` 12 times. No labelling needed. Pure, no I/O.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

AGREEMENT_FIELDS = ("category", "urgency")


@dataclass(frozen=True)
class TriagePair:
    written: Mapping[str, str]  # what ticketbot wrote
    final: Mapping[str, str]  # the labels on the solved ticket now


@dataclass
class FieldAgreement:
    compared: int = 0
    changed: int = 0
    # corrections[written][final] = count, only where they differ
    corrections: dict[str, Counter[str]] = field(default_factory=dict)
    compared_by_value: Counter[str] = field(default_factory=Counter)

    @property
    def agreement(self) -> float | None:
        """Share of compared tickets agents left as ticketbot wrote them."""
        return None if not self.compared else 1 - self.changed / self.compared

    def most_common(self, written: str, n: int = 3) -> list[tuple[str, int]]:
        return self.corrections.get(written, Counter()).most_common(n)


@dataclass
class CorrectionStats:
    tickets: int = 0
    fields: dict[str, FieldAgreement] = field(default_factory=dict)


def agreement(
    pairs: Iterable[TriagePair], fields: Iterable[str] = AGREEMENT_FIELDS
) -> CorrectionStats:
    """Count, per field, tickets where both sides have a value and how many agents changed."""
    names = tuple(fields)
    stats = CorrectionStats(fields={name: FieldAgreement() for name in names})
    for pair in pairs:
        stats.tickets += 1
        for name in names:
            written, final = pair.written.get(name), pair.final.get(name)
            if written is None or final is None:
                continue
            entry = stats.fields[name]
            entry.compared += 1
            entry.compared_by_value[written] += 1
            if final != written:
                entry.changed += 1
                entry.corrections.setdefault(written, Counter())[final] += 1
    return stats
