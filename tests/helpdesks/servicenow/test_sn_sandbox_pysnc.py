"""pysnc, ServiceNow's own Python client, drives the ServiceNow sandbox unchanged over TLS: what
it sends (``sysparm_display_value=all``, ``sysparm_exclude_reference_link=true``, ``ORDERBYsys_id``
paging by ``X-Total-Count``, PATCH with the changed fields, the Batch API) the sandbox answers
as an instance would, so pysnc reads its records, references and counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import certifi
import pytest
import requests
import trustme
from pysnc import ServiceNowClient  # type: ignore[import-untyped]
from pysnc.auth import ServiceNowClientCredentialsFlow  # type: ignore[import-untyped]

from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.serving import (
    RunningServiceNow,
    serve_in_thread,
)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """(CA certificate, server certificate chain, key): a throw-away CA for 127.0.0.1."""
    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    issued = authority.issue_cert("127.0.0.1")
    ca, chain, key = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    authority.cert_pem.write_to_path(str(ca))
    issued.private_key_pem.write_to_path(str(key))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(chain), append=True)
    return ca, chain, key


@pytest.fixture
def instance(certificate: tuple[Path, Path, Path]) -> Iterator[RunningServiceNow]:
    _, chain, key = certificate
    with serve_in_thread(ServiceNowConfig(ssl_certfile=chain, ssl_keyfile=key)) as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def trusted(certificate: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """pysnc sends with the environment's settings merged in, and requests lets
    ``REQUESTS_CA_BUNDLE`` (set on many machines) win over the session's ``verify``: the
    throw-away CA is the bundle for these tests."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)


@pytest.fixture
def client(instance: RunningServiceNow, certificate: tuple[Path, Path, Path]) -> ServiceNowClient:
    credentials = (instance.config.user, instance.config.password)
    return ServiceNowClient(instance.url, credentials, verify=str(certificate[0]))


def certifi_bundle() -> str:
    return str(certifi.where())


def _incidents(client: ServiceNowClient, count: int) -> list[str]:
    made = []
    for n in range(count):
        record = client.GlideRecord("incident")
        record.initialize()
        record.short_description = f"Printer {n} jams"
        record.urgency = "1" if n % 2 else "3"
        made.append(str(record.insert()))
    return made


def test_the_sandbox_serves_https_on_its_url(instance: RunningServiceNow) -> None:
    assert instance.url.startswith("https://127.0.0.1:")
    with pytest.raises(requests.exceptions.SSLError):
        # The system's authorities do not know the throw-away CA.
        requests.get(f"{instance.url}/api/now/table/incident", timeout=5, verify=certifi_bundle())


def test_insert_then_get_by_sys_id(client: ServiceNowClient) -> None:
    sys_id = _incidents(client, 1)[0]
    record = client.GlideRecord("incident")
    assert record.get(sys_id)
    assert record.get_value("number") == "INC0010001"
    assert record.get_value("priority") == "5"  # impact 3 × urgency 3
    assert record.get_display_value("state") == "New"
    assert not client.GlideRecord("incident").get("0" * 32)


def test_query_pages_through_more_records_than_a_batch(client: ServiceNowClient) -> None:
    _incidents(client, 7)
    record = client.GlideRecord("incident", batch_size=3)
    record.add_query("short_description", "STARTSWITH", "Printer")
    record.query()
    assert record.get_row_count() == 7
    seen = [str(r.get_value("number")) for r in record]
    assert sorted(seen) == [f"INC001000{n}" for n in range(1, 8)]


def test_add_query_or_condition_and_encoded_query(client: ServiceNowClient) -> None:
    _incidents(client, 4)
    record = client.GlideRecord("incident")
    condition = record.add_query("number", "INC0010001")
    condition.add_or_condition("number", "INC0010004")
    record.query()
    assert sorted(str(r.number) for r in record) == ["INC0010001", "INC0010004"]

    urgent = client.GlideRecord("incident")
    urgent.add_encoded_query("urgency=1^priority<=3")
    urgent.query()
    assert urgent.get_row_count() == 2
    assert {str(r.get_value("urgency")) for r in urgent} == {"1"}


def test_update_writes_only_the_changes_and_the_instance_computes_priority(
    client: ServiceNowClient, instance: RunningServiceNow
) -> None:
    sys_id = _incidents(client, 1)[0]
    record = client.GlideRecord("incident")
    assert record.get(sys_id)
    record.impact = "1"
    record.urgency = "1"
    record.work_notes = "Checked the spooler"
    assert record.update() == sys_id
    assert record.get_value("priority") == "1"
    assert record.get_value("sys_mod_count") == "1"
    assert "Checked the spooler" in str(record.get_display_value("work_notes"))
    journal = instance.store.journal("incident", sys_id)
    assert [(e["element"], e["value"]) for e in journal] == [("work_notes", "Checked the spooler")]


def test_reference_value_and_display_value(client: ServiceNowClient) -> None:
    record = client.GlideRecord("incident")
    record.initialize()
    record.short_description = "VPN drops"
    record.assignment_group = "Technical"  # a display value: the instance finds the group
    sys_id = record.insert()
    again = client.GlideRecord("incident")
    assert again.get(sys_id)
    assert again.get_display_value("assignment_group") == "Technical"
    groups = client.GlideRecord("sys_user_group")
    assert groups.get("name", "Technical")
    assert again.get_value("assignment_group") == groups.get_value("sys_id")


def test_delete_removes_the_record(client: ServiceNowClient) -> None:
    sys_id = _incidents(client, 1)[0]
    record = client.GlideRecord("incident")
    assert record.get(sys_id)
    assert record.delete()
    assert not client.GlideRecord("incident").get(sys_id)


def test_update_and_delete_multiple_go_through_the_batch_api(
    client: ServiceNowClient, instance: RunningServiceNow
) -> None:
    _incidents(client, 3)
    record = client.GlideRecord("incident")
    record.query()
    for each in record:
        each.state = "2"
    assert record.update_multiple()
    assert {row["state"] for row in instance.store.rows("incident")} == {"2"}

    doomed = client.GlideRecord("incident")
    doomed.add_query("urgency", "1")
    assert doomed.delete_multiple()
    assert [row["urgency"] for row in instance.store.rows("incident")] == ["3", "3"]
    assert instance.stats()["requests"]["POST /api/now/v1/batch"] == 2


def test_client_credentials_flow_gets_a_bearer_token(
    instance: RunningServiceNow,
    certificate: tuple[Path, Path, Path],
) -> None:
    # pysnc's token request is a bare requests.post: it trusts the CA through the environment.
    flow = ServiceNowClientCredentialsFlow(instance.config.client_id, "wrong-secret")
    with pytest.raises(Exception, match="401"):
        ServiceNowClient(instance.url, flow, verify=str(certificate[0]))
    flow = ServiceNowClientCredentialsFlow(instance.config.client_id, instance.config.client_secret)
    client = ServiceNowClient(instance.url, flow, verify=str(certificate[0]))
    users = client.GlideRecord("sys_user")
    users.add_query("user_name", instance.config.user)
    users.query()
    assert users.get_row_count() == 1
    assert instance.stats()["tokens_issued"] >= 1
