"""Zendesk Guide (the help centre) as ``models.Article`` values, for the suggestion index.

With a time to go on from, the incremental article export
(``GET /api/v2/help_center/incremental/articles?start_time=``: agents and admins) lists what
changed since; without one — or when Zendesk refuses the export (403: not an agent) — the whole
help centre is listed (``complete``). Either way the next sync goes on from the last change seen
(Zendesk's ``end_time``; Zendesk's clock, not ours), which it lists again: at most a few
articles fetched twice, none missed. Zendesk's
export lists what changed, not what was archived: ``kb.sync.sync`` lists everything again now and
then so archived articles leave too. Drafts and
archived or deleted articles come back ``removed`` so they leave the index. Visibility follows
Zendesk's user-segment rules whole: no segment is ``everyone``; a segment of every signed-in user
(``user_type`` signed_in_users with no ``tags`` (all required), ``or_tags`` (any one),
``group_ids`` or ``organization_ids``) is ``signed_in``; anything else (staff, a segment narrowed
by any of those, a segment the listing does not name, a segment list ticketbot may not read) is
``internal``: suggested to agents, never quoted to a customer.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from ...errors import AuthError
from ...models import Article, ArticleListing, ArticleVisibility
from .client import ZendeskClient
from .help_centre import HttpApi


def parse_time(text: str) -> float | None:
    """Unix seconds of a Zendesk timestamp (``2026-01-02T03:04:05Z``), None if it is not one."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _visibility(item: dict[str, Any], signed_in: set[int]) -> ArticleVisibility:
    """An article is readable by anyone in any of its segments (``user_segment_ids``; older
    accounts name one, ``user_segment_id``); with neither key its visibility is unknown."""
    if "user_segment_ids" in item:
        listed = item.get("user_segment_ids")
        if not isinstance(listed, list):
            return "internal"
        segments: list[object] = list(listed)
        single = item.get("user_segment_id")
        if single is not None and single not in segments:
            segments.append(single)
    elif "user_segment_id" in item:
        single = item.get("user_segment_id")
        segments = [] if single is None else [single]
    else:
        return "internal"
    if not segments:
        return "everyone"
    if any(isinstance(s, int) and s in signed_in for s in segments):
        return "signed_in"
    return "internal"


# What narrows a segment to some signed-in users (Zendesk's user-segment rules).
_NARROWING = ("tags", "or_tags", "group_ids", "organization_ids")


def _every_signed_in_user(segment: dict[str, Any]) -> bool:
    return (
        isinstance(segment.get("id"), int)
        and segment.get("user_type") == "signed_in_users"
        and not any(segment.get(key) for key in _NARROWING)
    )


def _article(item: dict[str, Any], signed_in: set[int]) -> Article | None:
    if not isinstance(item.get("id"), int):
        return None
    return Article(
        id=int(item["id"]),
        title=str(item.get("title") or ""),
        body=str(item.get("body") or ""),
        url=str(item.get("html_url") or item.get("url") or ""),
        locale=str(item.get("locale") or "en-us"),
        updated_at=str(item.get("updated_at") or item.get("edited_at") or ""),
        visibility=_visibility(item, signed_in),
        removed=bool(item.get("draft")) or bool(item.get("archived")) or bool(item.get("deleted")),
    )


def list_articles(client: ZendeskClient, since: int | None) -> ArticleListing:
    try:
        segments = client.paged("/api/v2/help_center/user_segments.json", "user_segments")
    except AuthError as exc:
        if exc.status_code != 403:
            raise
        segments = []  # not readable: every segmented article stays internal
    signed_in = {int(s["id"]) for s in segments if _every_signed_in_user(s)}
    if since is not None:
        try:
            items = client.paged(
                "/api/v2/help_center/incremental/articles.json",
                "articles",
                params={"start_time": since},
            )
        except AuthError as exc:
            if exc.status_code != 403:
                raise
        else:
            last = _last_change(items, since)
            return ArticleListing(_parse(items, signed_in), complete=False, next_since=last)
    items = client.paged("/api/v2/help_center/articles.json", "articles")
    return ArticleListing(_parse(items, signed_in), complete=True, next_since=_last_change(items))


def _last_change(items: list[dict[str, Any]], default: int | None = None) -> int | None:
    stamps = (parse_time(str(i.get("updated_at") or "")) for i in items)
    return max((int(t) for t in stamps if t is not None), default=default)


def _parse(items: list[dict[str, Any]], signed_in: set[int]) -> Iterator[Article]:
    for item in items:
        article = _article(item, signed_in)
        if article is not None:
            yield article


def guide_api(client: ZendeskClient) -> HttpApi:
    """The client's connection, for publishing articles (``help_centre.publish``): the Help
    Center writes are not ticket writes, so ``ZendeskClient`` has no methods for them."""
    return client._http
