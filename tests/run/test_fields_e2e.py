"""Entities into the helpdesk's own fields, end to end on each sandbox (the issue's Done-when).

A text field "Order number" and a drop-down "Product" are made through the helpdesk's own API;
a run with no LLM (``--engine rules``) fills them on a dozen tickets: the first order number, the
product a ticket names (by option name or synonym), nothing where the text names none (nor from
a lookalike), and a value an agent already set is kept. The requests per ticket are those of a
run without fields; ``revert --run`` takes the filled values back; ``fields check`` shows what
each entry resolves to and exits 2 on an unknown field or option. zenpy and python-freshdesk
read the fields unchanged, and pysnc ServiceNow's data dictionary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import trustme
from freshdesk.v2.api import API
from pysnc import ServiceNowClient  # type: ignore[import-untyped]
from support.cli import invoke
from support.e2e import events
from support.fields_admin import FieldsAdmin
from zenpy import Zenpy

from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.sandbox.desks import Desk, NewTicket

pytestmark = pytest.mark.desk(configure=True)

FIELDS_TOML = """
[[field]]
name = "Order number"
pattern = 'ORD-\\d{6}'

[[field]]
name = "Product"
synonyms = { "Mobile app" = ["iphone app", "android app"] }
"""
TICKETS = [
    NewTicket("Order ORD-123456 late", "Also about ORD-654321."),  # 0: the first one
    NewTicket("Refund", "Please refund order ORD-222333, bought in the iPhone app."),  # 1: both
    NewTicket("Crash", "The Android app crashes on start."),  # 2: a synonym
    NewTicket("Web", "The web app shows a blank page."),  # 3: an option's name
    NewTicket("Old order", "Order ORD-12 from last year never came."),  # 4: a lookalike
    NewTicket("Question", "How do I change my password?"),  # 5: nothing
    NewTicket("Desktop", "Desktop client freezes on ORD-777888."),  # 6: agent set both
    NewTicket("Hi", "Just saying hello."),  # 7
    NewTicket("Order", "My order ORD-1234567 is wrong."),  # 8: not a whole match
    NewTicket("Invoice", "Invoice for ORD-424242 please."),  # 9
    NewTicket("App", "The mobile app logs me out."),  # 10: an option's name
    NewTicket("Billing", "I was charged twice."),  # 11
]
EXPECTED: list[dict[str, str | None]] = [
    {"Order number": "ORD-123456", "Product": None},
    {"Order number": "ORD-222333", "Product": "Mobile app"},
    {"Order number": None, "Product": "Mobile app"},
    {"Order number": None, "Product": "Web app"},
    {"Order number": None, "Product": None},
    {"Order number": None, "Product": None},
    {"Order number": "ORD-999999", "Product": "Desktop client"},  # the agent's, kept
    {"Order number": None, "Product": None},
    {"Order number": None, "Product": None},
    {"Order number": "ORD-424242", "Product": None},
    {"Order number": None, "Product": "Mobile app"},
    {"Order number": None, "Product": None},
]
OPTIONS = [
    ("Mobile app", "product_mobile_app"),
    ("Web app", "product_web"),
    ("Desktop client", "product_desktop"),
]


class Api(FieldsAdmin):
    """The helpdesk's own API for what the test does as an admin or an agent."""

    def __init__(self, desk: Desk) -> None:
        super().__init__(desk)
        self.keys: dict[str, str] = {}  # title -> custom_fields key
        self.labels: dict[str, str] = {}  # written value -> option name

    def create_fields(self) -> None:
        made = self.order_and_product(OPTIONS)
        self.keys = {title: self.key_of(field) for title, field in made.items()}
        # Zendesk writes an option's tag value, ServiceNow its choice value, Freshdesk its label.
        names = {n: v if self.holds_option_value else n for n, v in OPTIONS}
        self.labels = {written: name for name, written in names.items()}

    def agent_sets_order(self, ticket_id: int, order: str, product: str) -> None:
        value = dict(OPTIONS)[product] if self.holds_option_value else product
        self.agent_sets(ticket_id, {self.keys["Order number"]: order, self.keys["Product"]: value})

    def values(self, ticket_id: int) -> dict[str, str | None]:
        raw = self.custom_fields(ticket_id)
        order = raw.get(self.keys["Order number"])
        product = raw.get(self.keys["Product"])
        return {"Order number": order, "Product": self.labels.get(product) if product else None}

    def tags(self, ticket_id: int) -> list[str]:
        if self.kind == "zendesk":
            return list(
                self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}.json").json()["ticket"][
                    "tags"
                ]
            )
        return list(self.session.get(f"{self.base}/api/v2/tickets/{ticket_id}").json()["tags"])


# The endpoints that list a helpdesk's fields: Zendesk's and Freshdesk's ``ticket_fields``,
# ServiceNow's data dictionary.
FIELD_LISTS = ("ticket_fields", "sys_dictionary")


def _lists_fields(endpoint: str) -> bool:
    return any(name in endpoint for name in FIELD_LISTS)


def per_ticket(stats: dict[str, Any]) -> dict[str, int]:
    """The run's requests by endpoint, bar the one that reads the fields once per run."""
    return {k: v for k, v in stats["requests"].items() if not _lists_fields(k)}


def test_a_run_without_an_llm_fills_the_fields_and_revert_takes_them_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    api = Api(desk)
    api.create_fields()
    # A first run (the help-centre index, the first-run count: once), then a run without fields
    # on a dozen tickets like these: its requests are the yardstick.
    assert invoke("run", "--engine", "rules").exit_code == 0
    desk.create([NewTicket(f"Before {i}", t.body) for i, t in enumerate(TICKETS)])
    desk.reset_stats()
    assert invoke("run", "--engine", "rules").exit_code == 0
    without = per_ticket(desk.stats())

    ids = desk.create(TICKETS)
    api.agent_sets_order(ids[6], "ORD-999999", "Desktop client")
    path = tmp_path / "fields.toml"
    path.write_text(FIELDS_TOML, "utf-8")
    monkeypatch.setenv("TICKETBOT_FIELDS", str(path))
    desk.reset_stats()
    ran = invoke("run", "--engine", "rules")
    assert ran.exit_code == 0, ran.output
    with_fields = desk.stats()
    # No request more: each endpoint as often as without fields (Freshdesk's once-a-run checks
    # may fall to either run), the fields read once.
    assert all(n <= without.get(k, 0) for k, n in per_ticket(with_fields).items()), (
        with_fields,
        without,
    )
    assert sum(per_ticket(with_fields).values()) <= sum(without.values())
    assert sum(v for k, v in with_fields["requests"].items() if _lists_fields(k)) == 1
    assert [api.values(i) for i in ids] == EXPECTED
    note = desk.snapshot(ids[1]).notes[0]
    assert "Fields filled:" in note
    assert "- Order number: ORD-222333" in note
    assert "- Product: Mobile app" in note  # the option's name, not its tag value
    if desk.kind == "zendesk":  # the option's tag came with the option, as Zendesk does it
        assert "product_mobile_app" in api.tags(ids[2])

    [finished] = [e for e in events(tmp_path / "logs") if e["event"] == "run_finished"][-1:]
    api.agent_sets_order(ids[9], "ORD-000111", "Web app")  # an agent changes one after the run
    planned = invoke("revert", "--run", finished["run_id"], "--dry-run")
    assert planned.exit_code == 0, planned.output
    [line] = [x for x in planned.output.splitlines() if x.startswith(f"ticket {ids[1]}:")]
    assert "fields emptied: Order number, Product" in line  # by name, as agents see them
    assert api.values(ids[1]) == EXPECTED[1]  # a dry run empties nothing
    reverted = invoke("revert", "--run", finished["run_id"])
    assert reverted.exit_code == 0, reverted.output
    after = [api.values(i) for i in ids]
    assert after[9] == {"Order number": "ORD-000111", "Product": "Web app"}  # the agent's stays
    assert after[6] == EXPECTED[6]
    for i, values in enumerate(after):
        if i not in (6, 9):
            assert values == {"Order number": None, "Product": None}, (i, values)
    if desk.kind == "zendesk":
        assert "product_mobile_app" not in api.tags(ids[2])  # cleared field, tag gone


def test_a_dry_run_shows_each_fields_fate_and_the_helpdesk_fields_it_would_fill(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    api = Api(desk)
    api.create_fields()
    [ticket] = desk.create(TICKETS[1:2])
    path = tmp_path / "fields.toml"
    path.write_text(FIELDS_TOML, "utf-8")
    monkeypatch.setenv("TICKETBOT_FIELDS", str(path))
    shown = invoke("run", "--dry-run", "--engine", "rules")
    assert shown.exit_code == 0, shown.output
    [line] = [x for x in shown.output.splitlines() if x.startswith(f"ticket {ticket}:")]
    # The rules engine is uncalibrated: its fields apply, each named with its fate.
    assert "decided=category:apply,urgency:apply,sentiment:apply" in line
    assert " fields=" not in line  # the helpdesk's fields are the fills alone
    assert "fills={'Order number': 'ORD-222333', 'Product': 'Mobile app'}" in line
    assert api.values(ticket) == {"Order number": None, "Product": None}  # nothing written


def test_fields_check_shows_each_field_and_refuses_an_unknown_one(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = Api(desk)
    api.create_fields()
    good = tmp_path / "fields.toml"
    good.write_text(FIELDS_TOML, "utf-8")
    shown = invoke("fields", "check", str(good))
    assert shown.exit_code == 0, shown.output
    assert (
        f'"Order number" -> text field "Order number" ({api.keys["Order number"]})' in shown.output
    )
    assert "2 field(s)" in shown.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[field]]\nname = "Prodcut"\nsynonyms = { a = "b" }\n', "utf-8")
    refused = invoke("fields", "check", str(bad))
    assert refused.exit_code == 2
    assert '"Product"' in refused.output
    assert "no such field" in refused.output
    option = tmp_path / "option.toml"
    option.write_text('[[field]]\nname = "Product"\nsynonyms = { Tablet = ["ipad"] }\n', "utf-8")
    refused = invoke("fields", "check", str(option))
    assert refused.exit_code == 2
    assert "synonyms.Tablet: no such option" in refused.output
    monkeypatch.setenv("TICKETBOT_FIELDS", str(bad))
    run = invoke("run", "--engine", "rules")
    # A run goes on without that entry (it may be an option an admin renamed since), says so
    # naming the setting, and `health` stays unhealthy until the file is fixed.
    assert run.exit_code == 0, run.output
    assert "TICKETBOT_FIELDS" in run.output
    assert "this field is left alone" in " ".join(run.output.split())


def _zenpy_reads(desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api = Api(desk)
    api.create_fields()
    host = api.base.removeprefix("http://")
    monkeypatch.setenv("ZENPY_FORCE_NETLOC", host)
    monkeypatch.setenv("ZENPY_FORCE_SCHEME", "http")
    env = desk.env()
    zp = Zenpy(subdomain="x", email=env["ZENDESK_EMAIL"], token=env["ZENDESK_API_TOKEN"])
    found = {f.title: f for f in zp.ticket_fields()}
    assert found["Product"].type == "tagger"
    assert [o.name for o in found["Product"].custom_field_options] == [n for n, _ in OPTIONS]


def _python_freshdesk_reads(desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    api = Api(desk)
    api.create_fields()
    client = API("acme.freshdesk.com", desk.env()["FRESHDESK_API_KEY"])
    client._api_prefix = f"{api.base}/api/v2/"
    fields = {f.label: f for f in client.ticket_fields.list_ticket_fields()}
    assert fields["Product"].name == "cf_product"
    assert fields["Product"].choices == [n for n, _ in OPTIONS]
    assert fields["Order number"].type == "custom_text"


def _pysnc_reads(desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """pysnc takes only https instances: the same fields made on a ServiceNow sandbox serving
    TLS with a throw-away authority's certificate, then read as GlideRecords."""
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    ca, chain, key = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    authority.cert_pem.write_to_path(str(ca))
    issued.private_key_pem.write_to_path(str(key))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(chain), append=True)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca))  # pysnc merges the environment's in
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with serve_in_thread(ServiceNowConfig(ssl_certfile=chain, ssl_keyfile=key)) as tls:
        secure = ServiceNowDesk(tls)
        api = Api(secure)
        api.session.verify = str(ca)
        api.create_fields()
        client = ServiceNowClient(tls.url, secure.api_auth(), verify=str(ca))
        columns = client.GlideRecord("sys_dictionary")
        columns.add_query("name", "incident")
        columns.add_query("element", "STARTSWITH", "u_")
        columns.query()
        found = {str(c.get_value("column_label")): str(c.get_value("element")) for c in columns}
        assert found["Product"] == "u_product"
        assert found["Order number"] == "u_order_number"
        choices = client.GlideRecord("sys_choice")
        choices.add_query("element", "u_product")
        choices.order_by("sequence")
        choices.query()
        assert [str(c.get_value("label")) for c in choices] == [n for n, _ in OPTIONS]


# Each helpdesk's own Python client, reading the fields the admin made.
REAL_CLIENTS = {
    "zendesk": _zenpy_reads,
    "freshdesk": _python_freshdesk_reads,
    "servicenow": _pysnc_reads,
}


def test_the_real_clients_read_the_fields(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    REAL_CLIENTS[desk.kind](desk, monkeypatch, tmp_path)


def test_fields_check_refuses_a_pattern_only_a_backtracking_matcher_can_run(
    desk: Desk, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    api = Api(desk)
    api.create_fields()
    path = tmp_path / "fields.toml"
    path.write_text("[[field]]\nname = \"Order number\"\npattern = '(?<!X)ORD-\\d{6}'\n", "utf-8")
    refused = invoke("fields", "check", str(path))
    assert refused.exit_code == 2, refused.output
    said = " ".join(refused.output.split())  # as the terminal wrapped it
    assert 'field "Order number": pattern: RE2, which runs patterns in time linear' in said
    assert "look-around" in said
    assert "rewrite it without them" in said
    monkeypatch.setenv("TICKETBOT_FIELDS", str(path))
    run = invoke("run", "--engine", "rules")
    assert run.exit_code == 2  # and no run goes ahead with it
    assert "look-around" in " ".join(run.output.split())


def test_fields_check_refuses_a_broken_file_before_any_request(
    desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk.reset_stats()
    broken = tmp_path / "broken.toml"
    broken.write_text('[[field]]\nname = "Order number"\npattern = "(unclosed"\n', "utf-8")
    refused = invoke("fields", "check", str(broken))
    assert refused.exit_code == 2, refused.output
    assert "pattern" in refused.output
    assert sum(desk.stats()["requests"].values()) == 0  # the helpdesk was never asked
    # Nor does it need one: the file's own error comes first, whatever the connection.
    for name in [n for n in desk.env() if n.endswith(("_API_TOKEN", "_API_KEY"))]:
        monkeypatch.delenv(name, raising=False)
    not_toml = tmp_path / "not.toml"
    not_toml.write_text("[[field]\n", "utf-8")
    alone = invoke("fields", "check", str(not_toml))
    assert alone.exit_code == 2, alone.output
    assert "not valid TOML" in alone.output, alone.output
