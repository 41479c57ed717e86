"""Who sees and edits a ServiceNow column, as the adapter reads it from the instance's
field-level ACLs (``sys_security_acl`` and its roles), and what it says when ticketbot's user
may not read them (only admins may): the column is taken as one callers may see, with the fix,
and a run's summary there leaves the work notes out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from support.cli import invoke

from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.helpdesks.servicenow.sandbox.seed import sys_id_for
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.helpdesks.servicenow.wire import ServiceNowTransport
from ticket_processor.models import HelpdeskField
from ticket_processor.sandbox.desks import NewTicket
from ticket_processor.summary.field import resolve_summary_field, where_it_goes

TABLE = "/api/now/table"


@pytest.fixture
def sn() -> Iterator[ServiceNowDesk]:
    with serve_in_thread(ServiceNowConfig(seed=5)) as running:
        yield ServiceNowDesk(running)


@pytest.fixture
def adapter(sn: ServiceNowDesk) -> Iterator[ServiceNowHelpdesk]:
    config = sn.sandbox.config
    http = ServiceNowTransport(sn.url, auth=(config.user, config.password))
    helpdesk = ServiceNowHelpdesk(http, table="incident", marker="ai_processed")
    yield helpdesk
    helpdesk.close()


def _fields(adapter: ServiceNowHelpdesk) -> dict[str, HelpdeskField]:
    return {f.key: f for f in adapter.ticket_fields()}


def _admin_post(sn: ServiceNowDesk, table: str, row: dict[str, str]) -> dict[str, str]:
    made = requests.post(f"{sn.url}{TABLE}/{table}", json=row, auth=sn.api_auth(), timeout=5)
    assert made.status_code == 201, made.text
    return dict(made.json()["result"])


def _column(sn: ServiceNowDesk, element: str) -> None:
    entry = {"name": "incident", "element": element, "column_label": element[2:].capitalize()}
    _admin_post(sn, "sys_dictionary", entry)


def _acl(sn: ServiceNowDesk, name: str, operation: str, *roles: str, active: str = "true") -> None:
    acl = _admin_post(
        sn, "sys_security_acl", {"name": name, "operation": operation, "active": active}
    )
    for role in roles:
        row = {"sys_security_acl": acl["sys_id"], "sys_user_role": sys_id_for("role", role)}
        _admin_post(sn, "sys_security_acl_role", row)


def test_the_seeded_summary_column_is_for_agents_only(adapter: ServiceNowHelpdesk) -> None:
    summary = _fields(adapter)["u_ai_summary"]
    assert not summary.shown_to_customers
    assert not summary.customers_can_edit
    assert summary.audience_hint == ""


def test_a_column_is_agents_only_when_every_acl_on_it_needs_an_agent_role(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk
) -> None:
    for element in ("u_open", "u_notes", "u_either", "u_mixed", "u_old", "u_case"):
        _column(sn, element)
    _acl(sn, "incident.u_notes", "read", "itil")
    _acl(sn, "incident.u_notes", "write", "itil", "sn_customerservice_agent")
    # Two ACLs on one column are alternatives: the one without roles lets a caller through.
    _acl(sn, "incident.u_either", "read", "itil")
    _acl(sn, "incident.u_either", "read")
    _acl(sn, "incident.u_either", "write", "admin")
    # An ACL's roles are alternatives too: a customer's role among them opens it.
    _admin_post(sn, "sys_user_role", {"sys_id": sys_id_for("role", "snc_external"),
                                      "name": "snc_external"})  # fmt: skip
    _acl(sn, "incident.u_mixed", "read", "itil", "snc_external")
    _acl(sn, "incident.u_mixed", "write", "itil")
    _acl(sn, "incident.u_old", "read", "itil", active="false")  # an inactive ACL is no ACL
    _acl(sn, "sn_customerservice_case.u_case", "read", "itil")  # another table's column
    fields = _fields(adapter)
    audience = {k: (f.shown_to_customers, f.customers_can_edit) for k, f in fields.items()}
    assert audience["u_open"] == (True, True)
    assert audience["u_notes"] == (False, False)
    assert audience["u_either"] == (True, False)
    assert audience["u_mixed"] == (True, False)
    assert audience["u_old"] == (True, True)
    assert audience["u_case"] == (True, True)
    assert {f.audience_hint for f in fields.values()} == {""}
    with pytest.raises(ConfigError, match='customers can edit "Open"'):
        resolve_summary_field("Open", list(fields.values()))
    assert "shows the customer" in where_it_goes(resolve_summary_field("Mixed", [*fields.values()]))


def _no_admin(sn: ServiceNowDesk) -> None:
    """ticketbot's user loses the admin role (keeps itil and knowledge)."""
    store = sn.sandbox.store
    admin = sys_id_for("role", "admin")
    [held] = [r["sys_id"] for r in store.rows("sys_user_has_role") if r["role"] == admin]
    store.delete("sys_user_has_role", held)


def test_a_user_who_may_not_read_the_acls_takes_the_column_as_one_callers_see(
    sn: ServiceNowDesk, adapter: ServiceNowHelpdesk
) -> None:
    _no_admin(sn)
    refused = requests.get(f"{sn.url}{TABLE}/sys_security_acl", auth=sn.api_auth(), timeout=5)
    assert refused.status_code == 403, refused.text
    summary = _fields(adapter)["u_ai_summary"]
    assert summary.shown_to_customers  # the safe reading: only what the customer sees
    assert not summary.customers_can_edit
    said = where_it_goes(resolve_summary_field("AI summary", [summary]))
    assert "which the helpdesk shows the customer" in said
    assert "may not read the instance's access controls" in said
    assert "add a read ACL on incident.u_ai_summary requiring the itil role" in said


def test_without_the_acls_fields_check_says_so_and_the_summary_leaves_work_notes_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with serve(seed=5) as running:
        env = {
            **running.env(),
            "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
            "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
            "TICKETBOT_SUMMARY_FIELD": "u_ai_summary",
        }
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        _no_admin(running)
        checked = invoke("fields", "check")
        assert checked.exit_code == 0, checked.output
        said = " ".join(checked.output.split())
        assert "the helpdesk shows this field to the customer" in said
        assert "add a read ACL on incident.u_ai_summary requiring the itil role" in said
        [ticket] = running.create([NewTicket("Charged twice", "Please refund the second charge.")])
        running.agent_notes(ticket, "INTERNAL ONLY: fraud watchlist, stall them.")
        ran = invoke("run", "--engine", "rules")
        assert ran.exit_code == 0, ran.output
        row = running.sandbox.store.rows("incident")[0]
        assert "refund" in row["u_ai_summary"]
        assert "watchlist" not in row["u_ai_summary"]
