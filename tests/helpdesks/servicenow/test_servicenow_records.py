"""ServiceNow's values as ticketbot's and back, pure: the settings and their hints, ids from
numbers and sys_ids, states and priorities, the write body (impact and urgency, never
``priority``), the discovery query and cursor, record templates."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from ticket_processor.errors import ConfigError, CursorRejectedError
from ticket_processor.helpdesks.servicenow.discovery import after, decode, encode
from ticket_processor.helpdesks.servicenow.kind import ServiceNowSettings
from ticket_processor.helpdesks.servicenow.macros import reply_of, template_values
from ticket_processor.helpdesks.servicenow.public_reply import state_change
from ticket_processor.helpdesks.servicenow.records import (
    fit_subcategory,
    glide_of,
    iso,
    number_digits,
    number_of,
    parse_records,
    status_of,
    sys_int,
    sys_prefix,
    tag_changes,
    update_body,
)
from ticket_processor.models import Priority, Ticket, WriteBack

SYS_ID = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("given", ["acme", "acme.service-now.com", "https://acme.service-now.com/"])
def test_the_instance_is_its_name_however_given(given: str) -> None:
    settings = ServiceNowSettings(servicenow_instance=given)
    assert settings.base_url == "https://acme.service-now.com"


def test_a_pages_address_for_the_instance_gets_a_hint_naming_it() -> None:
    with pytest.raises(ValidationError, match="SERVICENOW_INSTANCE=acme"):
        ServiceNowSettings(servicenow_instance="https://acme.service-now.com/now/nav/ui")


def test_what_is_missing_is_named() -> None:
    with pytest.raises(ConfigError, match="SERVICENOW_INSTANCE"):
        ServiceNowSettings().require()
    with pytest.raises(ConfigError, match="SERVICENOW_USERNAME"):
        ServiceNowSettings(servicenow_instance="acme").require()
    with pytest.raises(ConfigError, match="SERVICENOW_CLIENT_SECRET"):
        ServiceNowSettings(servicenow_instance="acme", servicenow_client_id="c").require()
    ServiceNowSettings(
        servicenow_instance="acme", servicenow_client_id="c", servicenow_client_secret="s"
    ).require()  # the client credentials grant needs no user
    with pytest.raises(ValidationError, match="sn_customerservice_case"):
        ServiceNowSettings(servicenow_table="problem")


def test_ids_from_numbers_and_sys_ids() -> None:
    assert number_digits("INC0010001") == 10001
    assert number_digits("CS0001001") == 1001
    assert number_of(10001, "INC", 7) == "INC0010001"
    assert sys_int(SYS_ID) == int(SYS_ID[:15], 16)
    assert sys_prefix(sys_int(SYS_ID) or 0) == SYS_ID[:15]
    assert sys_int("") is None
    assert iso("2026-11-29 10:00:00") == "2026-11-29T10:00:00Z"
    assert glide_of("2026-11-29T10:00:00Z") == "2026-11-29 10:00:00"


def test_states_in_ticketbots_words() -> None:
    assert status_of("incident", {"state": "3", "hold_reason": "1"}) == "pending"
    assert status_of("incident", {"state": "3", "hold_reason": "4"}) == "hold"
    assert status_of("incident", {"state": "8"}) == "closed"
    assert status_of("sn_customerservice_case", {"state": "18"}) == "pending"
    assert state_change("incident", "pending") == {"state": "3", "hold_reason": "1"}
    assert state_change("sn_customerservice_case", "pending") == {"state": "18"}
    assert state_change("incident", "solved")["close_code"]


def row(**fields: str) -> dict[str, str]:
    return {
        "sys_id": SYS_ID,
        "number": "INC0010001",
        "short_description": "VPN down",
        "state": "2",
        "priority": "4",
        "contact_type": "self-service",
        "caller_id": "f" * 32,
        "caller_id.email": "ann@example.com",
        "caller_id.name": "Ann Lee",
        "sys_updated_on": "2026-11-29 10:00:00",
        **fields,
    }


def test_a_record_parses_and_a_bad_one_is_kept_aside() -> None:
    tickets, malformed = parse_records("incident", [row(), {"number": "none"}], {SYS_ID: ("vip",)})
    (ticket,) = tickets
    assert (ticket.id, ticket.priority, ticket.status, ticket.channel) == (
        10001,
        "low",
        "open",
        "web",
    )
    assert ticket.tags == ("vip",)
    assert ticket.sender == "ann@example.com"
    assert ticket.updated_at == "2026-11-29T10:00:00Z"
    assert malformed == [{"number": "none"}]


def test_the_write_sets_impact_and_urgency_never_priority() -> None:
    current = Ticket(id=1, priority="low", tags=("vip", "ai_old"))
    change = WriteBack(
        ticket_id=1,
        additional_tags=("ai_processed", "vip"),
        remove_tags=("ai_old",),
        priority=Priority.URGENT,
        custom_fields={"u_ai_summary": "VPN drops", "u_missing": "x"},
    )
    body = update_body(
        "incident", change, current, group=None, assignee=None, columns=frozenset({"u_ai_summary"})
    )
    assert body == {"impact": "1", "urgency": "1", "u_ai_summary": "VPN drops"}
    assert "priority" not in body
    assert tag_changes(change, current) == (["ai_processed"], ["ai_old"])


def test_a_subcategory_its_category_does_not_list_is_left_out() -> None:
    allowed = {"network": {"vpn", "dns"}, "hardware": {"disk"}}
    current = {"category": "network", "subcategory": "vpn"}
    assert fit_subcategory({"subcategory": "disk"}, current, allowed) == {}
    assert fit_subcategory({"subcategory": "dns"}, current, allowed) == {"subcategory": "dns"}
    moved = fit_subcategory({"category": "hardware"}, current, allowed)
    assert moved == {"category": "hardware", "subcategory": ""}
    both = {"category": "hardware", "subcategory": "disk"}
    assert fit_subcategory(both, current, allowed) == both


def test_the_cursor_and_the_keyset_query() -> None:
    value = encode("2026-11-29 10:00:00", SYS_ID)
    assert decode(value) == ("2026-11-29 10:00:00", SYS_ID)
    assert after("2026-11-29 10:00:00", SYS_ID) == (
        f"sys_updated_on>2026-11-29 10:00:00^NQsys_updated_on=2026-11-29 10:00:00"
        f"^sys_id>{SYS_ID}^ORDERBYsys_updated_on^ORDERBYsys_id"
    )
    assert after("2026-11-29 10:00:00", "").startswith("sys_updated_on>=2026-11-29 10:00:00^")
    for foreign in ("2026-11-29T10:00:00Z", "yesterday|", "2026-11-29 10:00:00|XYZ"):
        with pytest.raises(CursorRejectedError):
            decode(foreign)


def test_a_template_is_a_public_reply_a_note_or_fields() -> None:
    assert template_values("comments=Hi a=b^state=6") == {"comments": "Hi a=b", "state": "6"}
    public = reply_of({"sys_id": SYS_ID, "name": "Reset", "template": "comments=Done^state=6"})
    assert public is not None
    assert (public.text, public.public) == ("Done", True)
    note = reply_of({"sys_id": SYS_ID, "name": "Note", "template": "work_notes=Checked"})
    assert note is not None
    assert (note.text, note.public) == ("Checked", False)
    assert reply_of({"sys_id": SYS_ID, "name": "", "template": ""}) is None
