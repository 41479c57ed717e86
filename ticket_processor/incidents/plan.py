"""Pure: the writes the findings need, checked against the tickets as the helpdesk holds them.

A ticket is left alone when it is gone, solved or closed, already carries ticketbot's tag for
the finding (the write is done: a rerun changes nothing), or carries a link or type an agent
set (Zendesk: any ``type``; Freshdesk: any association): never over an agent's own link.
On Zendesk the earliest eligible report of a new incident becomes the problem; on Freshdesk a
tracker ticket is opened for it (``group`` None until then). A repeat ticket is flagged, or
merged into the earlier one when auto-merge is on and the similarity reaches ``merge_at``.

Routing and priority follow the incident (``policy.follow``): a new incident takes its reports'
most common group and their highest priority (Zendesk: the problem, one of them, takes them with
the others; Freshdesk: the tracker is opened with them), and a report joining a known incident
takes the group and priority of its problem or tracker, unless an agent has assigned the report:
then it keeps its own. A value the source does not have is not copied.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from ..helpdesks.registry import incident_linking
from .grouping import Findings, Reading, Repeat
from .policy import IncidentPolicy
from .window import Row, Window

DONE_STATUSES = ("solved", "closed", 4, 5)  # Zendesk's names, Freshdesk's numbers
FOLLOWED = {"group": "group_id", "priority": "priority"}  # policy.follow -> the ticket's field
_RANK = {"low": 1, "normal": 2, "high": 3, "urgent": 4}  # Zendesk's names; Freshdesk's 1-4


@dataclass(frozen=True)
class Sighting:
    """A ticket this run triaged, as the grouping sees it (the subject redacted)."""

    ticket_id: int
    subject: str
    text: str  # prepared subject and body: what the encoder reads
    requester: int
    created: int
    category: str
    open: bool
    subcategory: str | None = None
    fault: bool | None = None  # the LLM's view: reports a fault (True) or asks (False); None: none
    # Who the helpdesk says wrote it (``vouching``): the sender's address where it shows one,
    # and the requester's organisation (company), a customer the team knows.
    address: str | None = None
    organization: int | None = None

    @property
    def key(self) -> str:
        """The category, or ``category/subcategory``: what the window remembers."""
        return f"{self.category}/{self.subcategory}" if self.subcategory else self.category

    def row(self) -> Row:
        """The ticket as the window keeps it, with the LLM's view."""
        return Row(
            self.ticket_id, self.requester, self.created, self.key, self.open,
            Row.view_of(self.fault),
        )  # fmt: skip


@dataclass
class PlannedIncident:
    key: int | None  # the known or chosen group ticket; None: a tracker to open
    known: bool
    title: str
    members: list[int]  # every member after this run
    requesters: list[int]
    first_seen: int
    subjects: list[str]
    centre: npt.NDArray[np.int8]
    reading: Reading | None = None
    new_members: list[int] = field(default_factory=list)
    routing: dict[str, Any] = field(default_factory=dict)  # what its reports take (FOLLOWED)
    # Suggest-only (``suggest_only``): its reports are tagged and noted, never linked, and no
    # group ticket is opened for it, even when a later run finds it again with nothing to write.
    suggested: bool = False
    why: str = ""  # why it is only suggested, when not for want of history (``vouching``)


@dataclass(frozen=True)
class LinkWrite:
    action: str  # problem | member | suggest | flag | merge
    ticket_id: int
    incident: int = -1  # index in ``LinkPlan.incidents``; -1 for a repeat
    earlier: int | None = None
    similarity: float = 0.0
    routing: dict[str, Any] = field(default_factory=dict)  # the values the link sets
    routing_before: dict[str, Any] = field(default_factory=dict)  # what they were (revert)


class LinkOps(Protocol):
    """The link writes of a helpdesk (``helpdesks/<kind>/links.py``)."""

    kind: str
    opens_group: bool

    def facts(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]: ...

    def write(
        self,
        action: str,
        ticket_id: int,
        *,
        group: int | None,
        note: str,
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        routing: Mapping[str, Any] | None = None,
    ) -> None: ...

    def open_group(
        self,
        subject: str,
        note: str,
        members: Sequence[int],
        routing: Mapping[str, Any],
        tags: Sequence[str] = (),
    ) -> int: ...

    def close_group(self, group: int) -> None: ...

    def merge(self, target: int, source: int, note: str) -> None: ...

    def has_note(self, ticket_id: int, marker: str) -> bool: ...

    def priority_name(self, value: Any) -> str | None:
        """A priority as ``facts`` reads it (the helpdesk's own value), by its name."""
        ...


@dataclass
class LinkPlan:
    incidents: list[PlannedIncident] = field(default_factory=list)
    writes: list[LinkWrite] = field(default_factory=list)
    kept: list[tuple[int, str]] = field(default_factory=list)  # (ticket, why left alone)


def typed_links(kind: str) -> bool:
    """Whether the kind called ``kind`` links a report by the ticket's own type (an incident of
    a problem ticket, the earliest report promoted to the problem: ``IncidentLinking``), not by
    an association with a group ticket opened for it."""
    linking = incident_linking(kind)
    return linking is not None and linking.problem_type


def _done(facts: Mapping[str, Any] | None) -> bool:
    return facts is None or facts.get("status") in DONE_STATUSES


def plan_links(
    window: Window,
    findings: Findings,
    repeats: Sequence[Repeat],
    sightings: Mapping[int, Sighting],
    known: Mapping[int, Any],
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
    *,
    kind: str,
    opened: frozenset[int] = frozenset(),
) -> LinkPlan:
    """``known``: key -> book.Incident (title, members, requesters, first_seen, subjects);
    ``opened``: the tracker tickets ticketbot opened (a report linked to one is ours); ``kind``
    the helpdesk's, whose ``IncidentLinking`` says whether a report becomes the problem."""
    plan = LinkPlan()
    promotes = typed_links(kind)

    def eligible(ticket_id: int, group: int | None) -> bool:
        found = facts.get(ticket_id)
        if _done(found):
            return False
        assert found is not None
        if policy.incident_tag in found["tags"] or policy.problem_tag in found["tags"]:
            return False  # done by an earlier run
        if found.get("type") is not None:
            if group is not None and found.get("group") == group:
                return True  # linked to our group, its tags and note not written yet
            plan.kept.append((ticket_id, f"an agent's own link or type ({found['type']})"))
            return False
        return True

    for burst in findings.bursts:
        rows = sorted(burst.rows, key=lambda r: (int(window.created[r]), int(window.ids[r])))
        ids = [int(window.ids[r]) for r in rows]
        adopted = _ours(ids, facts, policy, promotes, opened)
        chosen = [t for t in ids if eligible(t, adopted)]
        done = [t for t in ids if _done_by_us(facts.get(t), policy)]
        if not chosen or len(chosen) + len(done) < policy.min_reports:
            continue
        members = [t for t in ids if t in chosen or t in done]
        title = next((sightings[t].subject for t in members if t in sightings), f"#{members[0]}")
        key = adopted if adopted is not None else (chosen[0] if promotes else None)
        incident = PlannedIncident(
            key=key,
            known=adopted is not None,
            title=title,
            members=members,
            requesters=[int(window.requesters[r]) for r in rows if int(window.ids[r]) in members],
            first_seen=min(int(window.created[r]) for r in rows),
            subjects=[sightings[t].subject for t in members if t in sightings][:3],
            centre=burst.centre[0] if burst.centre.ndim == 2 else burst.centre,
            reading=burst.reading,
            new_members=chosen,
            # A new incident's routing is its reports' (the problem, on Zendesk, is one of
            # them, and takes it too); a known one's is its group ticket's.
            routing=_routing(policy, facts, adopted, members),
        )
        index = len(plan.incidents)
        plan.incidents.append(incident)
        for ticket_id in chosen:
            problem = promotes and adopted is None and ticket_id == key
            action = "problem" if problem else "member"
            plan.writes.append(_member(ticket_id, index, incident.routing, facts, action))
    for key, rows in findings.joins.items():
        before = known.get(key)
        if before is None or _done(facts.get(key)):
            continue
        ids = [int(window.ids[r]) for r in rows]
        chosen = [t for t in ids if eligible(t, key)]
        if not chosen:
            continue
        index = len(plan.incidents)
        plan.incidents.append(
            PlannedIncident(
                key=key,
                known=True,
                title=before.title,
                members=[*before.members, *chosen],
                requesters=[
                    *before.requesters,
                    *(int(window.requesters[r]) for r in rows if int(window.ids[r]) in chosen),
                ],
                first_seen=before.first_seen,
                subjects=list(before.subjects),
                centre=before.centre_vector(),
                new_members=chosen,
                routing=_routing(policy, facts, key, chosen),
            )
        )
        routing = plan.incidents[-1].routing
        plan.writes.extend(_member(t, index, routing, facts) for t in chosen)
    _plan_repeats(plan, window, repeats, facts, policy)
    return plan


def suggest_only(
    plan: LinkPlan,
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
    titles: Callable[[Sequence[int]], str | None] = lambda members: None,
    *,
    held: Mapping[int, str] | None = None,
) -> LinkPlan:
    """The plan on a helpdesk with too little history to link (``policy.link_after``): each
    incident's reports tagged ``suggested_tag`` with a note naming the others, no group ticket,
    no link, no group or priority taken; a report an earlier run suggested is not written
    again. Repeat tickets are the requester's own and are flagged as ever. ``titles``: the
    title an earlier run gave the suggestion over some of these reports (the book's), which
    a suggestion found again keeps: its late reports' notes name the outage as its first
    ones do, not by a late report's own subject. ``held``: only these incidents (by index),
    each with why it is suggested; the others are left as they are."""
    writes: list[LinkWrite] = []
    for write in plan.writes:
        if write.incident < 0 or (held is not None and write.incident not in held):
            writes.append(write)
            continue
        tags = (facts.get(write.ticket_id) or {}).get("tags") or ()
        if policy.suggested_tag not in tags:
            writes.append(LinkWrite("suggest", write.ticket_id, write.incident))
    incidents = [
        replace(
            i,
            key=None,
            known=False,
            routing={},
            suggested=True,
            title=titles(i.members) or i.title,
            why=(held or {}).get(index, ""),
        )
        if held is None or index in held
        else i
        for index, i in enumerate(plan.incidents)
    ]
    return LinkPlan(incidents, writes, plan.kept)


def _plan_repeats(
    plan: LinkPlan,
    window: Window,
    repeats: Sequence[Repeat],
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
) -> None:
    """A flag (or, with auto-merge at ``merge_at``, a merge) for each repeat still open and
    not flagged or merged yet."""
    for repeat in repeats:
        ticket_id, earlier = int(window.ids[repeat.row]), int(window.ids[repeat.earlier])
        found, before = facts.get(ticket_id), facts.get(earlier)
        if _done(found) or _done(before):
            continue
        assert found is not None
        if policy.duplicate_tag in found["tags"] or policy.merged_tag in found["tags"]:
            continue
        merge = policy.auto_merge and repeat.similarity >= policy.merge_at
        plan.writes.append(
            LinkWrite(
                "merge" if merge else "flag",
                ticket_id,
                earlier=earlier,
                similarity=repeat.similarity,
            )
        )


def _routing(
    policy: IncidentPolicy,
    facts: Mapping[int, Mapping[str, Any]],
    key: int | None,
    members: Sequence[int],
) -> dict[str, Any]:
    """The group and priority an incident's reports follow: its problem's or tracker's when it
    is read, else (a tracker still to open) its reports' most common group and top priority."""
    fields = [FOLLOWED[name] for name in policy.follow if name in FOLLOWED]
    source = facts.get(key) if key is not None else None
    if source is not None:
        return {f: source[f] for f in fields if source.get(f) is not None}
    found = [facts[t] for t in members if t in facts]
    routing: dict[str, Any] = {}
    groups = [f["group_id"] for f in found if f.get("group_id") is not None]
    if "group_id" in fields and groups:
        routing["group_id"] = max(groups, key=groups.count)  # the first of the most common
    priorities = [f["priority"] for f in found if f.get("priority") is not None]
    if "priority" in fields and priorities:
        routing["priority"] = max(
            priorities, key=lambda p: _RANK.get(p, p) if isinstance(p, str) else p
        )
    return routing


def _member(
    ticket_id: int,
    index: int,
    routing: Mapping[str, Any],
    facts: Mapping[int, Mapping[str, Any]],
    action: str = "member",
) -> LinkWrite:
    """A report's link (``problem``: the report made the problem), with the routing it takes:
    none when an agent has assigned it."""
    found = facts.get(ticket_id) or {}
    if found.get("assignee") is not None:
        return LinkWrite(action, ticket_id, index)
    change = {f: v for f, v in routing.items() if found.get(f) != v}
    before = {f: found.get(f) for f in change}
    return LinkWrite(action, ticket_id, index, routing=change, routing_before=before)


def _done_by_us(found: Mapping[str, Any] | None, policy: IncidentPolicy) -> bool:
    tags = (found or {}).get("tags") or []
    return policy.incident_tag in tags or policy.problem_tag in tags


def _ours(
    ids: Sequence[int],
    facts: Mapping[int, Mapping[str, Any]],
    policy: IncidentPolicy,
    promotes: bool,
    opened: frozenset[int],
) -> int | None:
    """The group an earlier, interrupted run already linked some of these reports to."""
    for ticket_id in ids:
        found = facts.get(ticket_id) or {}
        if found.get("group") in opened:
            return int(found["group"])
        tags = found.get("tags") or []
        if promotes and policy.problem_tag in tags and found.get("type") == "problem":
            return ticket_id
        if policy.incident_tag in tags and found.get("group") is not None:
            return int(found["group"])
    return None


def fact_ids(window: Window, findings: Findings, repeats: Sequence[Repeat]) -> list[int]:
    """Every ticket whose current state the plan needs (one read of them all)."""
    ids: list[int] = []
    for burst in findings.bursts:
        ids.extend(int(window.ids[r]) for r in burst.rows)
    for key, rows in findings.joins.items():
        ids.append(key)
        ids.extend(int(window.ids[r]) for r in rows)
    for repeat in repeats:
        ids.extend((int(window.ids[repeat.row]), int(window.ids[repeat.earlier])))
    return list(dict.fromkeys(ids))
