"""How ServiceNow's records ended, for the risk head (``Helpdesk.outcomes``): an incident's
``reopen_count`` (how often a caller or an agent reopened it after it was resolved), for the
incidents resolved or closed since a time. ServiceNow keeps no satisfaction rating on the
record (surveys are their own application) and no escalation flag ticketbot reads; a case
has no reopen count: nothing is said of cases."""

from __future__ import annotations

from ...models import TicketOutcome
from .records import glide, number_digits
from .wire import ServiceNowTransport


def outcomes(http: ServiceNowTransport, table: str, since: int) -> dict[int, TicketOutcome]:
    if table != "incident":
        return {}
    query = f"stateIN6,7^reopen_count>0^sys_updated_on>={glide(since)}^ORDERBYsys_updated_on"
    found: dict[int, TicketOutcome] = {}
    for row in http.every("incident", query, "number,reopen_count"):
        ticket_id = number_digits(row.get("number"))
        try:
            reopens = int(str(row.get("reopen_count") or "0"))
        except ValueError:
            continue
        if ticket_id is not None and reopens > 0:
            found[ticket_id] = TicketOutcome(reopens=reopens)
    return found
