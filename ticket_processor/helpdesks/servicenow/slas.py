"""ServiceNow's service levels as the SLA feature reads them (``HelpdeskKind.slas``), through
the Table API:

- ``task_sla``: one record per SLA definition attached to a task (``task``, ``sla``,
  ``stage`` in_progress / paused / achieved / breached / completed / cancelled,
  ``planned_end_time`` when it breaches, ``has_breached``, ``business_percentage``,
  ``start_time`` / ``end_time``), the running ones (``active=true``) and those of the history
  window (``sys_created_on`` since), 1,000 a page;
- ``contract_sla``: each definition's ``target`` (response: the first reply; resolution),
  ``duration`` and ``schedule``;
- ``cmn_schedule`` and ``cmn_schedule_span``: the first response definition's schedule, its
  ``time_zone``, its weekly spans (``days_of_week`` 1 Monday ... 7 Sunday,
  ``start_date_time`` / ``end_date_time`` as ``20260105T080000``) and its excluded days
  (``type=exclude``: holidays);
- the tasks themselves (``sys_idIN``, 100 a request): number, assignment group, priority,
  state (a response met on a task still open is shown as met);
- ``label_entry`` (the tags) of the tasks whose clocks are due within a day, soonest first,
  100 tasks a request within the budget left: whether the at-risk tag was there before.

ServiceNow starts and cancels SLA definitions on conditions (a priority among them): a new
priority can cancel the running ``task_sla`` and start a shorter one, so no target per
priority is offered here and ticketbot never moves a ServiceNow priority for a service level.
The agents at work per group are Advanced Work Assignment's presence (``awa_agent_presence``
shown ``Available``) joined to the groups' members (``sys_user_grmember``), the assignment's
reader; an instance without AWA presence says nothing of who is at work: unknown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from ...models import Helpdesk
from ..sla import Clock, FirstReply, SlaRead
from .adapter import ServiceNowHelpdesk
from .business_hours import read_schedule as _schedule
from .records import glide, number_digits, status_of, sys_int
from .staffing import agents_at_work

STAGES = {
    "in_progress": "active",
    "paused": "paused",
    "achieved": "achieved",
    "completed": "achieved",
    "breached": "breached",
}
SLA_FIELDS = (
    "sys_id,task,sla,stage,planned_end_time,has_breached,business_percentage,start_time,"
    "end_time,active,sys_updated_on"
)
TASK_FIELDS = (
    "sys_id,number,assignment_group,priority,state,hold_reason,short_description,sys_updated_on"
)
PAGE = 1000
TASKS_A_REQUEST = 100
LABELS_WITHIN = 86400  # the clocks whose tasks' labels are read: due within a day
PRIORITY = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}


def _seconds(value: object) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _task_slas(http: Any, query: str, budget: int) -> tuple[list[dict[str, Any]], int, bool]:
    """The ``task_sla`` rows ``query`` matches, a page at a time within ``budget`` requests:
    the rows, the requests taken, whether every row was read."""
    rows: list[dict[str, Any]] = []
    requests = 0
    for row in http.every("task_sla", query, SLA_FIELDS, page=PAGE):
        rows.append(row)
        if len(rows) % PAGE == 0:
            requests += 1
            if requests >= budget:
                return rows, requests, False
    return rows, requests + 1, True


def _changed_since(
    http: Any, table: str, after: str, budget: int
) -> tuple[list[dict[str, Any]], int, bool]:
    """What changed since ``after`` (a Glide time, whole seconds, inclusive: the records of
    its second come again, one changed in that second after the last read is not missed): the
    ``task_sla`` rows updated since and those of the tasks updated since; the requests taken,
    whether all was read."""
    rows, requests, complete = _task_slas(
        http, f"sys_updated_on>={after}^ORDERBYsys_updated_on", budget
    )
    tasks = list(http.every(table, f"sys_updated_on>={after}", "sys_id", page=PAGE))
    requests += len(tasks) // PAGE + 1
    known = {str(r.get("task")) for r in rows}
    wanted = sorted({str(t.get("sys_id")) for t in tasks} - known)
    for start in range(0, len(wanted), TASKS_A_REQUEST):
        chunk = ",".join(wanted[start : start + TASKS_A_REQUEST])
        more, asked, whole = _task_slas(http, f"taskIN{chunk}", budget - requests)
        rows, requests, complete = rows + more, requests + asked, complete and whole
    return rows, requests, complete


def _position(
    after: str, rows: list[dict[str, Any]], tasks: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """Where the next read starts: the latest change seen."""
    records = [*rows, *tasks.values()]
    return {"updated_after": max([after, *(str(r.get("sys_updated_on") or "") for r in records)])}


def read_slas(
    helpdesk: Helpdesk,
    *,
    now: float,
    history_since: float,
    max_requests: int,
    since: Mapping[str, Any] | None = None,
) -> SlaRead:
    if not isinstance(helpdesk, ServiceNowHelpdesk):
        raise TypeError("the ServiceNow SLA read needs the ServiceNow adapter")
    http, table = helpdesk.http, helpdesk.table
    definitions = {
        str(row.get("sys_id")): row
        for row in http.every("contract_sla", "active=true", "sys_id,name,target,duration,schedule")
    }
    after = since.get("updated_after") if since else None
    incremental = isinstance(after, str) and _seconds(after) is not None
    if incremental:
        rows, asked_rows, complete = _changed_since(http, table, str(after), max_requests // 2)
    else:
        query = f"active=true^ORsys_created_on>={glide(history_since)}^ORDERBYsys_created_on"
        rows, asked_rows, complete = _task_slas(http, query, max_requests // 2 - 1)
    requests = 1 + asked_rows
    task_ids = sorted({str(row.get("task")) for row in rows if row.get("task")})
    tasks: dict[str, dict[str, Any]] = {}
    for start in range(0, len(task_ids), TASKS_A_REQUEST):
        chunk = ",".join(task_ids[start : start + TASKS_A_REQUEST])
        params = {"sysparm_query": f"sys_idIN{chunk}", "sysparm_fields": TASK_FIELDS,
                  "sysparm_exclude_reference_link": "true"}  # fmt: skip
        for task in http.rows(table, params):
            tasks[str(task.get("sys_id"))] = task
        requests += 1
    response = [d for d in definitions.values() if d.get("target") == "response"]
    schedule_id = next((str(d["schedule"]) for d in response if d.get("schedule")), "")
    schedule = _schedule(http, schedule_id) if schedule_id else None
    requests += 2 if schedule_id else 0
    at_work, asked_presence = agents_at_work(http, max(2, max_requests // 10))
    requests += asked_presence
    clocks, history = _clocks_and_history(rows, tasks, definitions, history_since, table)
    clocks, asked = _with_labels(helpdesk, clocks, tasks, now, max_requests - requests)
    notes = [] if complete else ["the SLA read stopped at its request budget"]
    changed = frozenset(n for t in tasks.values() if (n := number_digits(t.get("number"))))
    return SlaRead(
        clocks, history, schedule, at_work, requests + asked, complete, notes,
        _position(str(after) if incremental else glide(history_since), rows, tasks),
        changed if incremental else None,
    )  # fmt: skip


def _with_labels(
    helpdesk: ServiceNowHelpdesk,
    clocks: list[Clock],
    tasks: dict[str, dict[str, Any]],
    now: float,
    budget: int,
) -> tuple[list[Clock], int]:
    """The clocks due within ``LABELS_WITHIN`` with their tasks' labels (the tags: whether a
    person set the at-risk tag), soonest first, a hundred tasks a request within ``budget``."""
    sys_ids = {number_digits(t.get("number")): str(t.get("sys_id")) for t in tasks.values()}
    soon = sorted(
        (c for c in clocks if c.breach_at is not None and c.breach_at <= now + LABELS_WITHIN),
        key=lambda c: c.breach_at or 0.0,
    )
    wanted = list(dict.fromkeys(sys_ids[c.ticket_id] for c in soon if c.ticket_id in sys_ids))
    wanted = wanted[: max(0, budget) * TASKS_A_REQUEST]
    labels = helpdesk.labels.of(wanted) if wanted else {}
    found = [replace(c, tags=labels.get(sys_ids.get(c.ticket_id, ""), c.tags)) for c in clocks]
    return found, -(-len(wanted) // TASKS_A_REQUEST)


def _clocks_and_history(
    rows: list[dict[str, Any]],
    tasks: dict[str, dict[str, Any]],
    definitions: dict[str, dict[str, Any]],
    history_since: float,
    table: str,
) -> tuple[list[Clock], list[FirstReply]]:
    clocks: list[Clock] = []
    history: list[FirstReply] = []
    for row in rows:
        task = tasks.get(str(row.get("task")))
        definition = definitions.get(str(row.get("sla")), {})
        ticket_id = number_digits(task.get("number")) if task else None
        if task is None or ticket_id is None:
            continue
        metric = "first_reply" if definition.get("target") == "response" else "resolution"
        stage = STAGES.get(str(row.get("stage")), "")
        group = sys_int(task.get("assignment_group"))
        started = _seconds(row.get("start_time"))
        breached = str(row.get("has_breached")) == "true"
        running = str(row.get("active")) == "true"
        # A response met on a task still open: shown as met (the pass takes its tag off).
        met_open = stage == "achieved" and status_of(table, task) not in ("solved", "closed")
        if stage and (running or met_open):
            clocks.append(
                Clock(
                    ticket_id=ticket_id,
                    metric=metric,
                    stage="breached" if breached and stage == "active" else stage,
                    breach_at=_seconds(row.get("planned_end_time")),
                    business_hours=bool(definition.get("schedule")),
                    group_id=group,
                    priority=PRIORITY.get(str(task.get("priority"))),
                    subject=str(task.get("short_description") or ""),
                    started_at=started,
                )
            )
        if metric == "first_reply" and started is not None and started >= history_since:
            # A running one is a wait so far, as the other helpdesks' open tickets are.
            answered = None if running else _seconds(row.get("end_time"))
            due = _seconds(row.get("planned_end_time"))
            history.append(FirstReply(group, started, answered, breached, due, ticket_id))
    return clocks, history
