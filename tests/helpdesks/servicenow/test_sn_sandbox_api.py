"""The ServiceNow sandbox's Table API as an instance answers it: encoded queries, paging headers,
display values and reference shapes, journal rows, the computed priority, errors' bodies, the
read ACL, the rate limit rule, OAuth tokens on the sandbox's clock, faults and the state file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.query import QueryError, Term, parse
from ticket_processor.helpdesks.servicenow.sandbox.seed import sys_id_for
from ticket_processor.helpdesks.servicenow.sandbox.serving import (
    RunningServiceNow,
    serve_in_thread,
)

START = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def instance(clock: Clock) -> Iterator[RunningServiceNow]:
    with serve_in_thread(ServiceNowConfig(clock=clock)) as sandbox:
        yield sandbox


@pytest.fixture
def api(instance: RunningServiceNow) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.auth = (instance.config.user, instance.config.password)
        yield session


def _table(instance: RunningServiceNow, table: str, sys_id: str = "") -> str:
    return f"{instance.url}/api/now/table/{table}" + (f"/{sys_id}" if sys_id else "")


def _create(api: requests.Session, instance: RunningServiceNow, **fields: Any) -> dict[str, Any]:
    answer = api.post(_table(instance, "incident"), json=fields, timeout=5)
    assert answer.status_code == 201, answer.text
    result: dict[str, Any] = answer.json()["result"]
    return result


def _numbers(api: requests.Session, instance: RunningServiceNow, query: str) -> list[str]:
    params = {"sysparm_query": query, "sysparm_fields": "number"}
    answer = api.get(_table(instance, "incident"), params=params, timeout=5)
    assert answer.status_code == 200, answer.text
    return [row["number"] for row in answer.json()["result"]]


# --- the encoded query parser ---------------------------------------------------------------


def test_or_binds_tighter_than_and_and_nq_adds_a_query() -> None:
    query = parse("active=true^state=1^ORstate=2^NQnumberSTARTSWITHPRB^ORDERBYDESCnumber")
    first, second = query.alternatives
    assert first == [
        [Term("active", "=", "true")],
        [Term("state", "=", "1"), Term("state", "=", "2")],
    ]
    assert second == [[Term("number", "STARTSWITH", "PRB")]]
    assert query.order == [("number", True)]


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("stateNOT IN6,7", Term("state", "NOT IN", "6,7")),
        ("short_descriptionNOT LIKEvpn", Term("short_description", "NOT LIKE", "vpn")),
        ("sys_idSTARTSWITHabc", Term("sys_id", "STARTSWITH", "abc")),
        ("assigned_toISEMPTY", Term("assigned_to", "ISEMPTY", "")),
        ("assignment_group.name=Billing", Term("assignment_group.name", "=", "Billing")),
        ("priority<=2", Term("priority", "<=", "2")),
        (
            "sys_updated_on>javascript:gs.dateGenerate('2026-11-29','10:00:00')",
            Term("sys_updated_on", ">", "2026-11-29 10:00:00"),
        ),
    ],
)
def test_each_operator_is_read(text: str, term: Term) -> None:
    assert parse(text).alternatives == [[[term]]]


@pytest.mark.parametrize("text", ["=1", "stateABOUT1", "ORstate=1", "assigned_toISEMPTYx"])
def test_an_unreadable_term_is_refused(text: str) -> None:
    with pytest.raises(QueryError):
        parse(text)


def test_queries_select_as_an_instance_does(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    _create(api, instance, short_description="VPN drops", urgency=1, assignment_group="Billing")
    _create(api, instance, short_description="Printer jams", state=2)
    _create(api, instance, short_description="vpn slow", state=6)
    assert _numbers(api, instance, "short_descriptionLIKEvpn") == ["INC0010001", "INC0010003"]
    assert _numbers(api, instance, "stateNOT IN6,7^ORDERBYDESCnumber") == [
        "INC0010002",
        "INC0010001",
    ]
    assert _numbers(api, instance, "assignment_group.name=Billing") == ["INC0010001"]
    assert _numbers(api, instance, "assignment_groupISEMPTY^state=2") == ["INC0010002"]
    assert _numbers(api, instance, "urgency=1^NQstate=6") == ["INC0010001", "INC0010003"]
    assert _numbers(api, instance, "no_such_field=1") == []
    refused = api.get(_table(instance, "incident"), params={"sysparm_query": "=1"}, timeout=5)
    assert refused.status_code == 400
    assert refused.json()["status"] == "failure"
    assert "Invalid query" in refused.json()["error"]["message"]


def test_lists_page_with_total_count_and_links(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    for n in range(5):
        _create(api, instance, short_description=f"Ticket {n}")
    params = {"sysparm_limit": "2", "sysparm_offset": "2", "sysparm_fields": "number"}
    page = api.get(_table(instance, "incident"), params=params, timeout=5)
    assert [r["number"] for r in page.json()["result"]] == ["INC0010003", "INC0010004"]
    assert page.headers["X-Total-Count"] == "5"
    links = {
        rel.split('"')[1]: dict(parse_qsl(urlsplit(url.strip("<>")).query))["sysparm_offset"]
        for url, rel in (link.split(";") for link in page.headers["Link"].split(","))
    }
    assert links == {"first": "0", "prev": "0", "next": "4", "last": "4"}
    quiet = api.get(
        _table(instance, "incident"),
        params={**params, "sysparm_suppress_pagination_header": "true"},
        timeout=5,
    )
    assert "Link" not in quiet.headers
    assert quiet.headers["X-Total-Count"] == "5"


# --- display values, references, journals, priority ------------------------------------------


def test_reference_shapes_follow_display_value_and_exclude_reference_link(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    made = _create(api, instance, short_description="x", assignment_group="Security")
    group = made["assignment_group"]["value"]
    link = f"{instance.url}/api/now/table/sys_user_group/{group}"
    assert made["assignment_group"] == {"link": link, "value": group}
    assert made["assigned_to"] == ""

    def shown(**params: str) -> dict[str, Any]:
        fields = {"sysparm_fields": "assignment_group,assigned_to,state,impact", **params}
        answer = api.get(_table(instance, "incident", made["sys_id"]), params=fields, timeout=5)
        result: dict[str, Any] = answer.json()["result"]
        return result

    assert shown(sysparm_exclude_reference_link="true")["assignment_group"] == group
    assert shown(sysparm_display_value="true")["assignment_group"] == {
        "display_value": "Security",
        "link": link,
    }
    both = shown(sysparm_display_value="all", sysparm_exclude_reference_link="true")
    assert both["assignment_group"] == {"display_value": "Security", "value": group}
    assert both["assigned_to"] == {"display_value": "", "value": ""}
    assert both["state"] == {"display_value": "New", "value": "1"}
    assert shown(sysparm_display_value="true")["impact"] == "3 - Low"


def test_journal_fields_append_rows_and_bump_the_record_once(
    api: requests.Session, instance: RunningServiceNow, clock: Clock
) -> None:
    made = _create(api, instance, short_description="Laptop won't boot")
    clock.now += 60
    patch = {"comments": "We are on it", "work_notes": "Asked the vendor", "state": 2}
    answer = api.patch(_table(instance, "incident", made["sys_id"]), json=patch, timeout=5)
    result = answer.json()["result"]
    assert result["sys_mod_count"] == "1"
    assert result["sys_updated_on"] == "2027-01-15 08:01:00"
    assert result["comments"] == ""
    assert result["work_notes"] == ""
    rows = api.get(
        _table(instance, "sys_journal_field"),
        params={"sysparm_query": f"element_id={made['sys_id']}^ORDERBYelement"},
        timeout=5,
    ).json()["result"]
    assert [(r["element"], r["value"], r["sys_created_by"]) for r in rows] == [
        ("comments", "We are on it", "admin"),
        ("work_notes", "Asked the vendor", "admin"),
    ]
    shown = api.get(
        _table(instance, "incident", made["sys_id"]),
        params={"sysparm_display_value": "true", "sysparm_fields": "comments"},
        timeout=5,
    ).json()["result"]
    expected = "2027-01-15 08:01:00 - System Administrator (Additional comments)\nWe are on it\n\n"
    assert shown["comments"] == expected


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [(1, 1, "1"), (1, 2, "2"), (2, 1, "2"), (1, 3, "3"), (2, 2, "3"), (3, 1, "3"),
     (2, 3, "4"), (3, 2, "4"), (3, 3, "5")],
)  # fmt: skip
def test_priority_is_computed_and_a_written_priority_ignored(
    api: requests.Session, instance: RunningServiceNow, impact: int, urgency: int, priority: str
) -> None:
    made = _create(api, instance, short_description="x", impact=impact, urgency=urgency, priority=1)
    assert made["priority"] == priority
    again = api.patch(
        _table(instance, "incident", made["sys_id"]), json={"priority": "1"}, timeout=5
    )
    assert again.json()["result"]["priority"] == priority


# --- errors, ACL, the rate limit rule, OAuth ---------------------------------------------------


def test_errors_have_servicenows_body(api: requests.Session, instance: RunningServiceNow) -> None:
    wrong = requests.get(_table(instance, "incident"), auth=("admin", "nope"), timeout=5)
    assert wrong.status_code == 401
    assert wrong.json() == {
        "error": {
            "message": "User Not Authenticated",
            "detail": "Required to provide Auth information",
        },
        "status": "failure",
    }
    missing = api.get(_table(instance, "incident", "0" * 32), timeout=5)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "No Record found"
    assert api.get(_table(instance, "no_such_table"), timeout=5).status_code == 400
    bad = api.post(_table(instance, "incident"), data=b"{nope", timeout=5)
    assert bad.status_code == 400
    assert bad.json()["status"] == "failure"
    assert wrong.headers["X-Ticketbot-Sandbox"] == "servicenow"


def test_a_record_an_acl_hides_is_403_by_id_and_left_out_of_lists(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    secret = _create(api, instance, short_description="HR matter")
    _create(api, instance, short_description="Printer")
    control = requests.post(
        f"{instance.url}/sandbox/acl", json={"ticket_id": 10001, "readable": False}, timeout=5
    )
    assert control.status_code == 200
    denied = api.get(_table(instance, "incident", secret["sys_id"]), timeout=5)
    assert denied.status_code == 403
    assert denied.json()["error"]["message"] == "User Not Authorized"
    listed = api.get(_table(instance, "incident"), timeout=5)
    assert [r["number"] for r in listed.json()["result"]] == ["INC0010002"]
    assert listed.headers["X-Total-Count"] == "1"


def test_the_hourly_rate_limit_rule_answers_429_until_the_hour_turns(
    api: requests.Session, instance: RunningServiceNow, clock: Clock
) -> None:
    instance.config.requests_per_hour = 2
    first = api.get(_table(instance, "incident"), timeout=5)
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    api.get(_table(instance, "incident"), timeout=5)
    limited = api.get(_table(instance, "incident"), timeout=5)
    assert limited.status_code == 429
    assert limited.json()["error"]["message"] == "Rate limit exceeded"
    reset = int(limited.headers["X-RateLimit-Reset"])
    assert reset == (int(START) // 3600 + 1) * 3600
    assert int(limited.headers["Retry-After"]) == reset - int(START)
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    clock.now = reset
    assert api.get(_table(instance, "incident"), timeout=5).status_code == 200
    assert instance.stats()["rate_limited"] == 1


def test_a_storm_answers_429_with_retry_after(
    api: requests.Session, instance: RunningServiceNow, clock: Clock
) -> None:
    instance.config.start_storm(30)
    storm = api.get(_table(instance, "incident"), timeout=5)
    assert storm.status_code == 429
    assert storm.headers["Retry-After"] == "30"
    clock.now += 30
    assert api.get(_table(instance, "incident"), timeout=5).status_code == 200


def _token(instance: RunningServiceNow, **form: str) -> requests.Response:
    config = instance.config
    body = {"client_id": config.client_id, "client_secret": config.client_secret, **form}
    return requests.post(f"{instance.url}/oauth_token.do", data=body, timeout=5)


def test_oauth_tokens_expire_on_the_sandbox_clock_and_refresh(
    instance: RunningServiceNow, clock: Clock
) -> None:
    config = instance.config
    refused = _token(instance, grant_type="password", username=config.user, password="x")
    assert refused.status_code == 401
    assert refused.json()["error"] == "access_denied"
    granted = _token(
        instance, grant_type="password", username=config.user, password=config.password
    ).json()
    assert granted["token_type"] == "Bearer"
    assert granted["expires_in"] == 1799
    bearer = {"Authorization": f"Bearer {granted['access_token']}"}
    assert requests.get(_table(instance, "incident"), headers=bearer, timeout=5).ok
    clock.now += 1800
    expired = requests.get(_table(instance, "incident"), headers=bearer, timeout=5)
    assert expired.status_code == 401
    renewed = _token(instance, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    bearer = {"Authorization": f"Bearer {renewed.json()['access_token']}"}
    assert requests.get(_table(instance, "incident"), headers=bearer, timeout=5).ok
    machine = _token(instance, grant_type="client_credentials").json()
    assert machine["access_token"] != granted["access_token"]


# --- faults, concurrent edits, the state file --------------------------------------------------


def test_scripted_faults_hit_the_endpoint_they_name(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    made = _create(api, instance, short_description="x")
    record = _table(instance, "incident", made["sys_id"])
    instance.config.faults.extend(
        [
            "503 PATCH /api/now/table/incident/{sys_id}",
            "stored-502 PATCH /api/now/table/incident/{sys_id}",
        ]
    )
    assert api.get(record, timeout=5).status_code == 200  # not the endpoint named
    failed = api.patch(record, json={"urgency": 1}, timeout=5)
    assert failed.status_code == 503
    assert failed.json()["status"] == "failure"
    assert instance.store.find("incident", made["sys_id"])["urgency"] == "3"  # type: ignore[index]
    lost = api.patch(record, json={"urgency": 1}, timeout=5)
    assert lost.status_code == 502
    assert instance.store.find("incident", made["sys_id"])["urgency"] == "1"  # type: ignore[index]
    assert instance.stats()["errors_injected"] == 2


def test_an_agent_edits_between_the_read_and_the_write(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    made = _create(api, instance, short_description="x")
    instance.config.edit_urgency = "1"
    instance.config.edit_rate = 1.0
    read = api.get(_table(instance, "incident", made["sys_id"]), timeout=5).json()["result"]
    assert read["urgency"] == "1"
    assert read["priority"] == "3"
    assert read["sys_updated_by"] == "beth.anglin"
    entries = api.get(
        _table(instance, "label_entry"),
        params={
            "sysparm_query": f"table_key={made['sys_id']}",
            "sysparm_display_value": "true",
            "sysparm_exclude_reference_link": "true",
        },
        timeout=5,
    ).json()["result"]
    assert [e["label"] for e in entries] == ["agent_edit"]
    assert instance.stats()["concurrent_edits"] == 1


def test_the_state_file_keeps_records_and_numbering_across_restarts(tmp_path: Path) -> None:
    state = tmp_path / "servicenow.json"
    with serve_in_thread(ServiceNowConfig(state_file=state)) as first:
        auth = (first.config.user, first.config.password)
        made = requests.post(
            _table(first, "incident"), json={"short_description": "kept"}, auth=auth, timeout=5
        ).json()["result"]
    assert state.exists()
    with serve_in_thread(ServiceNowConfig(state_file=state)) as second:
        kept = requests.get(_table(second, "incident", made["sys_id"]), auth=auth, timeout=5)
        assert kept.json()["result"]["short_description"] == "kept"
        after = requests.post(
            _table(second, "incident"), json={"short_description": "next"}, auth=auth, timeout=5
        )
        assert after.json()["result"]["number"] == "INC0010002"
        assert second.store.count("sys_user") == first.store.count("sys_user")


def test_an_agent_edits_between_the_re_read_by_number_and_the_write(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    """A client re-reads one record by a list query naming its number before its PATCH: the
    edit lands there too; a list query of many records is left alone."""
    made = _create(api, instance, short_description="x")
    other = _create(api, instance, short_description="y")
    instance.config.edit_urgency = "1"
    instance.config.edit_rate = 1.0
    listed = api.get(
        _table(instance, "incident"), params={"sysparm_query": "active=true"}, timeout=5
    ).json()["result"]
    assert {row["urgency"] for row in listed} == {"3"}
    assert instance.stats()["concurrent_edits"] == 0
    [read] = api.get(
        _table(instance, "incident"),
        params={"sysparm_query": f"number={made['number']}", "sysparm_limit": "1"},
        timeout=5,
    ).json()["result"]
    assert read["urgency"] == "1"
    assert read["sys_updated_by"] == "beth.anglin"
    assert instance.store.find("incident", other["sys_id"])["urgency"] == "3"  # type: ignore[index]
    assert instance.stats()["concurrent_edits"] == 1


def test_an_admins_dictionary_row_adds_the_column_to_the_table(
    api: requests.Session, instance: RunningServiceNow
) -> None:
    """A ``sys_dictionary`` row (the admin's) alters the table: every record has the column,
    empty, and it is written and read from then on; the seed's summary column is listed."""
    made = _create(api, instance, short_description="x")
    listed = api.get(
        _table(instance, "sys_dictionary"),
        params={"sysparm_query": "name=incident^elementSTARTSWITHu_"},
        timeout=5,
    ).json()["result"]
    assert [row["element"] for row in listed] == ["u_ai_summary"]
    column = {"name": "incident", "element": "u_order_number", "column_label": "Order number"}
    added = api.post(_table(instance, "sys_dictionary"), json=column, timeout=5)
    assert added.status_code == 201, added.text
    record = _table(instance, "incident", made["sys_id"])
    assert api.get(record, timeout=5).json()["result"]["u_order_number"] == ""
    api.patch(record, json={"u_order_number": "ORD-123456"}, timeout=5)
    assert api.get(record, timeout=5).json()["result"]["u_order_number"] == "ORD-123456"
    assert _create(api, instance, short_description="y")["u_order_number"] == ""


def test_only_an_admin_changes_the_dictionary(instance: RunningServiceNow) -> None:
    instance.store.delete(
        "sys_user_has_role",
        next(
            row["sys_id"]
            for row in instance.store.rows("sys_user_has_role")
            if row["role"] == sys_id_for("role", "admin")
        ),
    )
    column = {"name": "incident", "element": "u_order_number", "column_label": "Order number"}
    refused = requests.post(
        _table(instance, "sys_dictionary"),
        json=column,
        auth=(instance.config.user, instance.config.password),
        timeout=5,
    )
    assert refused.status_code == 403, refused.text
    columns = [row["element"] for row in instance.store.rows("sys_dictionary")]
    assert "u_order_number" not in columns
