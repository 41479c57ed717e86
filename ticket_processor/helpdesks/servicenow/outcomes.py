"""How ServiceNow's records ended, for the risk head and the customers' ratings
(``Helpdesk.outcomes``): an incident's ``reopen_count`` (how often a caller or an agent reopened
it after it was resolved), for the incidents resolved or closed since a time, and the customer's
satisfaction where the instance runs surveys: each completed survey instance
(``asmt_assessment_instance``, ``state=complete``) whose ``trigger_table`` is ticketbot's table
names the record in ``trigger_id``; its answers (``asmt_metric_result.actual_value``, on the
survey's 1-5 scale) average to ``good`` (4 or more), ``bad`` (2 or less) or neutral (said of no
one); an instance without the Surveys application (its Table API says "Invalid table") or a
user without the role to read them has none. ServiceNow keeps no escalation flag ticketbot
reads; a case has no reopen count."""

from __future__ import annotations

from ...errors import AuthError, NotFoundError, RecordInvalidError
from ...models import TicketOutcome
from .records import glide, number_digits
from .wire import ServiceNowTransport

SURVEYS = "asmt_assessment_instance"
ANSWERS = "asmt_metric_result"
CHUNK = 100  # sys_ids in one IN query
GOOD, BAD = 4.0, 2.0


def outcomes(http: ServiceNowTransport, table: str, since: int) -> dict[int, TicketOutcome]:
    reopens: dict[int, int] = {}
    if table == "incident":
        query = f"stateIN6,7^reopen_count>0^sys_updated_on>={glide(since)}^ORDERBYsys_updated_on"
        for row in http.every("incident", query, "number,reopen_count"):
            ticket_id = number_digits(row.get("number"))
            try:
                count = int(str(row.get("reopen_count") or "0"))
            except ValueError:
                continue
            if ticket_id is not None and count > 0:
                reopens[ticket_id] = count
    try:
        rated = satisfaction(http, table, since)
    except (RecordInvalidError, AuthError, NotFoundError):
        # No Surveys application ("Invalid table"), or no role to read it: no ratings here.
        rated = {}
    return {
        ticket_id: TicketOutcome(rated.get(ticket_id), reopens.get(ticket_id, 0))
        for ticket_id in {*reopens, *rated}
    }


def satisfaction(http: ServiceNowTransport, table: str, since: int) -> dict[int, str]:
    """``good`` or ``bad`` per record whose survey was completed since ``since``."""
    query = (
        f"state=complete^trigger_table={table}^sys_updated_on>={glide(since)}^ORDERBYsys_updated_on"
    )
    surveys = {
        str(row["sys_id"]): str(row["trigger_id"])
        for row in http.every(SURVEYS, query, "sys_id,trigger_id")
        if row.get("sys_id") and row.get("trigger_id")
    }
    values: dict[str, list[float]] = {}
    for chunk in _chunks(sorted(surveys)):
        for row in http.every(ANSWERS, f"instanceIN{','.join(chunk)}", "instance,actual_value"):
            try:
                values.setdefault(str(row.get("instance")), []).append(
                    float(str(row.get("actual_value")))
                )
            except ValueError:
                continue
    scores: dict[str, str] = {}
    for survey, answers in values.items():
        mean = sum(answers) / len(answers)
        if survey in surveys and (mean >= GOOD or mean <= BAD):
            scores[surveys[survey]] = "good" if mean >= GOOD else "bad"
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(scores)):
        for row in http.every(table, f"sys_idIN{','.join(chunk)}", "sys_id,number"):
            ticket_id = number_digits(row.get("number"))
            if ticket_id is not None and str(row.get("sys_id")) in scores:
                found[ticket_id] = scores[str(row["sys_id"])]
    return found


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
