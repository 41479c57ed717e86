"""From a customer's reply, judged, to the change it makes: the reply's counterpart of
``triage_change.plan_change``. Pure, no I/O.

- A ``thanks`` or ``auto_reply`` gets its tag (``<prefix>reply_thanks`` / ``<prefix>reply_auto``)
  and nothing else: no note, no priority, so a thank-you never looks like new work.
- An ``actionable`` reply's analysis is compared, field by field, with the labels ticketbot's
  latest note stands by (its trailer): a field whose applied value differs has changed. Only
  ticketbot's own tag of a changed field is replaced (``<prefix>sentiment_neutral`` goes,
  ``<prefix>sentiment_negative`` comes); an agent's tags are never touched. The priority follows
  the same policy as a first triage, and only when the urgency rose, the category changed (a
  new matter: a first triage held back set no priority) or a route escalated; a reply never
  lowers a priority. Routes were evaluated again with the reply's facts (``reply``,
  ``sentiment_change``, ``urgency_change``).
- A short note is written only when a field changed or a route escalated; its trailer names the
  reply it answers and carries the labels that stand now and the sentiment trend, so the next
  reply, the harvest and revert read the latest labels from the latest note.
- A reply that lifts the spam gate's verdict (``SpamVerdict.lifted``: a gated ticket's requester
  wrote as a customer) takes the gate's tag away, says so in a note, starts the sentiment trend
  at itself (the first message's was a machine's) and sets the priority as a first triage would.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from ..models import (
    PRIORITY_RANK,
    RISK_LEVELS,
    SPAM_KINDS,
    Analysis,
    Conversation,
    Message,
    Priority,
    RouteDecision,
    Sentiment,
    Ticket,
    Triage,
    sanitise_tag,
)
from ..triage.confidence import Decision
from ..triage.reply_facts import URGENCY_RANK
from .note import (
    NOTE_HEADER,
    NoteLanguage,
    engine_source,
    read_note,
    render_risk,
    render_route,
    reverted_reply,
    standing_note,
    translation_lines,
)
from .trailer import NoteTrailer
from .triage_change import decide_priority
from .wording import Wording, wording

MAX_REPLIES = 3  # unanswered replies judged together (the latest ones)
ReplyKind = Literal["actionable", "thanks", "auto_reply"]
REPLY_TAGS: dict[str, str] = {"thanks": "reply_thanks", "auto_reply": "reply_auto"}
_FIELDS = ("category", "subcategory", "urgency", "sentiment")


@dataclass(frozen=True)
class ReplyChange:
    """The change one reply makes (``None`` fields: leave as is). ``changed`` maps a field to
    (before, now); ``trend`` is the sentiment per message after this reply."""

    kind: ReplyKind
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    priority: Priority | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    escalated: bool = False
    escalated_by: tuple[str, ...] = ()  # the routes that escalated, for the alert
    # Why a route's escalation was only suggested (an unsure engine: ``escalation_hold``), as
    # a ticket's ``WriteBack.escalation_held``: the run counts it among its suggestions.
    escalation_held: str | None = None
    note: str | None = None
    changed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    trend: tuple[str, ...] = ()

    @property
    def writes(self) -> bool:
        return bool(
            self.add_tags or self.remove_tags or self.priority or self.group_id or self.note
        )


@dataclass(frozen=True)
class Thread:
    """A conversation as re-triage reads it: the standing note's trailer, what was answered,
    and the unanswered replies (oldest first)."""

    before: NoteTrailer | None
    trend: tuple[str, ...]
    replies: tuple[Message, ...]


def read_thread(conversation: Conversation, answered: int | None, trend: Sequence[str]) -> Thread:
    """The unanswered replies: the requester's public messages after the last one answered,
    by a note's trailer, a revert note's or the book (``answered``). A revert note takes back
    the note answering the same message, so that reply's labels no longer stand, but the reply
    stays judged: without the book (lost, or a thank-you, which leaves no note) it would
    otherwise be judged again and its tags put back. Only notes ticketbot's
    own user wrote are read: anyone can paste a note with a trailer, and one that answered a
    later message would otherwise silence its re-triage."""
    private = [m.body for m in conversation.messages if not m.public and m.from_ticketbot]
    trailers = [t for t in map(read_note, private) if t is not None]
    undone = [r for r in map(reverted_reply, private) if r is not None]
    last = max([answered or 0, *(t.answers or 0 for t in trailers), *undone])
    before = read_note(standing_note(private))
    replies = tuple(
        m for m in conversation.messages if m.public and m.from_requester and m.id > last
    )
    known = tuple(trend) or (before.trend if before is not None and before.trend else ())
    if not known and before is not None:
        known = (before.sentiment,)
    return Thread(before, known, replies[-MAX_REPLIES:])


def standing_labels(before: NoteTrailer | None, tags: Sequence[str], prefix: str) -> dict[str, str]:
    """The labels ticketbot stands by: its latest note's trailer, else its tags on the ticket."""
    if before is not None:
        found = {
            "category": before.category,
            "urgency": before.urgency,
            "sentiment": before.sentiment,
        }
        if before.subcategory:
            found["subcategory"] = before.subcategory
        return found
    found = {}
    for name in _FIELDS:
        start = sanitise_tag(f"{prefix}{name}_")
        values = [t[len(start) :] for t in tags if t.startswith(start)]
        if len(values) == 1:
            found[name] = values[0]
    return found


def plan_reply(
    ticket: Ticket,
    kind: ReplyKind,
    triage: Triage | None,
    *,
    before: NoteTrailer | None,
    trend: Sequence[str],
    reply_id: int,
    reply_at: str | None,
    route: RouteDecision,
    decisions: Mapping[str, Decision],
    prefix: str,
    confidence_threshold: float,
    set_priority: bool,
    run_id: str,
    language: NoteLanguage | None = None,
) -> ReplyChange:
    """The change a judged reply makes to ``ticket`` as it is now (see the module doc);
    ``language``: the note's (the agent's)."""
    tags = set(ticket.tags)

    def own(name: str) -> str:
        return sanitise_tag(f"{prefix}{name}")

    reply_tags = {own(t) for t in REPLY_TAGS.values()}
    if kind != "actionable" or triage is None:
        mine = own(REPLY_TAGS.get(kind, "reply_thanks"))
        gone = tuple(sorted(t for t in reply_tags - {mine} if t in tags))
        grown = (*trend, Sentiment.POSITIVE.value) if kind == "thanks" else tuple(trend)
        return ReplyChange(
            kind, (mine,) if mine not in tags else (), gone, trend=tuple(grown)[-20:]
        )
    analysis = triage.analysis
    lifted = triage.spam is not None and triage.spam.lifted
    if lifted:
        trend = ()  # the machine's words had no customer's sentiment
    standing = standing_labels(before, ticket.tags, prefix)
    changed = _changed_labels(analysis, standing, decisions, confidence_threshold)
    add = [own(f"{name}_{new}") for name, (_, new) in changed.items()]
    remove = [own(f"{name}_{old}") for name, (old, _) in changed.items()]
    # A route that escalated the ticket before (its tag is there) does not escalate it anew,
    # nor is one an unsure engine asked for then only suggested anew.
    escalates = route.escalate and own("escalated") not in tags
    held = route.escalation_held if own("escalated") not in tags else None
    priority = None
    # A new category is a new matter: its priority is set as a first triage of it would set
    # it, even where the urgency reads the same (a first triage held back set none).
    if set_priority and ("urgency" in changed or "category" in changed or escalates or lifted):
        priority = _raised_priority(
            ticket, analysis, changed, escalates, confidence_threshold, prefix, lifted=lifted
        )
        if priority is not None:
            remove += [t for t in tags if t.startswith(own("priority_"))]
            add.append(own(f"priority_{priority.value}"))
    add += list(route.tags)
    remove += sorted(t for t in reply_tags if t in tags)
    if lifted:  # the gate's tag goes (the write-back removes what it names, keeps the rest)
        remove += [own(kind) for kind in SPAM_KINDS]
    risk_moved = _risk_move(triage, tags, own)
    if triage.risk is not None:  # the risk scored again: its tag replaces the standing one
        add.append(own(f"risk_{triage.risk.level}"))
        remove += [own(f"risk_{level}") for level in RISK_LEVELS]  # (``add``'s is kept)
    grown = (*trend, analysis.sentiment.value)[-20:]
    labels = {**standing, **{name: new for name, (_, new) in changed.items()}}
    note = None
    if changed or escalates or risk_moved or lifted:
        note = render_reply_note(
            triage,
            changed=changed,
            labels=labels,
            before=before,
            trend=grown,
            reply_id=reply_id,
            reply_at=reply_at,
            priority=priority,
            route=route,
            run_id=run_id,
            language=language,
            risk_moved=risk_moved,
            held_below=_held_below(analysis.confidence, confidence_threshold, decisions),
        )
    removing = tuple(dict.fromkeys(t for t in remove if t in tags and t not in add))
    adding = tuple(dict.fromkeys(t for t in add if t not in tags))
    return ReplyChange(
        "actionable",
        adding,
        removing,
        priority=priority,
        group_id=route.group_id,
        assignee_id=route.assignee_id,
        escalated=escalates,
        escalated_by=route.escalated_by if escalates else (),
        escalation_held=held,
        note=note,
        changed=customer_moves(changed, lifted=lifted),
        trend=tuple(grown),
    )


def customer_moves(
    changed: Mapping[str, tuple[str, str]], *, lifted: bool
) -> dict[str, tuple[str, str]]:
    """The changes the customer's words made: where the reply lifts the spam gate's verdict,
    not the sentiment, whose value before was a machine's mail's (its tag is replaced all the
    same, and the trend starts at the reply)."""
    return {name: move for name, move in changed.items() if not (lifted and name == "sentiment")}


def _changed_labels(
    analysis: Analysis,
    standing: Mapping[str, str],
    decisions: Mapping[str, Decision],
    confidence_threshold: float,
) -> dict[str, tuple[str, str]]:
    """The labels the reply's analysis changes: field -> (the standing label or ``none``, the
    new one), for the fields whose decision applies."""
    now = {
        "category": analysis.category,
        "subcategory": analysis.subcategory,
        "urgency": analysis.urgency.value,
        "sentiment": analysis.sentiment.value,
    }
    changed: dict[str, tuple[str, str]] = {}
    # A reply is short: an uncalibrated engine's category from it stands only when it is sure.
    sure = bool(decisions) or analysis.confidence >= confidence_threshold
    for name in _FIELDS:
        value, old = now[name], standing.get(name)
        applied = decisions.get("category" if name == "subcategory" else name, "apply") == "apply"
        if name in ("category", "subcategory") and not sure:
            applied = False
        if value and applied and old != value:
            changed[name] = (old or "none", value)
    return changed


def _raised_priority(
    ticket: Ticket,
    analysis: Analysis,
    changed: Mapping[str, tuple[str, str]],
    escalates: bool,
    confidence_threshold: float,
    prefix: str,
    *,
    lifted: bool = False,
) -> Priority | None:
    """The priority a reply sets: only a raise, for a risen urgency, a new category, an
    escalation or a lifted spam verdict (the gate kept the priority the machine's mail came
    with)."""
    rose = "urgency" in changed and URGENCY_RANK[analysis.urgency.value] > URGENCY_RANK.get(
        changed["urgency"][0], -1
    )
    rose = rose or "category" in changed
    priority = decide_priority(
        current=ticket.priority,
        tags=ticket.tags,
        urgency=analysis.urgency,
        confidence=1.0,
        confidence_threshold=confidence_threshold,
        prefix=prefix,
        escalated=escalates,
    )
    present = _priority(ticket.priority)
    lowered = (
        priority is not None
        and present is not None
        and PRIORITY_RANK[priority] < PRIORITY_RANK[present]
    )
    if priority is not None and (lowered or not (rose or escalates or lifted)):
        return None  # a reply raises a priority; it never takes one down
    return priority


def repair_change(ticket: Ticket, before: NoteTrailer | None, prefix: str) -> ReplyChange | None:
    """The tags of a reply's note that never reached the ticket (a run killed between a
    Freshdesk note and its update): the note stands, so its labels' tags are put in place of
    ticketbot's other tags of those fields. None when nothing is missing, or the standing
    note answers the first message (the first triage's own recovery sees to that)."""
    if before is None or before.answers is None:
        return None
    tags = set(ticket.tags)
    add: list[str] = []
    remove: list[str] = []
    for name, value in standing_labels(before, (), prefix).items():
        wanted = sanitise_tag(f"{prefix}{name}_{value}")
        if wanted in tags:
            continue
        add.append(wanted)
        start = sanitise_tag(f"{prefix}{name}_")
        remove += [t for t in tags if t.startswith(start)]
    if not add:
        return None
    return ReplyChange("actionable", tuple(add), tuple(remove), trend=before.trend)


def _held_below(
    confidence: float, threshold: float, decisions: Mapping[str, Decision]
) -> float | None:
    """The threshold an uncalibrated engine's reading is below (None: it is not): then no
    route acted (the angrier customer's escalation among them) and no priority moved, and the
    note says so as a first message's does."""
    return threshold if not decisions and confidence < threshold else None


def _risk_move(triage: Triage, tags: set[str], own: Callable[[str], str]) -> tuple[str, str] | None:
    """How the reply moved the risk's level (its level before, ``-`` for none; and now), or
    None when it stands where its tag says."""
    if triage.risk is None or own(f"risk_{triage.risk.level}") in tags:
        return None
    was = next((level for level in RISK_LEVELS if own(f"risk_{level}") in tags), "-")
    return (was, triage.risk.level)


def _field_name(name: str, words: Wording) -> str:
    """A field's name inside the note's sentence, in its language: lower case as a noun is
    mid-sentence ("urgency", "catégorie"), but for German's capitals ("Dringlichkeit")."""
    word = words.words.get(name, name)
    return word if words.code == "de" else word.lower()


def _priority(value: str | None) -> Priority | None:
    try:
        return Priority(value) if value else None
    except ValueError:
        return None


def render_reply_note(
    triage: Triage,
    *,
    changed: Mapping[str, tuple[str, str]],
    labels: Mapping[str, str],
    before: NoteTrailer | None,
    trend: Sequence[str],
    reply_id: int,
    reply_at: str | None,
    priority: Priority | None,
    route: RouteDecision,
    run_id: str,
    language: NoteLanguage | None = None,
    risk_moved: tuple[str, str] | None = None,
    held_below: float | None = None,
) -> str:
    """The short note after a reply: what changed (``risk_moved``: the risk level's move, when
    it moved), why nothing acted on it (``held_below``: the threshold an unsure engine's
    confidence is below), the trend, the reply in the agent's language where it is in another,
    then a trailer answering it; in the agent's language (``language``) but for the header's
    start and the trailer."""
    speech = language or NoteLanguage()
    words = wording(speech.language)
    when = _when(reply_at) or words.say("unknown_time")
    lifted = triage.spam is not None and triage.spam.lifted
    moved = dict(customer_moves(changed, lifted=lifted))
    if risk_moved is not None:
        moved["risk"] = risk_moved
    moves = "; ".join(
        f"{_field_name(name, words)} {old} → {new}" for name, (old, new) in moved.items()
    )
    header = f"{NOTE_HEADER} ({engine_source(triage, words)}): {words.say('customer_replied')}"
    lines = [
        " ".join(header.split()),
        "",
        words.say("after_reply", when=when, moves=moves or words.say("no_field_changed")),
    ]
    if priority is not None:
        lines.append(words.say("priority_raised", priority=priority.value))
    if held_below is not None:
        confidence = f"{triage.analysis.confidence:.2f}"
        lines.append(words.say("held_back", confidence=confidence, threshold=f"{held_below:.2f}"))
    if triage.spam is not None and triage.spam.lifted:
        key = f"spam_kind_{triage.spam.kind}"
        kind = words.say(key) if key in words.words else triage.spam.kind
        lines.append(words.say("spam_lifted", kind=kind))
    lines.append(words.say("sentiment_trend", trend=" → ".join(trend)))
    lines += translation_lines(triage.analysis.language, speech, words)
    lines += render_risk(triage, words)
    lines += render_route(route, words)
    trailer = NoteTrailer(
        category=labels.get("category") or triage.analysis.category,
        subcategory=labels.get("subcategory"),
        urgency=labels.get("urgency") or triage.analysis.urgency.value,
        sentiment=labels.get("sentiment") or triage.analysis.sentiment.value,
        language=triage.analysis.language,
        engine=triage.engine,
        model=triage.model,
        priority=priority.value if priority else (before.priority if before else None),
        group_id=route.group_id,
        assignee_id=route.assignee_id,
        escalated=route.escalate or (before.escalated if before else False),
        answers=reply_id,
        trend=tuple(trend),
        applied=None
        if before is None or before.applied is None
        else tuple(sorted({*before.applied, *(n for n in changed if n != "subcategory")})),
    )
    lines += ["", f"run {' '.join(run_id.split())}", trailer.line()]
    return "\n".join(lines)


def _when(reply_at: str | None) -> str | None:
    """``2026-11-24 10:02 UTC`` from an ISO time (as given when it does not parse); None
    when there is none."""
    if not reply_at:
        return None
    text = reply_at.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except ValueError:
        return " ".join(reply_at.split())[:40]
    return f"{moment:%Y-%m-%d %H:%M} UTC"
