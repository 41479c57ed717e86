"""What the actions do for one ticket at its triage: which apply, each lookup's outcome (with
the owner check), each change's proposal (with its limits), and the words the note and a reply
use for them.

A lookup's record must be the requester's: the action's ``owner`` field must equal the address
the helpdesk holds for the requester. When it does not (or the helpdesk holds none), nothing of
the record is shown, to the agents or in any reply; the note says only that the record is not
the requester's. A change is only proposed here: its call waits for an agent (``approve``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..triage.cues import CueIndex, tokenise
from .book import PLACEHOLDER, Action, ActionBook
from .call import Caller, CallResult, dig
from .inputs import Entities

LookupStatus = Literal["found", "not_found", "not_theirs", "failed", "no_input"]


@dataclass(frozen=True)
class LookupOutcome:
    action: str
    status: LookupStatus
    outputs: dict[str, str] = field(default_factory=dict)  # for agents
    reply_values: dict[str, str] = field(default_factory=dict)  # what a reply may say
    reason: str | None = None
    http_status: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Proposal:
    action: str
    inputs: dict[str, str]
    refused: str | None  # over a limit: why it will not run


@dataclass(frozen=True)
class TicketActions:
    """Every action's part for one ticket."""

    lookups: tuple[LookupOutcome, ...] = ()
    proposals: tuple[Proposal, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.lookups and not self.proposals


class Matcher:
    """Which actions apply to a ticket: its category, or a phrase of the action's (the
    taxonomy's cue syntax, found as the keyword rules find a category's)."""

    def __init__(self, book: ActionBook) -> None:
        self.book = book
        self._index = CueIndex()
        self._cues = {a.name: set(self._index.add_all(a.phrases)) for a in book.action}

    def matching(self, category: str, text: str) -> list[Action]:
        found = set(self._index.find(tokenise(text)))
        return [
            a for a in self.book.action if category in a.categories or self._cues[a.name] & found
        ]


def run_lookup(
    action: Action, entities: Entities, caller: Caller, *, deadline: float
) -> LookupOutcome:
    """One lookup for a ticket, its record checked against the requester."""
    values = {name: entities.get(source) for name, source in action.inputs.items()}
    missing = sorted(name for name, value in values.items() if not value)
    if missing:
        return LookupOutcome(action.name, "no_input", reason=f"no {missing[0]} in the ticket")
    try:
        result = caller.call(action, {k: v for k, v in values.items() if v}, deadline=deadline)
        return judge_answer(action, result, entities.requester_email)
    except Exception as exc:  # noqa: BLE001 - a lookup never fails its ticket's triage
        return LookupOutcome(action.name, "failed", reason=f"{type(exc).__name__}")


def judge_answer(action: Action, result: CallResult, requester: str | None) -> LookupOutcome:
    """A lookup's answer read: the record, its owner against ``requester``, its outputs."""
    hs, secs = result.status, round(result.seconds, 3)
    if not result.ok:
        return LookupOutcome(
            action.name, "failed", reason=result.error, http_status=hs, seconds=secs
        )
    record = dig(result.body, action.record)
    if record is None:
        return LookupOutcome(
            action.name, "not_found", reason="no such record", http_status=hs, seconds=secs
        )
    if not isinstance(record, dict):
        return LookupOutcome(
            action.name,
            "failed",
            reason="the answer holds no record where declared",
            http_status=hs,
            seconds=secs,
        )
    owner = dig(record, action.owner or "")
    if not (
        requester
        and isinstance(owner, str)
        and owner.strip().casefold() == requester.strip().casefold()
    ):
        return LookupOutcome(
            action.name,
            "not_theirs",
            reason="the record is not the requester's",
            http_status=hs,
            seconds=secs,
        )
    outputs = {name: _shown(dig(record, path)) for name, path in action.outputs.items()}
    replies = {name: outputs[name] for name in action.reply_outputs}
    return LookupOutcome(action.name, "found", outputs, replies, http_status=hs, seconds=secs)


def _shown(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ", ".join(_shown(v) for v in value) or "-"
    return str(value)[:200]


def propose(
    action: Action, entities: Entities, lookups: Sequence[LookupOutcome]
) -> Proposal | None:
    """A change's proposal from its lookup's found record (None: its lookup found nothing of
    the requester's, so there is nothing to propose)."""
    used = next((o for o in lookups if o.action == action.uses), None)
    if used is None or used.status != "found":
        return None
    values: dict[str, str] = {}
    for name, source in action.inputs.items():
        if source.startswith("lookup."):
            # An empty field is a value the record holds (an order without tags); "-" is none.
            value = used.outputs.get(source.removeprefix("lookup."))
            if value is None or value == "-":
                return None
        else:
            value = entities.get(source)
            if not value:
                return None
        values[name] = value
    return Proposal(action.name, values, over_limit(action, values))


def over_limit(action: Action, values: Mapping[str, str]) -> str | None:
    """Why a change may not run (over its amount ceiling), or None."""
    if action.max_amount is None:
        return None
    raw = values.get(action.amount_input)
    try:
        amount = float(str(raw))
    except ValueError:
        return f"its amount {raw!r} is not a number"
    if amount > action.max_amount:
        return f"its amount {amount:.2f} is over the ceiling of {action.max_amount:.2f}"
    return None


def note_lines(actions: TicketActions, book: ActionBook, prefix: str) -> list[str]:
    """The note's lines for the ticket's actions (agents' eyes; no secret is ever in them),
    a blank line first (``with_section``'s sections are set apart so)."""
    lines: list[str] = [""]
    for o in actions.lookups:
        if o.status == "found":
            # An empty field (an order without tags) says nothing to agents: left out.
            shown = "; ".join(f"{k}: {v}" for k, v in o.outputs.items() if v != "")
            lines.append(f"Lookup {o.action}: {shown}")
        elif o.status == "not_theirs":
            lines.append(
                f"Lookup {o.action}: the record the ticket names is not the requester's; "
                "nothing of it is shown or answered"
            )
        elif o.status == "not_found":
            lines.append(f"Lookup {o.action}: no such record")
        elif o.status == "failed":
            lines.append(f"Lookup {o.action} failed ({o.reason}); look it up by hand")
    for p in actions.proposals:
        action = book.named(p.action)
        said = ", ".join(f"{k}={v}" for k, v in p.inputs.items())
        if p.refused:
            lines.append(f"Change {p.action} ({said}) refused: {p.refused}")
        elif action is not None:
            why = action.description or "the customer asks for it"
            lines.append(
                f"Proposed change {p.action} ({said}): {why}. It runs only when an agent adds "
                f"the tag {action.approval_tag(prefix)}"
            )
    return lines if len(lines) > 1 else []


def reply_text(actions: TicketActions, book: ActionBook) -> str | None:
    """The customer's reply from the team's templates, for found records only (None: none)."""
    said: list[str] = []
    for o in actions.lookups:
        action = book.named(o.action)
        if o.status != "found" or action is None or action.reply is None:
            continue
        said.append(_filled(action, o.reply_values) or action.reply.format_map(o.reply_values))
    return "\n\n".join(said) or None


def customer_reply(actions: TicketActions, book: ActionBook) -> tuple[str, str] | None:
    """The reply a customer may be sent from the team's templates, and the text it may draw on
    (the templates and the record's reply values, what the answers' screen checks it against):
    only when every lookup found the requester's own record, each has a reply whose values the
    record holds (or its fallback's), and no change is asked for (a person handles those)."""
    if not actions.lookups or actions.proposals:
        return None
    said: list[str] = []
    source: list[str] = []
    for o in actions.lookups:
        action = book.named(o.action)
        if o.status != "found" or action is None:
            return None
        text = _filled(action, o.reply_values)
        if text is None:
            return None
        said.append(text)
        source += [action.reply or "", action.reply_fallback or "", *o.reply_values.values()]
    return "\n\n".join(said), "\n".join(source)


def reply_facts(actions: TicketActions, book: ActionBook) -> str:
    """What an LLM may word the reply from, for the lookups whose action asks for it
    (``reply_by = "llm"``): the team's reply filled in and the record's reply values, nothing
    else of the record or the ticket ("": none asks)."""
    said: list[str] = []
    for o in actions.lookups:
        action = book.named(o.action)
        if o.status != "found" or action is None or action.reply_by != "llm":
            continue
        filled = _filled(action, o.reply_values)
        said += [filled] if filled else []
        said += [f"{name}: {value}" for name, value in o.reply_values.items() if value != "-"]
    return "\n".join(said)


def _filled(action: Action, values: Mapping[str, str]) -> str | None:
    """``reply``, or ``reply_fallback`` when the record lacks a value ``reply`` names, filled
    in; None when neither can be (a missing value is shown as ``-``)."""
    for template in (action.reply, action.reply_fallback):
        if template is None:
            continue
        named = [name for _scope, name in PLACEHOLDER.findall(template)]
        if all(values.get(name, "-") != "-" for name in named):
            return template.format_map(values)
    return None
