"""Loading ``routes.toml`` and resolving it against the helpdesk: the I/O around ``routing``.

Run once per run (and by ``ticketbot routes check``): read the file, parse it (categories
checked against the taxonomy), read the helpdesk's groups (one request on Zendesk) and, when a
route names an assignee, its agents (two more), turn names into ids. Any problem is a
``ConfigError`` that names the route and key.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from ..common.atomic import read_config_bytes
from ..errors import ConfigError, StateFileRefused
from ..models import Helpdesk
from .routing import RouteBook, Router, parse_routes


def read_route_book(
    path: Path,
    *,
    categories: Collection[str] | None = None,
    subcategories: Collection[str] | None = None,
    setting: str | None = "TICKETBOT_ROUTES",
) -> RouteBook:
    """Read and parse ``path``. ``setting`` is what named the file, so a message blames it;
    None when a command's argument did (``routes check FILE``): then the file is named alone."""
    unset = "fix the path or unset it" if setting else "give the path of a routes file"
    try:
        text = read_config_bytes(path).decode("utf-8")
    except FileNotFoundError:
        where = f"{setting}: {path}" if setting else str(path)
        raise ConfigError(f"{where} does not exist; {unset}") from None
    except StateFileRefused as exc:
        where = f"{setting}: {path}" if setting else str(path)
        raise ConfigError(f"{where}: {exc}; point it at a regular file") from None
    except (OSError, UnicodeDecodeError) as exc:
        where = f"{setting}: cannot read {path}" if setting else f"cannot read {path}"
        raise ConfigError(f"{where}: {exc}") from None
    try:
        return parse_routes(text, categories=categories, subcategories=subcategories)
    except ConfigError as exc:
        where = f"{setting} ({path})" if setting else str(path)
        raise ConfigError(f"{where}: {exc}") from None


def load_router(
    path: Path | None,
    helpdesk: Helpdesk,
    *,
    prefix: str,
    categories: Collection[str] | None = None,
    subcategories: Collection[str] | None = None,
) -> Router | None:
    """The resolved routes, or None when no routes file is configured (nothing changes)."""
    if path is None:
        return None
    book = read_route_book(path, categories=categories, subcategories=subcategories)
    if not book.routes:
        return None
    # Agents (two more requests on Zendesk) only when a route names an assignee.
    wants_agents = any(route.assignee is not None for route in book.routes)
    try:
        agents = helpdesk.agents() if wants_agents else []
        return book.resolve(helpdesk.groups(), agents, prefix=prefix)
    except ConfigError as exc:
        raise ConfigError(f"TICKETBOT_ROUTES ({path}): {exc}") from None
