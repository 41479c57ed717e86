"""ServiceNow's test desk keeps the ``Desk`` protocol in ServiceNow's terms (incidents, labels,
journal entries by the right people), and its ``command`` module serves as the ``sandbox`` and
``demo`` commands expect; the seed is what a fresh instance holds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import trustme

from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.servicenow.sandbox import command
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk, serve
from ticket_processor.sandbox.desks import Desk, NewTicket, SolvedTicket
from ticket_processor.sandbox.entry import SandboxFlags


@pytest.fixture
def sn_desk() -> Iterator[ServiceNowDesk]:
    with serve() as served:
        yield served


def _get(sn_desk: ServiceNowDesk, table: str, query: str) -> list[dict[str, str]]:
    env = sn_desk.env()
    answer = requests.get(
        f"{env['SERVICENOW_URL']}/api/now/table/{table}",
        params={"sysparm_query": query, "sysparm_exclude_reference_link": "true"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    rows: list[dict[str, str]] = answer.json()["result"]
    return rows


def test_the_desk_is_a_desk(sn_desk: ServiceNowDesk) -> None:
    as_desk: Desk = sn_desk
    assert as_desk.kind == "servicenow"
    assert set(sn_desk.ops) >= {"list", "write", "note"}
    assert sn_desk.env()["TICKETBOT_HELPDESK"] == "servicenow"


def test_created_tickets_read_back_in_ticketbots_words(sn_desk: ServiceNowDesk) -> None:
    ids = sn_desk.create(
        [
            NewTicket("VPN down", "Cannot connect", tags=("vpn",), priority="urgent"),
            NewTicket("Invoice", "Wrong amount", priority="low", status="pending"),
            NewTicket(
                "Hello",
                "Just asking",
                requester_name="Ada Lovelace",
                cc=(("Bo", "bo@example.com"),),
                locale="de",
            ),
        ]
    )
    assert ids == [10001, 10002, 10003]
    assert sn_desk.ids() == ids
    assert sn_desk.snapshot(10001).pair == (["vpn"], "urgent")
    assert sn_desk.snapshot(10002).pair == ([], "low")
    pending = _get(sn_desk, "incident", "number=INC0010002")[0]
    assert (pending["state"], pending["hold_reason"]) == ("3", "1")
    callers = _get(sn_desk, "sys_user", "name=Ada Lovelace")
    assert len(callers) == 1
    assert callers[0]["preferred_language"] == "de"
    assert _get(sn_desk, "incident", "watch_listLIKEbo@example.com")[0]["number"] == "INC0010003"
    assert _get(sn_desk, "incident", "number=INC0010003")[0]["caller_id"] == callers[0]["sys_id"]


def test_messages_are_journal_entries_by_the_right_people(sn_desk: ServiceNowDesk) -> None:
    (ticket,) = sn_desk.create([NewTicket("Printer", "Jams", sender="pat@example.com")])
    sn_desk.requester_says(ticket, "Still jammed")
    sn_desk.agent_replies(ticket, "Try the rear tray")
    sn_desk.agent_notes(ticket, "Vendor ticket 42")
    sys_id = _get(sn_desk, "incident", f"number=INC00{ticket}")[0]["sys_id"]
    entries = _get(sn_desk, "sys_journal_field", f"element_id={sys_id}")
    said = {(e["element"], e["sys_created_by"], e["value"]) for e in entries}
    assert said == {
        ("comments", "pat@example.com", "Still jammed"),
        ("comments", "beth.anglin", "Try the rear tray"),
        ("work_notes", "beth.anglin", "Vendor ticket 42"),
    }
    assert sn_desk.snapshot(ticket).notes == []  # none of them is ticketbot's
    sn_desk.sandbox.store.update("incident", sys_id, {"work_notes": "ticketbot: triaged"}, "admin")
    assert sn_desk.snapshot(ticket).notes == ["ticketbot: triaged"]


def test_agent_edit_sets_the_priority_and_adds_a_label(sn_desk: ServiceNowDesk) -> None:
    (ticket,) = sn_desk.create([NewTicket("Disk full", "No space", tags=("storage",))])
    sn_desk.agent_edit(ticket, "escalated", "high")
    assert sn_desk.snapshot(ticket).pair == (["storage", "escalated"], "high")
    row = _get(sn_desk, "incident", f"number=INC00{ticket}")[0]
    assert row["sys_updated_by"] == "beth.anglin"


def test_refused_updates_and_faults_reach_the_api(sn_desk: ServiceNowDesk) -> None:
    (ticket,) = sn_desk.create([NewTicket("A", "B")])
    sn_desk.refuse_updates([ticket])
    sys_id = _get(sn_desk, "incident", "")[0]["sys_id"]
    env = sn_desk.env()
    auth = (env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"])
    record = f"{sn_desk.url}/api/now/table/incident/{sys_id}"
    refused = requests.patch(record, json={"urgency": 1}, auth=auth, timeout=5)
    assert refused.status_code == 403  # a data policy: 403 "Operation Failed", not an ACL
    assert sn_desk.invalid_word in refused.json()["error"]["detail"]
    sn_desk.refuse_updates([])
    sn_desk.faults().append(f"500 {sn_desk.ops['write']}")
    assert requests.patch(record, json={"urgency": 1}, auth=auth, timeout=5).status_code == 500
    assert sn_desk.stats()["requests"][sn_desk.ops["write"]] == 2
    writes = [status for _, key, status in sn_desk.history() if key == sn_desk.ops["write"]]
    assert writes == [403, 500]
    sn_desk.reset_stats()
    assert sn_desk.stats()["requests_total"] == 0


def test_imported_history_is_dated_and_resolved(sn_desk: ServiceNowDesk) -> None:
    solved_at = 1_700_000_000.0
    ticket = sn_desk.import_answered(
        NewTicket("Reset password", "Locked out"), [("Reset done", solved_at - 600)], solved_at
    )
    row = _get(sn_desk, "incident", f"number=INC00{ticket}")[0]
    assert row["state"] == "6"
    assert row["sys_created_on"] == "2023-11-14 21:03:20"  # an hour before the reply
    assert row["resolved_at"] == row["sys_updated_on"] == "2023-11-14 22:13:20"
    closed = sn_desk.import_solved([SolvedTicket("Old", "Done", satisfaction="good")])
    assert _get(sn_desk, "incident", f"number=INC00{closed[0]}")[0]["state"] == "7"


def test_the_seed_is_a_fresh_instances(sn_desk: ServiceNowDesk) -> None:
    (admin,) = _get(sn_desk, "sys_user", "user_name=admin")
    roles = _get(sn_desk, "sys_user_has_role", f"user={admin['sys_id']}")
    role_names = {r["name"] for r in _get(sn_desk, "sys_user_role", "")}
    assert len(roles) == 3
    assert {"itil", "knowledge", "admin"} <= role_names
    groups = {g["name"] for g in _get(sn_desk, "sys_user_group", "")}
    assert groups == {"Billing", "Security", "Technical", "Shipping"}
    categories = _get(sn_desk, "sys_choice", "name=incident^element=category")
    assert {c["value"] for c in categories} == {
        "inquiry",
        "software",
        "hardware",
        "network",
        "database",
    }
    assert _get(sn_desk, "sys_choice", "element=subcategory^dependent_value=network^name=incident")
    articles = _get(sn_desk, "kb_knowledge", "workflow_state=published")
    assert articles
    assert articles[0]["number"] == "KB0010001"
    numbers = _get(sn_desk, "sys_number", "category=incident")
    assert (numbers[0]["prefix"], numbers[0]["maximum_digits"]) == ("INC", "7")
    sn_desk.create([NewTicket("a", "b")])
    assert "u_ai_summary" in _get(sn_desk, "incident", "")[0]


def test_started_gives_the_servicenow_lines() -> None:
    with command.started() as running:
        env = running.env
        assert set(env) == {"SERVICENOW_URL", "SERVICENOW_USERNAME", "SERVICENOW_PASSWORD"}
        probe = requests.get(
            f"{env['SERVICENOW_URL']}/api/now/table/sys_user",
            params={"sysparm_query": f"user_name={env['SERVICENOW_USERNAME']}"},
            auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]),
            timeout=5,
        )
        assert len(probe.json()["result"]) == 1


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (SandboxFlags(port=0, password=""), "--password"),
        (SandboxFlags(port=0, ssl_certfile=Path("cert.pem")), "--ssl-keyfile"),
    ],
)
def test_bad_flags_are_config_errors_naming_the_flag(flags: SandboxFlags, says: str) -> None:
    with pytest.raises(ConfigError, match=says):
        command.serve_from_flags(flags, echo=print, on_ready=print)


def test_the_password_is_one_of_the_secrets() -> None:
    assert "sandbox-password" in SandboxFlags().secrets


def test_the_command_serves_https_with_the_tls_flags(tmp_path: Path) -> None:
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    chain, key = tmp_path / "server.pem", tmp_path / "server.key"
    issued.private_key_pem.write_to_path(str(key))
    issued.cert_chain_pems[0].write_to_path(str(chain))
    urls: list[str] = []

    def ready(url: str) -> None:
        urls.append(url)
        raise KeyboardInterrupt  # as Ctrl-C would, once listening

    said: list[str] = []
    flags = SandboxFlags(port=0, ssl_certfile=chain, ssl_keyfile=key)
    command.serve_from_flags(flags, echo=said.append, on_ready=ready)
    assert urls[0].startswith("https://127.0.0.1:")
    assert said == ["sandbox stopped"]


def test_a_certificate_that_is_not_one_is_a_config_error(tmp_path: Path) -> None:
    bogus = tmp_path / "cert.pem"
    bogus.write_text("not a certificate")
    flags = SandboxFlags(port=0, ssl_certfile=bogus, ssl_keyfile=bogus)
    with pytest.raises(ConfigError, match="--ssl-certfile"):
        command.serve_from_flags(flags, echo=print, on_ready=print)
