"""The help-centre endpoints the sandbox serves, in Zendesk Guide's shapes.

Categories, sections and articles (create, list — also scoped to a locale or a section —,
show, update, archive, search), the incremental article export (agents and admins:
``start_time`` in, up to 1,000 articles a page, the next page's ``start_time`` is the last
article's change, recorded as ``end_time``), user segments and permission groups. Lists page
by offset (``page``, ``per_page`` ≤ 100, absolute ``next_page``) like the Help Center API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .config import bad_request
from .guide import guide_of, not_an_object
from .records import parse_iso
from .ticket_book import AGENT_ID

if TYPE_CHECKING:
    from .routes import Call, Services

DEFAULT_LOCALE = "en-us"
EXPORT_PAGE = 1000


def _fields(call: Call, key: str) -> dict[str, Any]:
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise not_an_object(key)
    return dict(body[key])


def _int(value: str | None, name: str, default: int) -> int:
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request("InvalidValue", f"{name} must be an integer") from None


def _page(call: Call, key: str, items: list[dict[str, Any]]) -> tuple[int, Any]:
    per_page = min(max(_int(call.query.get("per_page"), "per_page", 30), 1), 100)
    page = max(_int(call.query.get("page"), "page", 1), 1)
    start = (page - 1) * per_page
    count = len(items)
    pages = max((count + per_page - 1) // per_page, 1)

    def link(number: int) -> str:
        query = {**call.query, "page": str(number), "per_page": str(per_page)}
        return f"{call.base}{call.path}?{urlencode(query)}"

    return 200, {
        key: items[start : start + per_page],
        "page": page,
        "per_page": per_page,
        "page_count": pages,
        "count": count,
        "next_page": link(page + 1) if page < pages else None,
        "previous_page": link(page - 1) if page > 1 else None,
        "sort_by": "position",
        "sort_order": "asc",
    }


def _locale(call: Call, position: int = 0) -> str | None:
    """The locale segment of the path, if the route has one at ``position``."""
    return call.args[position] if len(call.args) > position else None


# --- categories and sections -------------------------------------------------------


def list_categories(svc: Services, call: Call) -> tuple[int, Any]:
    locale = _locale(call)
    found = [c for c in guide_of(svc.store).categories.values() if locale in (None, c["locale"])]
    return _page(call, "categories", found)


def create_category(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _fields(call, "category")
    locale = _locale(call) or str(fields.get("locale") or DEFAULT_LOCALE)
    return 201, {"category": guide_of(svc.store).create_category(fields, locale)}


def list_sections(svc: Services, call: Call) -> tuple[int, Any]:
    locale = _locale(call)
    found = [s for s in guide_of(svc.store).sections.values() if locale in (None, s["locale"])]
    return _page(call, "sections", found)


def create_section(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _fields(call, "section")
    *prefix, category_id = call.args
    locale = prefix[0] if prefix else str(fields.get("locale") or DEFAULT_LOCALE)
    return 201, {"section": guide_of(svc.store).create_section(int(category_id), fields, locale)}


# --- articles ------------------------------------------------------------------------


def list_articles(svc: Services, call: Call) -> tuple[int, Any]:
    return _page(call, "articles", guide_of(svc.store).list_articles(locale=_locale(call)))


def list_section_articles(svc: Services, call: Call) -> tuple[int, Any]:
    *prefix, section_id = call.args
    locale = prefix[0] if prefix else None
    found = guide_of(svc.store).list_articles(locale=locale, section_id=int(section_id))
    return _page(call, "articles", found)


def create_article(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _fields(call, "article")
    *prefix, section_id = call.args
    locale = prefix[0] if prefix else str(fields.get("locale") or DEFAULT_LOCALE)
    article = guide_of(svc.store).create_article(int(section_id), fields, locale, AGENT_ID)
    return 201, {"article": article}


def show_article(svc: Services, call: Call) -> tuple[int, Any]:
    return 200, {"article": guide_of(svc.store).get_article(int(call.args[-1]))}


def update_article(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _fields(call, "article")
    return 200, {"article": guide_of(svc.store).update_article(int(call.args[-1]), fields)}


def update_translation(svc: Services, call: Call) -> tuple[int, Any]:
    fields = _fields(call, "translation")
    article_id, locale = int(call.args[0]), call.args[1]
    article = guide_of(svc.store).update_article(article_id, fields, locale)
    translation = {
        "id": article_id,
        "source_id": article_id,
        "source_type": "Article",
        "locale": locale,
        "title": article["title"],
        "body": article["body"],
        "draft": article["draft"],
        "outdated": False,
        "created_at": article["created_at"],
        "updated_at": article["updated_at"],
    }
    return 200, {"translation": translation}


def archive_article(svc: Services, call: Call) -> tuple[int, Any]:
    guide_of(svc.store).archive_article(int(call.args[-1]))
    return 204, None


def search_articles(svc: Services, call: Call) -> tuple[int, Any]:
    query = (call.query.get("query") or "").strip().lower()
    if not query:
        raise bad_request("InvalidValue", "query is required")
    words = query.split()
    locale = call.query.get("locale")
    scored = []
    for article in guide_of(svc.store).list_articles(locale=locale):
        if article["draft"]:
            continue
        text = f"{article['title']} {article['body']}".lower()
        hits = sum(text.count(w) for w in words)
        if all(w in text for w in words):
            scored.append((-hits, article["id"], article))
    results = [
        {**a, "result_type": "article", "snippet": a["body"][:150]} for _, _, a in sorted(scored)
    ]
    return _page(call, "results", results)


def incremental_articles(svc: Services, call: Call) -> tuple[int, Any]:
    raw = call.query.get("start_time")
    if not raw:
        raise bad_request("InvalidValue", "start_time is required")
    start = _int(raw, "start_time", 0)
    changed = guide_of(svc.store).changed_since(start)
    page = changed[:EXPORT_PAGE]
    end_time = int(parse_iso(page[-1]["updated_at"]) or start) if page else start
    more = len(changed) > EXPORT_PAGE
    next_page = (
        f"{call.base}/api/v2/help_center/incremental/articles.json?start_time={end_time}"
        if more
        else None
    )
    return 200, {"articles": page, "count": len(page), "next_page": next_page, "end_time": end_time}


# --- user segments and permission groups --------------------------------------------


def list_user_segments(svc: Services, call: Call) -> tuple[int, Any]:
    return _page(call, "user_segments", list(guide_of(svc.store).segments.values()))


def create_user_segment(svc: Services, call: Call) -> tuple[int, Any]:
    return 201, {"user_segment": guide_of(svc.store).create_segment(_fields(call, "user_segment"))}


def list_permission_groups(svc: Services, call: Call) -> tuple[int, Any]:
    return _page(call, "permission_groups", list(guide_of(svc.store).permission_groups.values()))


_HC = "/api/v2/help_center"
GUIDE_ROUTES: list[tuple[str, str, Any]] = [
    ("GET", f"{_HC}/incremental/articles", incremental_articles),
    ("GET", f"{_HC}/articles/search", search_articles),
    ("GET", f"{_HC}/categories", list_categories),
    ("GET", f"{_HC}/{{locale}}/categories", list_categories),
    ("POST", f"{_HC}/categories", create_category),
    ("POST", f"{_HC}/{{locale}}/categories", create_category),
    ("GET", f"{_HC}/sections", list_sections),
    ("GET", f"{_HC}/{{locale}}/sections", list_sections),
    ("POST", f"{_HC}/categories/{{id}}/sections", create_section),
    ("POST", f"{_HC}/{{locale}}/categories/{{id}}/sections", create_section),
    ("GET", f"{_HC}/articles", list_articles),
    ("GET", f"{_HC}/{{locale}}/articles", list_articles),
    ("GET", f"{_HC}/sections/{{id}}/articles", list_section_articles),
    ("GET", f"{_HC}/{{locale}}/sections/{{id}}/articles", list_section_articles),
    ("POST", f"{_HC}/sections/{{id}}/articles", create_article),
    ("POST", f"{_HC}/{{locale}}/sections/{{id}}/articles", create_article),
    ("GET", f"{_HC}/articles/{{id}}", show_article),
    ("GET", f"{_HC}/{{locale}}/articles/{{id}}", show_article),
    ("PUT", f"{_HC}/articles/{{id}}", update_article),
    ("PUT", f"{_HC}/articles/{{id}}/translations/{{locale}}", update_translation),
    ("DELETE", f"{_HC}/articles/{{id}}", archive_article),
    ("GET", f"{_HC}/user_segments", list_user_segments),
    ("POST", f"{_HC}/user_segments", create_user_segment),
    ("GET", "/api/v2/guide/permission_groups", list_permission_groups),
]
