"""Publishing a help centre into Zendesk Guide: ``seed``'s sample articles, or a team's own.

``HelpCentreArticle`` is one article as a JSON line (``title``, ``body`` HTML, ``locale``,
``visibility`` everyone / signed_in / internal, ``section``); ``publish`` creates a category,
one section per ``section`` name and the articles through the Help Center API, with Zendesk's
required ``permission_group_id`` and a ``user_segment_id`` that matches the visibility (null for
everyone, the built-in signed-in segment, the staff segment for internal articles).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Protocol

from ...errors import ConfigError

SAMPLE_FILE = "help_centre.jsonl"
_VISIBILITIES = ("everyone", "signed_in", "internal")


class HttpApi(Protocol):
    """What publishing needs of a Zendesk connection (``ZendeskHttp`` has it)."""

    def request(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class HelpCentreArticle:
    title: str
    body: str
    locale: str = "en-us"
    visibility: str = "everyone"
    section: str = "General"
    key: str | None = None  # a label for tests and evaluation files, not sent


def parse_articles(lines: Iterable[str]) -> list[HelpCentreArticle]:
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            article = HelpCentreArticle(
                title=str(data["title"]),
                body=str(data["body"]),
                locale=str(data.get("locale") or "en-us").lower(),
                visibility=str(data.get("visibility") or "everyone"),
                section=str(data.get("section") or "General"),
                key=data.get("key"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"line {number}: not a help-centre article ({exc})") from None
        if article.visibility not in _VISIBILITIES:
            raise ConfigError(
                f"line {number}: visibility must be one of {', '.join(_VISIBILITIES)}"
            )
        found.append(article)
    return found


def sample_articles() -> list[HelpCentreArticle]:
    """The sample help centre ``seed`` creates (about 30 articles for the sample tickets)."""
    text = resources.files("ticket_processor.samples").joinpath(SAMPLE_FILE).read_text("utf-8")
    return parse_articles(text.splitlines())


def _segments(api: HttpApi) -> dict[str, int | None]:
    body = api.request("GET", "/api/v2/help_center/user_segments.json")
    segments = [s for s in body.get("user_segments") or [] if isinstance(s, dict)]

    def built_in(user_type: str) -> int | None:
        for segment in segments:
            if segment.get("user_type") == user_type and segment.get("built_in"):
                return int(segment["id"])
        return None

    return {
        "everyone": None,
        "signed_in": built_in("signed_in_users"),
        "internal": built_in("staff"),
    }


def publish(
    api: HttpApi, articles: Sequence[HelpCentreArticle], *, category: str = "Help centre"
) -> list[int]:
    """Create ``articles`` (in a new category); their Zendesk ids, in order."""
    groups = api.request("GET", "/api/v2/guide/permission_groups.json").get("permission_groups")
    if not groups:
        raise ConfigError("Zendesk Guide has no permission group to publish articles with")
    group_id = int(groups[0]["id"])
    segments = _segments(api)
    made = api.request(
        "POST", "/api/v2/help_center/categories.json", json={"category": {"name": category}}
    )
    category_id = int(made["category"]["id"])
    sections: dict[tuple[str, str], int] = {}
    ids = []
    for article in articles:
        key = (article.section, article.locale)
        if key not in sections:
            made = api.request(
                "POST",
                f"/api/v2/help_center/{article.locale}/categories/{category_id}/sections.json",
                json={"section": {"name": article.section}},
            )
            sections[key] = int(made["section"]["id"])
        made = api.request(
            "POST",
            f"/api/v2/help_center/{article.locale}/sections/{sections[key]}/articles.json",
            json={
                "article": {
                    "title": article.title,
                    "body": article.body,
                    "locale": article.locale,
                    "permission_group_id": group_id,
                    "user_segment_id": segments.get(article.visibility),
                },
                "notify_subscribers": False,
            },
        )
        ids.append(int(made["article"]["id"]))
    return ids


def seed_help_centre(api: HttpApi, articles: Sequence[HelpCentreArticle] | None = None) -> int:
    """Publish the sample help centre (or ``articles``) unless the help centre already has
    articles; how many were created."""
    body = api.request("GET", "/api/v2/help_center/articles.json", params={"per_page": 1})
    if body.get("count") or body.get("articles"):
        return 0
    return len(publish(api, articles if articles is not None else sample_articles()))
