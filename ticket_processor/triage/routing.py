"""Routing and escalation rules (``routes.toml``): parse, resolve names to ids, decide. No I/O.

The file a support lead edits (``TICKETBOT_ROUTES``)::

    [[route]]
    name = "security to the security team"
    when = { category = "security" }     # keys: category, subcategory, urgency, sentiment,
    group = "Security"                   #       language, tag, engine, confidence_below, reply,
                                         #       sentiment_change, urgency_change, spam,
    escalate = true                      #       risk; a value or a list
    agent_language = "de"                # optional: the group's agents read German notes

    [[route]]
    name = "spam to the spam folder"
    when = { spam = true }               # the spam gate's applied verdict (never escalated)
    group = "Spam review"

    [[route]]
    name = "likely to end badly"
    when = { risk = "high" }             # the risk's level (low, medium, high)
    escalate = true

    [[route]]
    name = "a customer getting angrier"
    when = { sentiment_change = "worse" }  # only on a re-triage after the customer's reply
    escalate = true

    [[route]]
    when = { urgency = "critical" }
    escalate = true
    add_tags = ["needs_lead"]

    [[route]]
    name = "about to miss a target"
    when = { sla_risk = true }           # the SLA pass's verdict (``sla/``), once per target
    escalate = true

``parse_routes`` checks the shape (every error names the route — by name or number — and the
key); ``RouteBook.resolve`` turns group and assignee names (or ids) into ids once per run from
the helpdesk's groups and agents; ``Router.decide`` picks the change for one ticket.

A group the helpdesk no longer has (deleted, renamed) is a fact of production, not a bad file:
it can disappear between two scheduled runs. ``resolve`` keeps such a route with its group
unresolved (``missing_group``) instead of refusing the whole file; the route still adds its
tags and escalates and still decides the group (the ticket stays where it is, rather than
falling through to a later, more general route's group). ``Router.missing``
lists them, for the run's warning and alert and for ``routes check`` and ``health`` to fail on.
Everything else unknown (an agent, a name that matches two groups) stays a ``ConfigError``.

How one ticket is decided:

- only the analysis (category, urgency, sentiment, language, engine, confidence) and the tags the
  ticket already carries are matched, never its text, so a ticket cannot route itself;
- the first matching route that names a group decides the group (and assignee); every matching
  route adds its tags and may escalate;
- routing never overrides a person: a ticket with an assignee keeps its group and assignee, a
  ticket already in a group keeps it unless the deciding route says ``override_group = true``;
- an analysis below the confidence threshold is neither routed nor escalated, except by routes
  that ask for low confidence themselves (``confidence_below``);
- a ticket the spam gate judged no customer's (``spam/``) is matched only by routes that say
  ``spam = true`` and is never escalated, whatever a route says.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..errors import ConfigError
from ..models import (
    ISO_639_1,
    LANGUAGE_CODE,
    Agent,
    Group,
    RouteDecision,
    Ticket,
    Triage,
    Urgency,
    is_spam,
    sanitise_tag,
)
from .reply_facts import ReplyFacts
from .route_rules import ALERT_CHANNELS, ALLOWED_VALUES, MATCH_KEYS, ROUTE_KEYS, Route


def _fail(route: str, key: str | None, message: str) -> ConfigError:
    where = f"{route}, {key}" if key else route
    return ConfigError(f"routes file: {where}: {message}")


def _values(
    label: str,
    key: str,
    raw: object,
    categories: Collection[str] | None,
    subcategories: Collection[str] | None = None,
) -> frozenset[str]:
    if key in ("reply", "spam", "sla_risk"):
        if not isinstance(raw, bool):
            raise _fail(label, f"when.{key}", "must be true or false")
        return frozenset({"true" if raw else "false"})
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, str) and item.strip() for item in items):
        raise _fail(label, f"when.{key}", "must be a non-empty string or a list of them")
    values = frozenset(str(item).strip().lower() for item in items)
    allowed = ALLOWED_VALUES.get(key)
    if key == "category" and categories is not None:
        allowed = frozenset(categories)
    if key == "subcategory" and subcategories is not None:
        allowed = frozenset(subcategories)
    if allowed is not None and not values <= allowed:
        unknown = ", ".join(sorted(values - allowed))
        raise _fail(label, f"when.{key}", f"unknown {unknown}; one of {', '.join(sorted(allowed))}")
    if key == "language" and not all(LANGUAGE_CODE.match(v) for v in values):
        raise _fail(label, "when.language", "must be two-letter language codes such as en, de")
    if key == "tag":
        return frozenset(sanitise_tag(v) for v in values)
    return values


def _route(
    index: int,
    raw: object,
    categories: Collection[str] | None,
    subcategories: Collection[str] | None = None,
) -> Route:
    if not isinstance(raw, dict):
        raise _fail(f"route #{index}", None, "must be a table ([[route]])")
    name = raw.get("name")
    if name is not None and (not isinstance(name, str) or not name.strip()):
        raise _fail(f"route #{index}", "name", "must be a non-empty string")
    label = f'route "{name}"' if name else f"route #{index}"
    unknown = sorted(set(raw) - ROUTE_KEYS)
    if unknown:
        raise _fail(label, unknown[0], f"unknown key; the keys are {', '.join(sorted(ROUTE_KEYS))}")
    when_raw = raw.get("when", {})
    if not isinstance(when_raw, dict):
        raise _fail(label, "when", 'must be a table such as { category = "billing" }')
    when: dict[str, frozenset[str]] = {}
    below: float | None = None
    for key, value in when_raw.items():
        if key not in MATCH_KEYS:
            raise _fail(label, f"when.{key}", f"unknown key; the keys are {', '.join(MATCH_KEYS)}")
        if key == "confidence_below":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise _fail(label, "when.confidence_below", "must be a number in (0, 1]")
            below = float(value)
        else:
            when[key] = _values(label, key, value, categories, subcategories)
    for key in ("group", "assignee"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            raise _fail(label, key, "must be a name (a string) or an id (a number)")
        if isinstance(value, str) and not value.strip():
            raise _fail(label, key, "must not be empty")
    if raw.get("assignee") is not None and raw.get("group") is None:
        raise _fail(label, "assignee", "needs a group: an assignee is assigned within a group")
    for key in ("escalate", "override_group", "use_suggestions"):
        if key in raw and not isinstance(raw[key], bool):
            raise _fail(label, key, "must be true or false")
    language = raw.get("agent_language")
    if language is not None and (not isinstance(language, str) or language not in ISO_639_1):
        raise _fail(label, "agent_language", "must be an ISO 639-1 language code such as de or fr")
    if language is not None and raw.get("group") is None:
        raise _fail(label, "agent_language", "needs a group: it is the language of its agents")
    add_tags = raw.get("add_tags", [])
    if not isinstance(add_tags, list) or not all(isinstance(t, str) for t in add_tags):
        raise _fail(label, "add_tags", "must be a list of strings")
    channels = _channels(label, raw)
    tags = tuple(dict.fromkeys(sanitise_tag(t) for t in add_tags))
    if "" in tags:
        raise _fail(label, "add_tags", "a tag is empty once sanitised (use a-z, 0-9, _ and -)")
    route = Route(
        index=index,
        name=name.strip() if isinstance(name, str) else None,
        when=when,
        confidence_below=below,
        group=raw.get("group"),
        assignee=raw.get("assignee"),
        escalate=bool(raw.get("escalate", False)),
        add_tags=tags,
        override_group=bool(raw.get("override_group", False)),
        use_suggestions=bool(raw.get("use_suggestions", False)),
        agent_language=language,
        channels=channels,
    )
    if channels is not None and not route.escalate:
        raise _fail(label, "channels", "needs escalate = true: it says where escalations go")
    if route.group is None and not route.escalate and not route.add_tags:
        raise _fail(label, None, "does nothing: give it a group, escalate = true or add_tags")
    return route


def _channels(label: str, raw: Mapping[str, Any]) -> frozenset[str] | None:
    if "channels" not in raw:
        return None
    value = raw["channels"]
    if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
        raise _fail(label, "channels", f"must be a list of some of {', '.join(ALERT_CHANNELS)}")
    unknown = sorted(set(value) - set(ALERT_CHANNELS))
    if unknown:
        raise _fail(
            label,
            "channels",
            f"unknown {', '.join(unknown)}; the channels are {', '.join(ALERT_CHANNELS)}",
        )
    return frozenset(value)


def parse_routes(
    text: str,
    *,
    categories: Collection[str] | None = None,
    subcategories: Collection[str] | None = None,
) -> RouteBook:
    """Parse ``routes.toml``; ``categories`` and ``subcategories`` (the taxonomy's names) check
    ``when.category`` and ``when.subcategory``."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"routes file is not valid TOML: {exc}") from None
    except RecursionError:  # tomllib parses nested arrays and tables by recursion
        raise ConfigError(
            "routes file is nested too deeply to be a routes file: fix or replace it "
            "(see sample_routes.toml)"
        ) from None
    extra = sorted(set(data) - {"route"})
    if extra:
        raise ConfigError(f"routes file: unknown top-level key {extra[0]!r}; use [[route]] tables")
    raw = data.get("route", [])
    if not isinstance(raw, list):
        raise ConfigError("routes file: 'route' must be an array of tables ([[route]])")
    routes = tuple(
        _route(i, item, categories, subcategories) for i, item in enumerate(raw, start=1)
    )
    names = [r.name for r in routes if r.name]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f'routes file: route "{twice[0]}" is defined twice; names must differ')
    return RouteBook(routes)


@dataclass(frozen=True)
class ResolvedRoute:
    route: Route
    group_id: int | None = None
    group_name: str | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    # The group as written, when the helpdesk has no such group (deleted or renamed).
    missing_group: str | None = None
    known_groups: tuple[str, ...] = ()  # the helpdesk's groups, for a missing one's message

    @property
    def missing_message(self) -> str:
        """What is wrong and how to fix it, naming the route and the group."""
        return (
            f"{self.route.label}: group {self.missing_group!r} is not in the helpdesk (deleted "
            "or renamed?); runs leave this route's tickets where they are and apply the rest "
            "of the route: restore the group, or fix the route's group in the routes file "
            f"(the groups are {', '.join(map(repr, self.known_groups)) or 'none'})"
        )


@dataclass(frozen=True)
class RouteBook:
    """The parsed file: routes with names still unresolved."""

    routes: tuple[Route, ...]

    def resolve(self, groups: Sequence[Group], agents: Sequence[Agent], *, prefix: str) -> Router:
        """Turn group and assignee names (or ids) into ids; a group the helpdesk does not have
        is kept as ``missing_group`` (see the module docstring), any other unknown or ambiguous
        name is a ``ConfigError``."""
        return Router(tuple(_resolve(r, groups, agents) for r in self.routes), prefix=prefix)


def _pick(value: str | int, items: Sequence[Any], names: Any) -> list[Any]:
    if isinstance(value, int):
        return [i for i in items if i.id == value]
    wanted = value.strip().casefold()
    found = [i for i in items if wanted in names(i)]
    if not found and wanted.isdigit():
        found = [i for i in items if i.id == int(wanted)]
    return found


def _resolve(route: Route, groups: Sequence[Group], agents: Sequence[Agent]) -> ResolvedRoute:
    if route.group is None:
        return ResolvedRoute(route)
    names = tuple(sorted(g.name for g in groups))
    known = ", ".join(map(repr, names)) or "none"
    found = _pick(route.group, groups, lambda g: {g.name.casefold()})
    if not found:
        return ResolvedRoute(route, missing_group=str(route.group), known_groups=names)
    if len(found) != 1:
        what = "names more than one group; use its id"
        raise _fail(route.label, "group", f"{route.group!r} {what}; the groups are {known}")
    group: Group = found[0]
    if route.assignee is None:
        return ResolvedRoute(route, group.id, group.name)
    people = _pick(
        route.assignee, agents, lambda a: {a.name.casefold(), (a.email or "").casefold()}
    )
    if len(people) != 1:
        what = "is not an agent" if not people else "names more than one agent; use an id"
        raise _fail(route.label, "assignee", f"{route.assignee!r} {what}")
    agent: Agent = people[0]
    if group.id not in agent.group_ids:
        raise _fail(
            route.label,
            "assignee",
            f"{agent.name!r} is not a member of group {group.name!r}; add them to it in the "
            "helpdesk or pick a member",
        )
    return ResolvedRoute(route, group.id, group.name, agent.id, agent.name)


class Router:
    """Resolved routes: ``decide`` is pure and thread-safe."""

    def __init__(self, routes: tuple[ResolvedRoute, ...], *, prefix: str) -> None:
        self.routes = routes
        self.defined = tuple(r.route for r in routes)  # as written, for the alert channels
        self.prefix = prefix

    @property
    def missing(self) -> tuple[ResolvedRoute, ...]:
        """The routes whose group the helpdesk does not have (their group is skipped)."""
        return tuple(r for r in self.routes if r.missing_group is not None)

    def decide(
        self,
        ticket: Ticket,
        triage: Triage,
        threshold: float,
        decisions: Mapping[str, str] | None = None,
        reply: ReplyFacts | None = None,
    ) -> RouteDecision:
        """The change routes make; with calibrated ``decisions``, only applied fields match
        (the run's threshold is for uncalibrated engines); ``reply``: a re-triage's facts."""
        low = not decisions and triage.analysis.confidence < threshold
        # A ticket no customer wrote (the spam gate's applied verdict) is routed only by the
        # routes that ask for it (``when = { spam = true }``) and escalated by none.
        spam = is_spam(triage)
        matched = [
            r
            for r in self.routes
            if (not low or r.route.confidence_below is not None or spam)
            and (not spam or "spam" in r.route.when)
            and r.route.matches(ticket, triage, decisions, reply)
        ]
        if not matched:
            return RouteDecision()
        tags: list[str] = []
        for r in matched:
            for tag in r.route.add_tags:
                tags.append(tag if tag.startswith(self.prefix) else f"{self.prefix}{tag}")
        escalated_by = tuple(r.route.title for r in matched if r.route.escalate and not spam)
        if escalated_by:
            tags.append(f"{self.prefix}escalated")
        # A route that matches on the ticket's own tags alone (a VIP tag) escalates on what the
        # helpdesk says, not on the engine's judgement.
        on_tags = tuple(
            r.route.title
            for r in matched
            if r.route.escalate and not spam and r.route.when and set(r.route.when) <= {"tag"}
        )
        decision = RouteDecision(
            tags=tuple(dict.fromkeys(sanitise_tag(t) for t in tags)),
            escalate=bool(escalated_by),
            routes=tuple(r.route.title for r in matched),
            escalated_by=escalated_by,
            reasons=tuple(r.route.why for r in matched),
            escalated_on_tags=on_tags,
        )
        # A route whose group is missing still decides: its tickets stay where they are rather
        # than fall through to a later, more general route's group.
        chosen = next(
            (r for r in matched if r.group_id is not None or r.missing_group is not None), None
        )
        if chosen is None:
            return decision
        if chosen.missing_group is not None:
            why = f"its group {chosen.missing_group!r} is not in the helpdesk"
            return _with(decision, group_route=chosen.route.title, kept=why)
        return _place(decision, ticket, chosen)

    def critical_held(
        self,
        ticket: Ticket,
        triage: Triage,
        decisions: Mapping[str, str] | None,
        why: str,
    ) -> RouteDecision:
        """The escalation the routes would ask for were the ticket's urgency read as critical
        and applied, as a suggestion (``<prefix>escalation_suggested``, ``why`` in the note):
        for a ticket held back for low confidence whose words or urgency say critical. A
        "PRODUCTION DOWN" ticket at confidence 0.46 otherwise got no route and not even a
        suggested escalation. Nothing when no escalating route would match, or for spam."""
        if is_spam(triage):
            return RouteDecision()
        analysis = triage.analysis.model_copy(update={"urgency": Urgency.CRITICAL})
        critical = triage.model_copy(update={"analysis": analysis})
        applied = {**decisions, "urgency": "apply"} if decisions else None
        escalating = tuple(
            r.route.title
            for r in self.routes
            if r.route.escalate and r.route.matches(ticket, critical, applied)
        )
        if not escalating:
            return RouteDecision()
        return RouteDecision(
            tags=(sanitise_tag(f"{self.prefix}escalation_suggested"),),
            routes=escalating,
            escalated_by=escalating,
            escalation_held=why,
        )


def _place(decision: RouteDecision, ticket: Ticket, chosen: ResolvedRoute) -> RouteDecision:
    """The group and assignee from ``chosen``, unless a person placed the ticket already."""
    title = chosen.route.title
    if ticket.assignee_id is not None:
        return _with(decision, group_route=title, kept="it already has an assignee")
    moved = ticket.group_id is not None and ticket.group_id != chosen.group_id
    if moved and not chosen.route.override_group:
        return _with(decision, group_route=title, kept="it is already in a group")
    group_id = chosen.group_id if ticket.group_id != chosen.group_id else None
    language = chosen.route.agent_language
    if group_id is None and chosen.assignee_id is None:
        return _with(
            decision, group_route=title, group_name=chosen.group_name, agent_language=language
        )
    return _with(
        decision,
        agent_language=language,
        group_id=group_id,
        group_name=chosen.group_name,
        assignee_id=chosen.assignee_id,
        assignee_name=chosen.assignee_name,
        group_route=title,
    )


def _with(decision: RouteDecision, **changes: Any) -> RouteDecision:
    return replace(decision, **changes)
