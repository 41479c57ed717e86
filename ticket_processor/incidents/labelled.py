"""The grouping's score on a labelled file (``ticketbot eval --grouping FILE``).

The file is JSON lines, one ticket a line::

    {"id": 17, "subject": "Checkout error 502", "body": "...", "requester": "ana@example.com",
     "created_at": "2026-11-25T10:12:00Z", "status": "open", "group": "checkout-outage"}

``group`` names the tickets that belong together (one incident's reports, or a customer's
ticket and its repeat); null or absent: the ticket stands alone. ``status`` (open or solved)
is optional (open). ``form`` (optional) says how a grouped ticket is written (``short``,
``foreign``): the score gives the share of each form kept with its group. ``request``
(optional) names a burst of requests the ticket is part of
(twenty customers asking how to cancel an order): those tickets stand alone, and the score
counts how many of them an incident took, and how many bursts became incidents (at least
``min_reports`` of their tickets in incidents). The grouping is judged at the last
``created_at`` plus one second: the tickets of the hour before it are the recent ones, the
others the window's baseline. Each incident found and each repeat (with its earlier ticket)
is a predicted group; the scores are the pairs' precision and recall (two tickets in one true
group, and in one predicted group) and, per true group, the share of it kept together (its
largest part inside one predicted group), with their mean.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .fault import FaultHead
from .follow_up import follow_ups
from .grouping import judge
from .policy import IncidentPolicy
from .window import Row, Window


@dataclass
class GroupingScore:
    tickets: int
    true_groups: int
    predicted_groups: int
    pair_precision: float
    pair_recall: float
    kept_together: float  # mean over true groups
    per_group: dict[str, float] = field(default_factory=dict)
    request_tickets: int = 0  # tickets of the file's request bursts
    requests_in_incidents: int = 0  # of those, in an incident
    request_bursts: int = 0
    request_bursts_as_incidents: int = 0
    # Tickets an incident took that are not of the true group most of that incident is.
    others_in_incidents: int = 0
    # Per ``form`` of a true group's tickets (``short``, ``foreign``: how the file labels the
    # reports written in few words or not in English): (kept with the group's largest part, all).
    forms: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _moment(value: object, line: int) -> int:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"line {line}: created_at {value!r} is not an ISO 8601 time") from None
    return int((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def read_labelled(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}, line {number}: not JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("id"), int):
            raise ConfigError(f"{path}, line {number}: an object with an integer id is needed")
        if "created_at" not in row:
            raise ConfigError(f"{path}, line {number}: created_at is missing")
        row["_created"] = _moment(row["created_at"], number)
        rows.append(row)
    if not rows:
        raise ConfigError(f"{path}: no tickets in it")
    return rows


def predict(
    rows: list[dict[str, Any]],
    encode: Callable[[list[str]], Any],
    policy: IncidentPolicy,
    fault: FaultHead | None = None,
    in_incident: set[int] | None = None,
) -> dict[int, int]:
    """Ticket id -> predicted group (a ticket alone is its own group); the tickets the
    incidents took are added to ``in_incident``."""
    window, now = labelled_window(rows, encode)
    parent = {int(t): int(t) for t in window.ids}

    def root(t: int) -> int:
        while parent[t] != t:
            parent[t] = parent[parent[t]]
            t = parent[t]
        return t

    def join(a: int, b: int) -> None:
        parent[root(a)] = root(b)

    for burst in judge(window, now, policy, fault=fault).bursts:
        first = int(window.ids[burst.rows[0]])
        if in_incident is not None:
            in_incident.update(int(window.ids[row]) for row in burst.rows)
        for row in burst.rows[1:]:
            join(int(window.ids[row]), first)
    recent = [i for i in range(len(window)) if window.created[i] >= now - policy.burst_seconds]
    texts = {int(r["id"]): f"{r.get('subject', '')}\n{r.get('body', '')}" for r in rows}
    for repeat in follow_ups(window, recent, policy, texts):
        join(int(window.ids[repeat.row]), int(window.ids[repeat.earlier]))
    return {t: root(t) for t in parent}


def labelled_window(
    rows: list[dict[str, Any]], encode: Callable[[list[str]], Any]
) -> tuple[Window, int]:
    """The window a run would hold after the labelled rows (``read_labelled``), and the moment
    just after the last of them, when the run judges the hour."""
    requesters: dict[str, int] = {}
    window = Window()
    window.add(
        [
            Row(
                r["id"],
                requesters.setdefault(str(r.get("requester", f"#{r['id']}")), len(requesters) + 1),
                r["_created"],
                "",
                r.get("status", "open") not in ("solved", "closed"),
            )
            for r in rows
        ],
        np.asarray(
            encode([f"{r.get('subject', '')}\n{r.get('body', '')}" for r in rows]), np.float32
        ),
    )
    now = max(r["_created"] for r in rows) + 1
    window.baseline_from = min(r["_created"] for r in rows)
    return window, now


def score(
    rows: list[dict[str, Any]],
    predicted: dict[int, int],
    in_incident: Collection[int] = (),
    min_reports: int = IncidentPolicy.min_reports,
) -> GroupingScore:
    truth: dict[str, list[int]] = {}
    for row in rows:
        if row.get("group") is not None:
            truth.setdefault(str(row["group"]), []).append(int(row["id"]))
    true_pairs = {(a, b) for members in truth.values() for a, b in combinations(sorted(members), 2)}
    clusters: dict[int, list[int]] = {}
    for ticket, group in predicted.items():
        clusters.setdefault(group, []).append(ticket)
    predicted_pairs = {
        (a, b) for members in clusters.values() for a, b in combinations(sorted(members), 2)
    }
    hit = len(true_pairs & predicted_pairs)
    per_group, largest = {}, {}
    for name, members in truth.items():
        parts: dict[int, int] = {}
        for ticket in members:
            parts[predicted.get(ticket, -ticket)] = parts.get(predicted.get(ticket, -ticket), 0) + 1
        per_group[name] = max(parts.values()) / len(members)
        largest[name] = max(parts, key=lambda part: parts[part])
    forms: dict[str, tuple[int, int]] = {}
    for row in rows:
        if row.get("form") and row.get("group") is not None:
            kept, count = forms.get(str(row["form"]), (0, 0))
            together = predicted.get(int(row["id"])) == largest[str(row["group"])]
            forms[str(row["form"])] = (kept + together, count + 1)
    # A customer who wrote twice about the outage itself (``reports``) is one of its reports.
    group_of = {int(r["id"]): r.get("reports") or r.get("group") for r in rows}
    others = 0
    for members in clusters.values():
        linked = [group_of.get(t) for t in members if t in in_incident]
        if linked:
            most = max(set(linked), key=lambda g: (linked.count(g), g is not None))
            others += sum(1 for g in linked if g != most or g is None)
    bursts: dict[str, list[int]] = {}
    for row in rows:
        if row.get("request"):
            bursts.setdefault(str(row["request"]), []).append(int(row["id"]))
    taken = {name: sum(t in in_incident for t in members) for name, members in bursts.items()}
    return GroupingScore(
        tickets=len(rows),
        true_groups=len(truth),
        predicted_groups=sum(1 for m in clusters.values() if len(m) > 1),
        pair_precision=hit / len(predicted_pairs) if predicted_pairs else 1.0,
        pair_recall=hit / len(true_pairs) if true_pairs else 1.0,
        kept_together=sum(per_group.values()) / len(per_group) if per_group else 1.0,
        per_group=per_group,
        request_tickets=sum(len(m) for m in bursts.values()),
        requests_in_incidents=sum(taken.values()),
        request_bursts=len(bursts),
        request_bursts_as_incidents=sum(1 for n in taken.values() if n >= min_reports),
        others_in_incidents=others,
        forms=forms,
    )


def evaluate_grouping(
    path: Path,
    encode: Callable[[list[str]], Any],
    policy: IncidentPolicy | None = None,
    fault: FaultHead | None = None,
) -> GroupingScore:
    rows = read_labelled(path)
    policy = policy or IncidentPolicy()
    in_incident: set[int] = set()
    predicted = predict(rows, encode, policy, fault, in_incident)
    return score(rows, predicted, in_incident, policy.min_reports)
