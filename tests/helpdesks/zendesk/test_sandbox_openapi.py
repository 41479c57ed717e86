"""Every response shape the sandbox serves validates against Zendesk's own OpenAPI description.

The spec (``shared/zendesk/support-oas-2026.yaml`` beside the clone, 1.5 MB) is loaded once per
session. It carries no licence grant, so it is not vendored: these tests are marked
``shared_data``, which the README's test line deselects and ``.ci/run`` runs.
Responses are validated with openapi-schema-validator's *read* validator (a response must not
carry write-only fields), with format checks (``date-time``) and ``$ref``s resolved against the
spec's components. On top of the spec, which allows any extra property, ticket objects may only
carry properties the spec documents, so the sandbox cannot invent fields.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread

pytestmark = pytest.mark.shared_data

SPEC_FILE = Path(__file__).resolve().parents[4] / "shared" / "zendesk" / "support-oas-2026.yaml"


# libyaml's safe loader when PyYAML has it (5x faster on this 1.5 MB file), else the Python one
_SafeBase: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SpecLoader(_SafeBase):  # type: ignore[misc]
    """A safe loader plus the ``=`` (``tag:yaml.org,2002:value``) scalar the spec uses."""


_SpecLoader.add_constructor(
    "tag:yaml.org,2002:value",
    lambda loader, node: loader.construct_scalar(node),
)


@pytest.fixture(scope="session")
def zendesk_spec() -> dict[str, Any]:
    if not SPEC_FILE.exists():
        pytest.fail(f"Zendesk's OpenAPI description is missing: {SPEC_FILE}")
    with SPEC_FILE.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=_SpecLoader)  # noqa: S506 - SafeLoader subclass
    _allow_null_in_nullable_enums(spec)
    return spec


def _allow_null_in_nullable_enums(node: Any) -> None:
    """Add ``None`` to every ``enum`` of a ``nullable: true`` schema.

    The spec marks ``priority`` and ``type`` nullable but lists only strings in their enums;
    under OpenAPI 3.0.3's rules that forbids null, yet real Zendesk answers ``"type": null``
    for a ticket without a type. We follow Zendesk's behaviour and read the spec's intent.
    """
    if isinstance(node, dict):
        enum = node.get("enum")
        if node.get("nullable") is True and isinstance(enum, list) and None not in enum:
            enum.append(None)
        for value in node.values():
            _allow_null_in_nullable_enums(value)
    elif isinstance(node, list):
        for value in node:
            _allow_null_in_nullable_enums(value)


def response_schema(spec: dict[str, Any], path: str, method: str, status: str) -> dict[str, Any]:
    """The JSON schema of one documented response (fails the test if the spec lacks it)."""
    operation = spec["paths"][path][method.lower()]
    content = operation["responses"][status]["content"]["application/json"]
    schema: dict[str, Any] = content["schema"]
    return schema


def errors_against(spec: dict[str, Any], schema: dict[str, Any], body: Any) -> list[str]:
    """Validation errors of ``body``; ``$ref``s resolve inside the spec's components."""
    validator = OAS30ReadValidator(
        {**schema, "components": spec["components"]}, format_checker=oas30_format_checker
    )
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
        for e in validator.iter_errors(body)
    ]


def undocumented_ticket_fields(spec: dict[str, Any], ticket: dict[str, Any]) -> set[str]:
    documented = set(spec["components"]["schemas"]["TicketObject"]["properties"])
    return set(ticket) - documented


# --- one sandbox, one call per documented response ----------------------------------------

# name -> (spec path, method, status)
EXCHANGES: dict[str, tuple[str, str, str]] = {
    "users_me": ("/api/v2/users/me", "GET", "200"),
    "create": ("/api/v2/tickets", "POST", "201"),
    "show": ("/api/v2/tickets/{ticket_id}", "GET", "200"),
    "update": ("/api/v2/tickets/{ticket_id}", "PUT", "200"),
    "list_cursor": ("/api/v2/tickets", "GET", "200"),
    "list_offset": ("/api/v2/tickets", "GET", "200"),
    "show_many": ("/api/v2/tickets/show_many", "GET", "200"),
    "create_many": ("/api/v2/tickets/create_many", "POST", "200"),
    "create_many_done": ("/api/v2/job_statuses/{job_status_id}", "GET", "200"),
    "update_many": ("/api/v2/tickets/update_many", "PUT", "200"),
    "update_many_done": ("/api/v2/job_statuses/{job_status_id}", "GET", "200"),
    "tags_list": ("/api/v2/tickets/{ticket_id}/tags", "GET", "200"),
    "tags_add": ("/api/v2/tickets/{ticket_id}/tags", "PUT", "200"),
    "tags_set": ("/api/v2/tickets/{ticket_id}/tags", "POST", "201"),
    "tags_remove": ("/api/v2/tickets/{ticket_id}/tags", "DELETE", "200"),
    "comments": ("/api/v2/tickets/{ticket_id}/comments", "GET", "200"),
    "comment_redact_string": (
        "/api/v2/tickets/{ticket_id}/comments/{ticket_comment_id}/redact",
        "PUT",
        "200",
    ),
    "comment_redaction": ("/api/v2/comment_redactions/{ticket_comment_id}", "PUT", "200"),
    "search": ("/api/v2/search", "GET", "200"),
    "incremental": ("/api/v2/incremental/tickets/cursor", "GET", "200"),
    "groups_create": ("/api/v2/groups", "POST", "201"),
    "groups_list": ("/api/v2/groups", "GET", "200"),
    "groups_show_deleted": ("/api/v2/groups/{group_id}", "GET", "200"),
    "users_create": ("/api/v2/users", "POST", "201"),
    "users_list": ("/api/v2/users", "GET", "200"),
    "memberships_create": ("/api/v2/group_memberships", "POST", "201"),
    "memberships_list": ("/api/v2/group_memberships", "GET", "200"),
    # The webhooks API is not in the Support spec; the triggers that call a webhook are.
    "triggers_create": ("/api/v2/triggers", "POST", "201"),
    "triggers_show": ("/api/v2/triggers/{trigger_id}", "GET", "200"),
    "triggers_list": ("/api/v2/triggers", "GET", "200"),
    "macros_create": ("/api/v2/macros", "POST", "200"),
    "macros_list": ("/api/v2/macros", "GET", "200"),
    "macros_active": ("/api/v2/macros/active", "GET", "200"),
    "macros_show": ("/api/v2/macros/{macro_id}", "GET", "200"),
    # Zendesk documents its error envelope on a few endpoints only; these are the ones
    # whose documented 401 / 404 bodies are the same envelope the ticket endpoints answer with.
    "error_401": ("/api/v2/users/me/settings", "PUT", "401"),
    "error_404": ("/api/v2/ticket_content_pins/{content_pin_id}", "DELETE", "404"),
}


def _finished(s: requests.Session, url: str) -> dict[str, Any]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        body: dict[str, Any] = s.get(url, timeout=5).json()
        if body["job_status"]["status"] == "completed":
            return body
        time.sleep(0.005)
    raise AssertionError("job did not complete")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[RunningSandbox, dict[str, tuple[int, Any]]]]:
    """Run every exchange once against one sandbox: name -> (status code, JSON body)."""
    with serve_in_thread(SandboxConfig()) as sb:
        s = requests.Session()
        s.auth = sandbox_auth(sb)
        api = f"{sb.url}/api/v2"
        out: dict[str, tuple[int, Any]] = {}

        def keep(name: str, r: requests.Response) -> Any:
            out[name] = (r.status_code, r.json())
            return r.json()

        keep("users_me", s.get(f"{api}/users/me.json", timeout=5))
        new = {
            "subject": "Card charged twice",
            "comment": {"body": "Please refund."},
            "priority": "normal",
            "tags": ["billing"],
            "requester": {"name": "Ana", "email": "ana@example.com"},
        }
        ticket = keep("create", s.post(f"{api}/tickets.json", json={"ticket": new}))["ticket"]
        tid = ticket["id"]
        keep("show", s.get(f"{api}/tickets/{tid}.json", timeout=5))
        change = {
            "priority": "high",
            "additional_tags": ["ai_processed"],
            "comment": {"body": "Category: billing", "public": False},
            "safe_update": True,
            "updated_stamp": ticket["updated_at"],
        }
        keep("update", s.put(f"{api}/tickets/{tid}.json", json={"ticket": change}))
        batch = [{"subject": f"t{i}", "comment": {"body": "b"}} for i in range(3)]
        job = keep(
            "create_many", s.post(f"{api}/tickets/create_many.json", json={"tickets": batch})
        )
        out["create_many_done"] = (200, _finished(s, job["job_status"]["url"]))
        keep("list_cursor", s.get(f"{api}/tickets.json", params={"page[size]": 2}, timeout=5))
        keep("list_offset", s.get(f"{api}/tickets.json", params={"per_page": 2}, timeout=5))
        keep("show_many", s.get(f"{api}/tickets/show_many.json", params={"ids": "1,2,3"}))
        many = {"tickets": [{"id": 2, "priority": "low"}, {"id": 3, "priority": "bogus"}]}
        job = keep("update_many", s.put(f"{api}/tickets/update_many.json", json=many))
        out["update_many_done"] = (200, _finished(s, job["job_status"]["url"]))
        tags = f"{api}/tickets/{tid}/tags.json"
        keep("tags_add", s.put(tags, json={"tags": ["vip"]}, timeout=5))
        keep("tags_set", s.post(tags, json={"tags": ["a", "b"]}, timeout=5))
        keep("tags_remove", s.delete(tags, json={"tags": ["a"]}, timeout=5))
        keep("tags_list", s.get(tags, timeout=5))
        keep("comments", s.get(f"{api}/tickets/{tid}/comments.json", timeout=5))
        first = s.get(f"{api}/tickets/{tid}/comments.json", timeout=5).json()["comments"][0]
        words = first["plain_body"].split()
        redact = {"text": words[0]}
        keep(
            "comment_redact_string",
            s.put(f"{api}/tickets/{tid}/comments/{first['id']}/redact.json", json=redact),
        )
        tagged = first["html_body"].replace(words[-1], f"<redact>{words[-1]}</redact>", 1)
        workspace = {"ticket_id": tid, "html_body": tagged}
        keep(
            "comment_redaction",
            s.put(f"{api}/comment_redactions/{first['id']}.json", json=workspace, timeout=5),
        )
        query = {"query": "type:ticket status<solved", "per_page": "2"}
        keep("search", s.get(f"{api}/search.json", params=query, timeout=5))
        cursor = {"start_time": "0", "per_page": "2"}
        keep("incremental", s.get(f"{api}/incremental/tickets/cursor.json", params=cursor))
        group = keep(
            "groups_create", s.post(f"{api}/groups.json", json={"group": {"name": "Billing"}})
        )
        keep("groups_list", s.get(f"{api}/groups.json", timeout=5))
        retired = s.post(f"{api}/groups.json", json={"group": {"name": "Retired"}}).json()
        retired_url = f"{api}/groups/{retired['group']['id']}.json"
        assert s.delete(retired_url, timeout=5).status_code == 204  # DeleteGroup: no content
        keep("groups_show_deleted", s.get(retired_url, timeout=5))
        agent = {"name": "Bea Biller", "email": "bea@example.com", "role": "agent"}
        user = keep("users_create", s.post(f"{api}/users.json", json={"user": agent}))
        keep("users_list", s.get(f"{api}/users.json", params={"role[]": "agent"}, timeout=5))
        member = {"user_id": user["user"]["id"], "group_id": group["group"]["id"]}
        keep(
            "memberships_create",
            s.post(f"{api}/group_memberships.json", json={"group_membership": member}),
        )
        keep("memberships_list", s.get(f"{api}/group_memberships.json", timeout=5))
        hook = {
            "name": "ticketbot",
            "endpoint": "https://ticketbot.example.com/webhooks/zendesk",
            "subscriptions": ["conditional_ticket_events"],
        }
        webhook = s.post(f"{api}/webhooks", json={"webhook": hook}, timeout=5).json()["webhook"]
        created = {"field": "update_type", "operator": "is", "value": "Create"}
        body = '{"ticket_id": "{{ticket.id}}", "event": "created"}'
        call = {"field": "notification_webhook", "value": [webhook["id"], body]}
        rule = {"title": "ticketbot", "conditions": {"all": [created]}, "actions": [call]}
        made = keep("triggers_create", s.post(f"{api}/triggers.json", json={"trigger": rule}))
        keep("triggers_show", s.get(f"{api}/triggers/{made['trigger']['id']}.json", timeout=5))
        keep("triggers_list", s.get(f"{api}/triggers.json", timeout=5))
        # The description types an action's value as a string (Zendesk also answers
        # ``comment_value`` as ``[channel, text]``, which the adapter reads: test_macro_sandboxes).
        reply = {"field": "comment_value", "value": "Your refund is on its way."}
        public = {"field": "comment_mode_is_public", "value": "true"}
        macro = {"title": "Refund", "actions": [reply, public]}
        made = keep("macros_create", s.post(f"{api}/macros.json", json={"macro": macro}))
        keep("macros_list", s.get(f"{api}/macros.json", timeout=5))
        keep("macros_active", s.get(f"{api}/macros/active.json", timeout=5))
        keep("macros_show", s.get(f"{api}/macros/{made['macro']['id']}.json", timeout=5))
        keep("error_401", requests.get(f"{api}/tickets/{tid}.json", timeout=5))
        keep("error_404", s.get(f"{api}/tickets/999999.json", timeout=5))
        yield sb, out


@pytest.mark.parametrize("name", sorted(EXCHANGES))
def test_response_validates_against_zendesk_spec(
    zendesk_spec: dict[str, Any],
    served: tuple[RunningSandbox, dict[str, tuple[int, Any]]],
    name: str,
) -> None:
    path, method, status = EXCHANGES[name]
    code, body = served[1][name]
    assert str(code) == status, body
    assert (
        errors_against(zendesk_spec, response_schema(zendesk_spec, path, method, status), body)
        == []
    )


def _tickets_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [body[k] for k in ("ticket",) if k in body]
    found += body.get("tickets", []) + body.get("results", [])
    return found


def test_ticket_objects_only_carry_documented_fields(
    zendesk_spec: dict[str, Any], served: tuple[RunningSandbox, dict[str, tuple[int, Any]]]
) -> None:
    responses = served[1]
    checked = 0
    for name in ("create", "show", "update", "list_cursor", "show_many", "search", "incremental"):
        for ticket in _tickets_in(responses[name][1]):
            extra = undocumented_ticket_fields(zendesk_spec, ticket) - {"result_type"}
            assert extra == set(), f"{name}: {extra}"
            checked += 1
    assert checked >= 10


def test_job_results_match_the_documented_result_kinds(
    served: tuple[RunningSandbox, dict[str, tuple[int, Any]]],
) -> None:
    created = served[1]["create_many_done"][1]["job_status"]["results"]
    updated = served[1]["update_many_done"][1]["job_status"]["results"]
    assert all(set(r) == {"id", "index"} for r in created)
    assert updated[0] == {"id": 2, "action": "update", "success": True, "status": "Updated"}
    assert updated[1]["success"] is False
    assert {"id", "action", "error", "success", "details"} <= set(updated[1])


def test_error_bodies_are_zendesks(
    served: tuple[RunningSandbox, dict[str, tuple[int, Any]]],
) -> None:
    assert served[1]["error_401"][1] == {"error": "Couldn't authenticate you"}
    # the spec's own example for a 404
    assert served[1]["error_404"][1] == {"description": "Not found", "error": "RecordNotFound"}


# --- the validation itself must be able to fail ------------------------------------------


@pytest.mark.parametrize(
    ("path", "method", "status", "broken"),
    [
        ("/api/v2/tickets/{ticket_id}", "GET", "200", {"ticket": {"id": "seven"}}),
        ("/api/v2/tickets/{ticket_id}", "GET", "200", {"ticket": {"priority": "asap"}}),
        ("/api/v2/tickets/{ticket_id}", "GET", "200", {"ticket": {"created_at": "yesterday"}}),
        ("/api/v2/tickets/{ticket_id}", "GET", "200", {"ticket": {"safe_update": True}}),
        ("/api/v2/tickets/{ticket_id}/tags", "GET", "200", {"tag": ["a"]}),
        ("/api/v2/search", "GET", "200", {"results": {"id": 1}}),
        (
            "/api/v2/job_statuses/{job_status_id}",
            "GET",
            "200",
            {
                "job_status": {
                    "results": [
                        {
                            "id": 1,
                            "index": 0,
                            "action": "update",
                            "success": True,
                            "status": "Updated",
                        }
                    ]
                }
            },
        ),
        (
            "/api/v2/incremental/tickets/cursor",
            "GET",
            "200",
            {"tickets": [], "end_of_stream": "yes"},
        ),
    ],
)
def test_a_broken_body_fails_validation(
    zendesk_spec: dict[str, Any], path: str, method: str, status: str, broken: dict[str, Any]
) -> None:
    assert errors_against(zendesk_spec, response_schema(zendesk_spec, path, method, status), broken)


def test_an_invented_ticket_field_is_caught(zendesk_spec: dict[str, Any]) -> None:
    assert undocumented_ticket_fields(zendesk_spec, {"id": 1, "sandbox_secret": 1}) == {
        "sandbox_secret"
    }


def test_ticket_event_export_validates_against_zendesk_spec(zendesk_spec: dict[str, Any]) -> None:
    """The time-based ticket event export, with and without comment events, a comment's
    redaction among them; the sandbox's clock is moved past the minute the export leaves out."""
    now = [time.time()]
    with serve_in_thread(SandboxConfig(clock=lambda: now[0])) as sb:
        sb.store.use_clock(lambda: now[0])
        start = int(now[0]) - 120
        ticket = sb.store.create({"subject": "s", "comment": {"body": "b"}, "tags": ["x"]})
        requester = {"body": "more", "public": True, "author_id": ticket["requester_id"]}
        sb.store.update(ticket["id"], {"comment": requester, "status": "open"})
        first = sb.store.comments(ticket["id"])[0]
        redaction = {"ticket_id": ticket["id"], "html_body": "<p><redact>b</redact></p>"}
        redacted = requests.put(
            f"{sb.url}/api/v2/comment_redactions/{first['id']}.json",
            json=redaction,
            auth=sandbox_auth(sb),
            timeout=5,
        )
        assert redacted.json()["comment"]["body"] == "\u2587"
        now[0] += 61
        schema = response_schema(zendesk_spec, "/api/v2/incremental/ticket_events", "GET", "200")
        for include in ("comment_events", ""):
            answer = requests.get(
                f"{sb.url}/api/v2/incremental/ticket_events.json",
                params={"start_time": str(start), "include": include},
                auth=sandbox_auth(sb),
                timeout=5,
            )
            body = answer.json()
            assert answer.status_code == 200
            assert body["count"] == 3  # the creation, the update, the comment's redaction
            assert errors_against(zendesk_spec, schema, body) == []
            kinds = [c["event_type"] for c in body["ticket_events"][-1]["child_events"]]
            assert kinds == ["CommentRedactionEvent"]
            assert b'"b"' not in answer.content  # the comment's text is gone from the export
