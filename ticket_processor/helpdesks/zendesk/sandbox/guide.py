"""The sandbox's help centre (Zendesk Guide): categories, sections, articles, user segments;
the account's macros are saved beside it (``macros_api.SandboxMacros``).

Objects are kept in Zendesk's JSON shapes behind one lock. An article's ``updated_at`` moves on
every change, a second past its previous value when changed twice in one second, so the
incremental export (``changed_since``) and a client comparing stamps both see every change.
Deleting an article archives it, as Zendesk does: it leaves the lists and the export.
Two user segments are built in, as in Zendesk ("Signed-in users", "Agents and managers"), and
one permission group, which every article must name. Created segments keep Zendesk's rules as
given (``tags``, ``or_tags``, ``group_ids``, ``organization_ids``, ``added_user_ids``) and serve
them back in the segment listing.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

from ....sandbox.httpbase import ApiError, not_found
from .config import invalid_field, record_invalid
from .macros_api import SandboxMacros
from .records import iso, parse_iso
from .store import TicketStore

SIGNED_IN_SEGMENT = 360000001
STAFF_SEGMENT = 360000002
PERMISSION_GROUP = 360000101
_SLUG = re.compile(r"[^a-z0-9]+")
# What an update may change: a translation (PUT .../translations/{locale}), or the article.
_TRANSLATION_KEYS = ("title", "body", "draft")
_ARTICLE_KEYS: tuple[str, ...] = ("user_segment_id", "permission_group_id", "section_id")
_ARTICLE_KEYS += ("position", "promoted", "label_names", "title", "body")


def _slug(title: str) -> str:
    return _SLUG.sub("-", title.lower()).strip("-")[:60]


class GuideStore:
    """The help centre's objects; every method is thread-safe."""

    def __init__(
        self,
        *,
        base_url: Callable[[], str],
        on_change: Callable[[], None],
        now: Callable[[], float] = time.time,
    ) -> None:
        self._base = base_url
        self._now = now
        self._on_change = on_change
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._next_id = 360001000
        self.categories: dict[int, dict[str, Any]] = {}
        self.sections: dict[int, dict[str, Any]] = {}
        self.articles: dict[int, dict[str, Any]] = {}
        created = iso(0)
        self.segments: dict[int, dict[str, Any]] = {
            SIGNED_IN_SEGMENT: _segment(SIGNED_IN_SEGMENT, "Signed-in users", "signed_in_users"),
            STAFF_SEGMENT: _segment(STAFF_SEGMENT, "Agents and managers", "staff"),
        }
        self.permission_groups = {
            PERMISSION_GROUP: {
                "id": PERMISSION_GROUP,
                "name": "Admins",
                "built_in": True,
                "edit": [],
                "publish": [],
                "created_at": created,
                "updated_at": created,
            }
        }

    def use_clock(self, now: Callable[[], float]) -> None:
        """Stamp changes on this clock (the sandbox's ``config.clock``, which tests set)."""
        self._now = now

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _stamp(self, previous: str | None = None) -> str:
        now = self._now()
        before = parse_iso(previous) if previous else None
        if before is not None and now < before + 1:
            now = before + 1
        return iso(now)

    # --- writing -------------------------------------------------------------------

    def create_category(self, fields: dict[str, Any], locale: str) -> dict[str, Any]:
        name = fields.get("name")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
        with self._lock:
            cid, stamp, base = self._new_id(), self._stamp(), self._base()
            category = _category(cid, stamp, base, name, fields, locale)
            self.categories[cid] = category
        self._on_change()
        return category

    def create_section(
        self, category_id: int, fields: dict[str, Any], locale: str
    ) -> dict[str, Any]:
        name = fields.get("name")
        if not isinstance(name, str) or not name.strip():
            raise record_invalid({"name": [invalid_field("name", "cannot be blank", "BlankValue")]})
        with self._lock:
            if category_id not in self.categories:
                raise not_found()
            sid, stamp, base = self._new_id(), self._stamp(), self._base()
            section = _section(sid, stamp, base, name, category_id, fields, locale)
            self.sections[sid] = section
        self._on_change()
        return section

    def create_article(
        self, section_id: int, fields: dict[str, Any], locale: str, author_id: int
    ) -> dict[str, Any]:
        with self._lock:
            if section_id not in self.sections:
                raise not_found()
            _check_article(fields, self.segments, self.permission_groups, creating=True)
            aid, stamp, base = self._new_id(), self._stamp(), self._base()
            article = _article(aid, stamp, base, section_id, fields, locale, author_id)
            self.articles[aid] = article
        self._on_change()
        return article

    def update_article(
        self, article_id: int, fields: dict[str, Any], locale: str | None = None
    ) -> dict[str, Any]:
        """Metadata (segment, permission group, section, position) or, with ``locale``, the
        translation (title, body, draft), as Zendesk splits them."""
        with self._lock:
            article = self.articles.get(article_id)
            if article is None or (locale is not None and article["locale"] != locale):
                raise not_found()
            _check_article(fields, self.segments, self.permission_groups, creating=False)
            for key in _TRANSLATION_KEYS if locale else _ARTICLE_KEYS:
                if key in fields:
                    article[key] = fields[key]
            article["name"] = article["title"]
            article["user_segment_ids"] = (
                [] if article["user_segment_id"] is None else [article["user_segment_id"]]
            )
            article["updated_at"] = article["edited_at"] = self._stamp(article["updated_at"])
        self._on_change()
        return article

    def archive_article(self, article_id: int) -> None:
        with self._lock:
            if self.articles.pop(article_id, None) is None:
                raise not_found()
        self._on_change()

    def create_segment(self, fields: dict[str, Any]) -> dict[str, Any]:
        user_type = fields.get("user_type")
        if user_type not in ("signed_in_users", "staff"):
            raise record_invalid(
                {"user_type": [invalid_field("user_type", "must be signed_in_users or staff")]}
            )
        with self._lock:
            sid = self._new_id()
            segment = _segment(sid, str(fields.get("name") or "Segment"), str(user_type))
            segment["built_in"] = False
            for key in ("tags", "or_tags", "group_ids", "organization_ids", "added_user_ids"):
                segment[key] = list(fields.get(key) or [])
            self.segments[sid] = segment
        self._on_change()
        return segment

    # --- reading -------------------------------------------------------------------

    def list_articles(
        self, *, locale: str | None = None, section_id: int | None = None
    ) -> list[dict[str, Any]]:
        with self._lock:
            found = [
                a
                for a in self.articles.values()
                if (locale is None or a["locale"] == locale)
                and (section_id is None or a["section_id"] == section_id)
            ]
        return sorted(found, key=lambda a: (a["position"], a["id"]))

    def changed_since(self, start_time: float) -> list[dict[str, Any]]:
        """Articles changed at or after ``start_time``, oldest change first."""
        with self._lock:
            found = [
                a for a in self.articles.values() if (parse_iso(a["updated_at"]) or 0) >= start_time
            ]
        return sorted(found, key=lambda a: (a["updated_at"], a["id"]))

    def get_article(self, article_id: int) -> dict[str, Any]:
        with self._lock:
            article = self.articles.get(article_id)
        if article is None:
            raise not_found()
        return article

    # --- persistence -----------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        with self._lock:
            return {
                "next_id": self._next_id,
                "categories": list(self.categories.values()),
                "sections": list(self.sections.values()),
                "articles": list(self.articles.values()),
                "segments": [s for s in self.segments.values() if not s["built_in"]],
            }

    def load_state(self, state: dict[str, Any] | None) -> None:
        with self._lock:
            self._reset()
            if not state:
                return
            self._next_id = int(state["next_id"])
            self.categories = {int(c["id"]): c for c in state["categories"]}
            self.sections = {int(s["id"]): s for s in state["sections"]}
            self.articles = {int(a["id"]): a for a in state["articles"]}
            self.segments.update({int(s["id"]): s for s in state["segments"]})


def _category(
    cid: int, stamp: str, base: str, name: str, fields: dict[str, Any], locale: str
) -> dict[str, Any]:
    return {
        "id": cid,
        "url": f"{base}/api/v2/help_center/{locale}/categories/{cid}.json",
        "html_url": f"{base}/hc/{locale}/categories/{cid}-{_slug(name)}",
        "position": int(fields.get("position") or 0),
        "created_at": stamp,
        "updated_at": stamp,
        "name": name,
        "description": str(fields.get("description") or ""),
        "locale": locale,
        "source_locale": locale,
        "outdated": False,
    }


def _section(
    sid: int,
    stamp: str,
    base: str,
    name: str,
    category_id: int,
    fields: dict[str, Any],
    locale: str,
) -> dict[str, Any]:
    return {
        **_category(sid, stamp, base, name, fields, locale),
        "url": f"{base}/api/v2/help_center/{locale}/sections/{sid}.json",
        "html_url": f"{base}/hc/{locale}/sections/{sid}-{_slug(name)}",
        "category_id": category_id,
        "sorting": "manual",
        "parent_section_id": None,
        "theme_template": "section_page",
    }


def _article(
    aid: int,
    stamp: str,
    base: str,
    section_id: int,
    fields: dict[str, Any],
    locale: str,
    author_id: int,
) -> dict[str, Any]:
    locale = str(fields.get("locale") or locale)
    title = str(fields["title"])
    segment = fields.get("user_segment_id")
    return {
        "id": aid,
        "url": f"{base}/api/v2/help_center/{locale}/articles/{aid}.json",
        "html_url": f"{base}/hc/{locale}/articles/{aid}-{_slug(title)}",
        "author_id": author_id,
        "comments_disabled": False,
        "draft": bool(fields.get("draft", False)),
        "promoted": bool(fields.get("promoted", False)),
        "position": int(fields.get("position") or 0),
        "vote_sum": 0,
        "vote_count": 0,
        "section_id": section_id,
        "created_at": stamp,
        "updated_at": stamp,
        "edited_at": stamp,
        "name": title,
        "title": title,
        "source_locale": locale,
        "locale": locale,
        "outdated": False,
        "outdated_locales": [],
        "permission_group_id": fields["permission_group_id"],
        "user_segment_id": segment,
        "user_segment_ids": [] if segment is None else [segment],
        "content_tag_ids": [],
        "label_names": [str(x) for x in fields.get("label_names") or []],
        "body": str(fields.get("body") or ""),
    }


def _check_article(
    fields: dict[str, Any], segments: dict[int, Any], groups: dict[int, Any], *, creating: bool
) -> None:
    details: dict[str, list[dict[str, str]]] = {}
    title = fields.get("title")
    if creating and (not isinstance(title, str) or not title.strip()):
        details["title"] = [invalid_field("title", "cannot be blank", "BlankValue")]
    # Zendesk requires both keys on create; user_segment_id null means everyone.
    if creating or "permission_group_id" in fields:
        group = fields.get("permission_group_id")
        if group not in groups:
            details["permission_group_id"] = [
                invalid_field("permission_group_id", "must be an existing permission group")
            ]
    if creating and "user_segment_id" not in fields:
        details["user_segment_id"] = [
            invalid_field("user_segment_id", "is required (null for everyone)")
        ]
    elif "user_segment_id" in fields:
        segment = fields.get("user_segment_id")
        if segment is not None and segment not in segments:
            details["user_segment_id"] = [
                invalid_field("user_segment_id", "must be an existing user segment or null")
            ]
    if details:
        raise record_invalid(details)


def _segment(sid: int, name: str, user_type: str) -> dict[str, Any]:
    created = iso(0)
    return {
        "id": sid,
        "user_type": user_type,
        "group_ids": [],
        "organization_ids": [],
        "tags": [],
        "or_tags": [],
        "added_user_ids": [],
        "name": name,
        "built_in": True,
        "created_at": created,
        "updated_at": created,
    }


def not_an_object(key: str) -> ApiError:
    return ApiError(400, {"error": "InvalidValue", "description": f"{key} must be an object"})


class GuidedStore(TicketStore):
    """The sandbox's tickets and its help centre, saved together (``persist.py``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.guide = GuideStore(base_url=lambda: self.base_url, on_change=self._guide_changed)
        self.macros = SandboxMacros(now=time.time, on_change=self._guide_changed)
        self._book.macro_title = self.macros.title_of  # an update's macro_ids, recorded

    def _guide_changed(self) -> None:
        with self._lock:
            self.writes += 1  # the persister saves when this moves

    def to_state(self) -> dict[str, Any]:
        state = super().to_state()
        return {**state, "guide": self.guide.to_state(), "macros": self.macros.to_state()}

    def load_state(self, state: dict[str, Any]) -> None:
        super().load_state(state)
        self.guide.load_state(state.get("guide"))
        self.macros.load_state(state.get("macros"))


def guide_of(store: TicketStore) -> GuideStore:
    """The help centre of a sandbox's store (a plain ``TicketStore`` has none: 404)."""
    if not isinstance(store, GuidedStore):
        raise not_found()
    return store.guide
