"""Zendesk Guide (the help centre) as ``helpdesk.Article`` values, for the suggestion index.

With a time to go on from, the incremental article export
(``GET /api/v2/help_center/incremental/articles?start_time=``: agents and admins) lists what
changed since; without one, the whole help centre is listed (``complete``). Drafts and
archived or deleted articles come back ``removed`` so they leave the index. Visibility follows
the article's user segment: none is ``everyone``, a signed-in segment is ``signed_in``, any other
(staff, a tag-restricted segment) is ``internal``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .helpdesk import Article, ArticleListing, ArticleVisibility
from .zendesk import ZendeskClient


def _visibility(segment: object, signed_in: set[int]) -> ArticleVisibility:
    if segment is None:
        return "everyone"
    return "signed_in" if isinstance(segment, int) and segment in signed_in else "internal"


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
        visibility=_visibility(item.get("user_segment_id"), signed_in),
        removed=bool(item.get("draft")) or bool(item.get("archived")) or bool(item.get("deleted")),
    )


def list_articles(client: ZendeskClient, since: int | None) -> ArticleListing:
    segments = client.paged("/api/v2/help_center/user_segments.json", "user_segments")
    signed_in = {
        int(s["id"])
        for s in segments
        if isinstance(s.get("id"), int)
        and s.get("user_type") == "signed_in_users"
        and not s.get("tags")
        and not s.get("group_ids")
        and not s.get("organization_ids")
    }
    if since is None:
        items = client.paged("/api/v2/help_center/articles.json", "articles")
        return ArticleListing(_parse(items, signed_in), complete=True)
    items = client.paged(
        "/api/v2/help_center/incremental/articles.json", "articles", params={"start_time": since}
    )
    return ArticleListing(_parse(items, signed_in), complete=False)


def _parse(items: list[dict[str, Any]], signed_in: set[int]) -> Iterator[Article]:
    for item in items:
        article = _article(item, signed_in)
        if article is not None:
            yield article
