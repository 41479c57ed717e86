"""Zendesk user segments decide who may read an article, whole: ``tags`` (all required),
``or_tags`` (any one), ``group_ids``, ``organization_ids`` and ``user_type``. Only an article
every signed-in user may read is ``signed_in`` (quotable to a customer); one narrowed by any rule,
one whose segment the listing does not name, one whose segments ticketbot may not read, is
``internal``. Over the Zendesk sandbox's Help Center API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from test_kb import Api, _settings, published

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.run.connect import connect

NARROWING: dict[str, dict[str, Any]] = {
    "or_tags": {"or_tags": ["vip", "beta"]},
    "tags": {"tags": ["enterprise"]},
    "group_ids": {"group_ids": [360000101]},
    "organization_ids": {"organization_ids": [42]},
}


def _segment(api: Api, name: str, **fields: Any) -> int:
    body = {"user_segment": {"name": name, "user_type": "signed_in_users", **fields}}
    created = api.request("POST", "/api/v2/help_center/user_segments.json", json=body)
    return int(created["user_segment"]["id"])


def _place(api: Api, article: int, segment: int | None) -> None:
    body = {"article": {"user_segment_id": segment}}
    api.request("PUT", f"/api/v2/help_center/articles/{article}.json", json=body)


def _visibility(sandbox: RunningSandbox, tmp_path: Path) -> dict[int, str]:
    helpdesk = connect(_settings(sandbox, tmp_path))
    try:
        return {a.id: a.visibility for a in helpdesk.articles(None).articles}
    finally:
        helpdesk.close()


def test_a_segment_narrowed_by_any_rule_is_internal(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    api = Api(sandbox)
    ids = sorted(set(published(sandbox).values()))
    everyone, signed_in, *narrowed = ids[: 2 + len(NARROWING)]
    _place(api, signed_in, _segment(api, "Customers with an account"))
    for article, (name, fields) in zip(narrowed, NARROWING.items(), strict=True):
        _place(api, article, _segment(api, name, **fields))
    segments = api.request("GET", "/api/v2/help_center/user_segments.json")["user_segments"]
    served = {s["name"]: s for s in segments}
    assert served["or_tags"]["or_tags"] == ["vip", "beta"]  # the sandbox serves the rules
    seen = _visibility(sandbox, tmp_path)
    assert seen[everyone] == "everyone"
    assert seen[signed_in] == "signed_in"
    assert {name: seen[a] for a, name in zip(narrowed, NARROWING, strict=True)} == {
        name: "internal" for name in NARROWING
    }


def test_segments_that_cannot_be_read_leave_segmented_articles_internal(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    api = Api(sandbox)
    ids = sorted(set(published(sandbox).values()))
    _place(api, ids[1], _segment(api, "Customers with an account"))
    sandbox.config.faults = ["403 GET /api/v2/help_center/user_segments"]
    seen = _visibility(sandbox, tmp_path)
    assert seen[ids[0]] == "everyone"
    assert seen[ids[1]] == "internal"
