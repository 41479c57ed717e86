"""``ticketbot routes check``: validate ``routes.toml`` against the helpdesk, show each route.

Parses the file (categories against the taxonomy), reads the helpdesk's groups and agents and
prints each route with the group and assignee it resolves to. Exit 0 when the file is valid,
2 when it is not (the message names the route and the key) or a route's group is not in the
helpdesk (runs skip that group; the message names the route and the group), 1 when the
helpdesk cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..triage.routing import ResolvedRoute, Router

routes_app = typer.Typer(help="Routing and escalation rules (routes.toml).")


def describe(route: ResolvedRoute) -> str:
    """One line: the route, its conditions and what it does, with resolved names and ids."""
    r = route.route
    does = []
    if route.missing_group is not None:
        does.append(f"group {route.missing_group} (NOT IN THE HELPDESK: skipped)")
    if route.group_id is not None:
        does.append(f"group {route.group_name} (id {route.group_id})")
    if route.assignee_id is not None:
        does.append(f"assignee {route.assignee_name} (id {route.assignee_id})")
    if r.override_group:
        does.append("moves tickets out of other groups")
    if r.escalate:
        does.append("escalates (urgent, alert)")
    if r.add_tags:
        does.append("adds " + " ".join(r.add_tags))
    when = r.conditions or "any ticket"
    return f"{r.label}: when {when} -> {'; '.join(does)}"


@routes_app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="The routes file. Default: TICKETBOT_ROUTES.")
    ] = None,
) -> None:
    """Validate the routes file against the helpdesk's groups and agents."""
    from ..errors import ConfigError
    from ..run.connect import connect
    from ..triage.routebook import read_route_book
    from ..triage.taxonomy import load_taxonomy
    from .common import exit_codes, load

    console = Console(highlight=False, soft_wrap=True)
    settings = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        path = file or settings.routes_file
        if path is None:
            raise ConfigError("no routes file: give one or set TICKETBOT_ROUTES=routes.toml")
        taxonomy = load_taxonomy(settings.taxonomy_file)
        # A FILE given here is named alone; TICKETBOT_ROUTES only when it chose the file.
        setting = None if file is not None else "TICKETBOT_ROUTES"
        book = read_route_book(
            path,
            categories=taxonomy.names,
            subcategories=taxonomy.subcategory_names,
            setting=setting,
        )
        helpdesk = connect(settings)
        try:
            groups, agents = helpdesk.groups(), helpdesk.agents()
            where = helpdesk.base_url
        finally:
            helpdesk.close()
        try:
            router: Router = book.resolve(groups, agents, prefix=settings.tag_prefix)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        for route in router.routes:
            console.print(escape(describe(route)))
        if router.missing:
            # Runs go on without these groups; the check is where they must be seen and fixed.
            raise ConfigError(
                f"{path}: " + "; ".join(route.missing_message for route in router.missing)
            )
        console.print(
            f"{len(router.routes)} route(s) in {escape(str(path))} are valid against "
            f"{escape(where)} ({len(groups)} groups, {len(agents)} agents)."
        )
