"""One route of ``routes.toml`` as written (``Route``): its keys, what it may match, and whether
it matches a ticket's analysis; and which alert channels the routes that escalated a ticket
allow. ``routing`` parses the file into these, resolves them against the helpdesk and decides."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from ..models import RISK_LEVELS, Sentiment, Ticket, Triage, Urgency, is_spam
from .reply_facts import ReplyFacts

ROUTE_KEYS = frozenset(
    {
        "name",
        "when",
        "group",
        "assignee",
        "escalate",
        "add_tags",
        "override_group",
        "use_suggestions",
        "agent_language",
        "channels",
    }
)
# The channels an escalation may reach (alerts/channels.py); a route's ``channels`` narrows
# its escalations to some of them, and without it an escalation goes to every one configured.
ALERT_CHANNELS = ("pagerduty", "email", "teams", "webhook", "slack")
MATCH_KEYS = (
    "category",
    "subcategory",
    "urgency",
    "sentiment",
    "language",
    "tag",
    "engine",
    "confidence_below",
    "reply",
    "sentiment_change",
    "urgency_change",
    "spam",
    "risk",
    # The SLA pass's verdict (``sla/``): a target likely to breach within the horizon. Never
    # met by a triage; the SLA pass matches it (with ``tag``) on the tickets it finds at risk.
    "sla_risk",
)
ALLOWED_VALUES: dict[str, frozenset[str]] = {
    "urgency": frozenset(u.value for u in Urgency),
    "sentiment": frozenset(s.value for s in Sentiment),
    "engine": frozenset({"llm", "learned", "rules"}),
    # A reply's facts (``triage.reply_facts.ReplyFacts``): never met by a first triage.
    "sentiment_change": frozenset({"worse", "better", "unchanged"}),
    "urgency_change": frozenset({"higher", "lower", "unchanged"}),
    # The risk's level (``risk/``): never met by a ticket the spam gate judged no customer's.
    "risk": frozenset(RISK_LEVELS),
}


@dataclass(frozen=True)
class Route:
    """One ``[[route]]`` as written; ``label`` is how messages name it."""

    index: int  # 1-based position in the file
    name: str | None
    when: Mapping[str, frozenset[str]]
    confidence_below: float | None = None
    group: str | int | None = None
    assignee: str | int | None = None
    escalate: bool = False
    add_tags: tuple[str, ...] = ()
    override_group: bool = False
    # Match calibrated fields that were only suggested too (not just the applied ones).
    use_suggestions: bool = False
    # The language the group's agents read: the note of a ticket this route places in its
    # group is in it (None: the run's TICKETBOT_AGENT_LANGUAGE).
    agent_language: str | None = None
    # The alert channels this route's escalations reach; None: every channel configured.
    channels: frozenset[str] | None = None

    @property
    def label(self) -> str:
        return f'route "{self.name}"' if self.name else f"route #{self.index}"

    @property
    def title(self) -> str:
        """The name, or a description of the conditions for an unnamed route."""
        return self.name or f"#{self.index} ({self.conditions or 'any ticket'})"

    @property
    def why(self) -> str:
        """The title with its conditions, for the note."""
        return f"{self.name} ({self.conditions or 'any ticket'})" if self.name else self.title

    @property
    def conditions(self) -> str:
        parts = [f"{key}={'|'.join(sorted(values))}" for key, values in self.when.items()]
        if self.confidence_below is not None:
            parts.append(f"confidence<{self.confidence_below:g}")
        return ", ".join(parts)

    def matches(
        self,
        ticket: Ticket,
        triage: Triage,
        decisions: Mapping[str, str] | None = None,
        reply: ReplyFacts | None = None,
    ) -> bool:
        """Whether the ticket's analysis meets ``when``; a calibrated field that was not
        applied (``decisions``) is unknown here, or, with ``use_suggestions``, a suggestion
        counts as well. ``reply``: the facts of the customer's reply being re-triaged (None:
        a first triage, which ``reply = true`` and the ``*_change`` keys never match)."""
        analysis = triage.analysis
        facts: dict[str, set[str]] = {
            "reply": {"true" if reply is not None else "false"},
            "sentiment_change": {reply.sentiment_change} if reply is not None else set(),
            "urgency_change": {reply.urgency_change} if reply is not None else set(),
            "category": {analysis.category},
            "subcategory": {analysis.subcategory} if analysis.subcategory else set(),
            "urgency": {analysis.urgency.value},
            "sentiment": {analysis.sentiment.value},
            "language": {analysis.language},
            "engine": {triage.engine},
            "tag": {tag.lower() for tag in ticket.tags},
            "spam": {"true" if is_spam(triage) else "false"},
            "risk": {triage.risk.level} if triage.risk is not None else set(),
            "sla_risk": {"false"},
        }
        counted = ("apply", "suggest") if self.use_suggestions else ("apply",)
        for name, fate in (decisions or {}).items():
            if name in facts and fate not in counted:
                facts[name] = set()
        if any(not (facts[key] & wanted) for key, wanted in self.when.items()):
            return False
        return self.confidence_below is None or analysis.confidence < self.confidence_below


def sla_risk_routes(routes: Sequence[Route], tags: Collection[str]) -> list[Route]:
    """The escalating routes an SLA risk meets on a ticket with these tags: ``sla_risk = true``
    and, besides it, at most ``tag`` (the SLA pass has no analysis to match the other keys)."""
    found = []
    lowered = {tag.lower() for tag in tags}
    for route in routes:
        if not route.escalate or route.when.get("sla_risk") != frozenset({"true"}):
            continue
        others = set(route.when) - {"sla_risk", "tag"}
        wanted_tags = route.when.get("tag")
        if others or route.confidence_below is not None:
            continue
        if wanted_tags is not None and not wanted_tags & lowered:
            continue
        found.append(route)
    return found


def escalation_channels(routes: Sequence[Route], titles: Collection[str]) -> frozenset[str] | None:
    """The channels the escalating routes titled ``titles`` allow together; None: every one
    (a route that escalates without ``channels`` narrows nothing)."""
    chosen: set[str] = set()
    for route in routes:
        if route.escalate and route.title in titles:
            if route.channels is None:
                return None
            chosen |= route.channels
    return frozenset(chosen) if chosen else None
