"""Loading ``routes.toml`` and resolving it against the helpdesk: the I/O around ``routing``.

Run once per run (and by ``ticketbot routes check``): read the file, parse it (categories
checked against the taxonomy), read the helpdesk's groups (one request on Zendesk) and, when a
route names an assignee, its agents (two more), turn names into ids. Any problem is a
``ConfigError`` that names the route and key.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ..errors import ConfigError
from ..helpdesks.protocol import Helpdesk
from .routing import RouteBook, Router, parse_routes


def read_route_book(path: Path, *, categories: Collection[str] | None = None) -> RouteBook:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"TICKETBOT_ROUTES: {path} does not exist; fix the path or unset it"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"TICKETBOT_ROUTES: cannot read {path}: {exc}") from None
    try:
        return parse_routes(text, categories=categories)
    except ConfigError as exc:
        raise ConfigError(f"TICKETBOT_ROUTES ({path}): {exc}") from None


def load_router(
    path: Path | None,
    helpdesk: Helpdesk,
    *,
    prefix: str,
    categories: Collection[str] | None = None,
) -> Router | None:
    """The resolved routes, or None when no routes file is configured (nothing changes)."""
    if path is None:
        return None
    book = read_route_book(path, categories=categories)
    if not book.routes:
        return None
    # Agents (two more requests on Zendesk) only when a route names an assignee.
    wants_agents = any(route.assignee is not None for route in book.routes)
    try:
        agents = helpdesk.agents() if wants_agents else []
        return book.resolve(helpdesk.groups(), agents, prefix=prefix)
    except ConfigError as exc:
        raise ConfigError(f"TICKETBOT_ROUTES ({path}): {exc}") from None
