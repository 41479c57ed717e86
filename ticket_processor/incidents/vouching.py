"""Who an incident's reports come from: the customers the helpdesk vouches for, the addresses
first seen in the burst, and the burst's shape.

An incident wakes people (an alert, a page to the on-call), and it rests on many customers
reporting one fault. Many requesters are cheap to forge: one person writing from many
throw-away addresses makes as many requesters as there are addresses. So a new incident counts
the distinct customers the helpdesk vouches for: one who had a ticket solved before (an agent
answered them: ``Helpdesk.requester_known``, asked once per requester and run, as the spam gate
asks it) or who belongs to an organisation (company). An address with no ticket in the window
before the burst and no such word is *first seen*. A group with fewer than
``policy.min_reports`` vouched customers, or made mostly of first-seen addresses, is suggested
(``policy.suggested_tag`` and a note saying why), never linked, alerted or paged.

The burst's shape is read and said beside it: many first-seen addresses on one domain, or of
one pattern (``x1@mail.test``, ``x2@mail.test``), and near-identical texts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from .book import IncidentBook
from .plan import LinkPlan, PlannedIncident, Sighting, suggest_only
from .policy import IncidentPolicy
from .window import Window

_WORD = re.compile(r"[^\W\d_]+")
_DIGITS = re.compile(r"\d+")
# Two texts whose sets of words overlap this much (Jaccard) are one text sent twice.
NEAR_IDENTICAL = 0.8
# Texts compared pairwise for the shape (the rest are not read: the shape is a description).
SHAPE_TEXTS = 200
# Fewer addresses or texts than this sharing a trait are a coincidence, not a shape.
SHAPE_AT_LEAST = 3


@dataclass
class Customers:
    """The helpdesk's word on requesters, asked at most once per requester in a run (a failed
    or unanswered look-up is no word: the requester is not vouched for)."""

    requester_known: Callable[[int], bool | None]
    _known: dict[int, bool] = field(default_factory=dict)

    def known(self, requester: int) -> bool:
        if requester < 0:  # no requester: the ticket stands alone (``sighting_fields``)
            return False
        if requester not in self._known:
            try:
                self._known[requester] = self.requester_known(requester) is True
            except TicketBotError:
                self._known[requester] = False
        return self._known[requester]

    @property
    def asked(self) -> int:
        return len(self._known)


@dataclass(frozen=True)
class Vouching:
    """A group's requesters as the helpdesk knows them."""

    requesters: int
    vouched: int
    first_seen: int
    shape: tuple[str, ...] = ()

    def links(self, policy: IncidentPolicy) -> bool:
        return self.vouched >= policy.min_reports and 2 * self.first_seen <= self.requesters

    def why(self, policy: IncidentPolicy) -> str:
        said = (
            f"{self.vouched} of its {self.requesters} requesters are customers the helpdesk "
            f"knows (a ticket solved before, an organisation) and {self.first_seen} were "
            f"first seen in this burst; ticketbot links an incident from {policy.min_reports} "
            "known customers, most of its requesters not first seen"
        )
        return f"{said} ({'; '.join(self.shape)})" if self.shape else said


def vouch(
    incident: PlannedIncident,
    sightings: Mapping[int, Sighting],
    window: Window,
    customers: Customers,
    since: int,
) -> Vouching:
    """``since``: the burst's start; a requester with a ticket in the window before it is not
    first seen (though not vouched for)."""
    earlier = set(window.requesters[window.created < since].tolist())
    organisations: dict[int, bool] = {}
    addresses: dict[int, str] = {}
    for ticket_id in incident.members:
        seen = sightings.get(ticket_id)
        if seen is None:
            continue
        organisations[seen.requester] = organisations.get(seen.requester, False) or (
            seen.organization is not None
        )
        if seen.address:
            addresses[seen.requester] = seen.address.lower()
    requesters = list(dict.fromkeys(incident.requesters))
    vouched = {r for r in requesters if organisations.get(r) or customers.known(r)}
    first = [r for r in requesters if r not in earlier and r not in vouched]
    texts = [sightings[t].text for t in incident.members if t in sightings]
    shape = burst_shape([addresses[r] for r in first if r in addresses], texts)
    return Vouching(len(requesters), len(vouched), len(first), tuple(shape))


def burst_shape(addresses: Sequence[str], texts: Sequence[str]) -> list[str]:
    """What the first-seen addresses and the texts share, said in words: one domain or one
    pattern for at least half of the addresses, near-identical texts for at least half (each
    for at least ``SHAPE_AT_LEAST`` of them)."""
    said: list[str] = []
    if len(addresses) >= 2:
        domains = Counter(a.rpartition("@")[2] for a in addresses)
        domain, many = domains.most_common(1)[0]
        if domain and many >= SHAPE_AT_LEAST and 2 * many >= len(addresses):
            said.append(f"{many} first-seen addresses on one domain, {domain}")
        patterns = Counter(_DIGITS.sub("<n>", a) for a in addresses)
        pattern, many = patterns.most_common(1)[0]
        if "<n>" in pattern and many >= SHAPE_AT_LEAST and 2 * many >= len(addresses):
            said.append(f"{many} first-seen addresses of one pattern, {pattern}")
    copies = _near_identical(texts[:SHAPE_TEXTS])
    if copies >= SHAPE_AT_LEAST and 2 * copies >= min(len(texts), SHAPE_TEXTS):
        said.append(f"{copies} near-identical texts")
    return said


def _near_identical(texts: Sequence[str]) -> int:
    """How many texts have another whose words are nearly the same."""
    words = [frozenset(_WORD.findall(t.lower())) for t in texts]
    alike = np.zeros(len(words), np.bool_)
    for i, mine in enumerate(words):
        for j in range(i + 1, len(words)):
            union = len(mine | words[j])
            if union and len(mine & words[j]) / union >= NEAR_IDENTICAL:
                alike[i] = alike[j] = True
    return int(alike.sum())


def hold_unvouched(
    plan: LinkPlan,
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
    judged: Callable[[PlannedIncident], Vouching],
    titles: Callable[[Sequence[int]], str | None] = lambda members: None,
) -> tuple[LinkPlan, list[tuple[PlannedIncident, Vouching]]]:
    """The plan with each new incident too few known customers vouch for suggested instead of
    linked (``Vouching.links``), and every new incident's reading. A known incident (an
    earlier run linked it) is left as it is: its page went out when it was made."""
    readings = {
        index: (incident, judged(incident))
        for index, incident in enumerate(plan.incidents)
        if not incident.known and not incident.suggested
    }
    held = {index: v.why(policy) for index, (_, v) in readings.items() if not v.links(policy)}
    if held:
        plan = suggest_only(plan, facts, policy, titles, held=held)
    return plan, list(readings.values())


def vouched_plan(
    plan: LinkPlan,
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
    sightings: Mapping[int, Sighting],
    window: Window,
    customers: Customers,
    now: int,
    book: IncidentBook,
    log: EventSink,
) -> LinkPlan:
    """``hold_unvouched`` over the run's new incidents, each reading logged
    (``incident_vouched``: requesters, vouched, first seen, the shape, held or not)."""
    since = now - policy.burst_seconds

    def judged(incident: PlannedIncident) -> Vouching:
        return vouch(incident, sightings, window, customers, since)

    plan, readings = hold_unvouched(plan, facts, policy, judged, book.suggested_title)
    for incident, reading in readings:
        log.emit(
            "incident_vouched",
            title=incident.title,
            requesters=reading.requesters,
            vouched=reading.vouched,
            first_seen=reading.first_seen,
            shape=list(reading.shape),
            held=not reading.links(policy),
            asked=customers.asked,
        )
    return plan
