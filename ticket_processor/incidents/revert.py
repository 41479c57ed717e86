"""``revert --run``'s part for incidents and repeat tickets: the links, types and flags a run
wrote, taken back where they are still as the run left them.

From the run's ``incident_write`` events: an incident's report loses ticketbot's link (Zendesk:
``type`` and ``problem_id`` cleared; Freshdesk: the tracker ticketbot opened is deleted, to the
trash, which unlinks its tickets) and its tag, and gets one note saying so; the problem (the
first report, on Zendesk) goes back to no type; a flagged repeat loses its tag. A report that
took the incident's group or priority gets its own back where it still has the incident's. A
ticket an agent changed since (another type, another problem, the tag gone) is left as it is.
A merge cannot be taken back (neither helpdesk has an unmerge): it is listed, for an agent to
reopen the closed ticket by hand. The incident leaves the book, so later runs do not join it again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TicketBotError
from ..models import Ticket
from .book import load_book, save_book
from .notes import revert_note
from .plan import LinkOps, typed_links
from .run_pass import STATE_SUBDIR


@dataclass(frozen=True)
class LinkWritten:
    ticket_id: int
    action: str  # open | problem | member | flag | suggest | merge
    group: int | None
    tags: tuple[str, ...]
    earlier: int | None = None
    routing: dict[str, Any] = field(default_factory=dict)  # what the link set
    routing_before: dict[str, Any] = field(default_factory=dict)  # what it replaced


@dataclass
class LinkRevert:
    undone: list[int] = field(default_factory=list)
    kept: list[int] = field(default_factory=list)  # changed since: left alone
    cannot: list[str] = field(default_factory=list)  # merges
    failed: list[str] = field(default_factory=list)
    # What was planned: the preview of the triage's revert plans on the tickets as left by it.
    planned: list[LinkUndo] = field(default_factory=list)


def links_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[LinkWritten]:
    found: list[LinkWritten] = []
    for event in events:
        if event.get("event") != "incident_write" or event.get("run_id") != run_id:
            continue
        if not isinstance(event.get("ticket_id"), int):
            continue
        group = event.get("group")
        earlier = event.get("earlier")
        routing, before = event.get("routing"), event.get("routing_before")
        found.append(
            LinkWritten(
                event["ticket_id"],
                str(event.get("action")),
                group if isinstance(group, int) else None,
                tuple(str(t) for t in event.get("tags_added") or ()),
                earlier if isinstance(earlier, int) else None,
                dict(routing) if isinstance(routing, dict) else {},
                dict(before) if isinstance(before, dict) else {},
            )
        )
    return found


@dataclass(frozen=True)
class LinkUndo:
    """One link or flag a revert takes back: the tags it removes, the routing it gives back."""

    write: LinkWritten
    what: str  # the undone write, as the note and the preview say it
    tags: tuple[str, ...]
    restore: dict[str, Any]  # the group and priority the report had before (raw values)
    unlink: bool  # a typed link (Zendesk's incident/problem), else only tags and note


def plan_link_undos(ops: LinkOps, written: list[LinkWritten], result: LinkRevert) -> list[LinkUndo]:
    """What taking back ``written`` does to each ticket as it is now (one read): the plan both
    ``revert --dry-run`` shows and ``revert`` writes. Tickets changed since go to
    ``result.kept``, merges to ``result.cannot``; the trackers opened are not in it."""
    facts = ops.facts([w.ticket_id for w in written if w.action != "open"])
    undos: list[LinkUndo] = []
    # Members first, their problem (Zendesk) after: a problem keeps no incident of ours.
    order = {"member": 0, "flag": 1, "suggest": 1, "problem": 2, "merge": 3}
    for write in sorted(written, key=lambda w: order.get(w.action, 9)):
        if write.action == "open":
            continue
        if write.action == "merge":
            result.cannot.append(
                f"ticket {write.ticket_id} was merged into #{write.earlier}: a merge cannot be "
                "undone (no unmerge on either helpdesk); reopen it by hand if it was wrong"
            )
            continue
        now = facts.get(write.ticket_id)
        tags = tuple(t for t in write.tags if now is not None and t in now["tags"])
        if now is None or not tags:
            result.kept.append(write.ticket_id)
            continue
        ours = now.get("type") == "incident" and now.get("group") == write.group
        if write.action == "member" and typed_links(ops.kind) and not ours:
            result.kept.append(write.ticket_id)
            continue
        if write.action == "problem" and now.get("type") != "problem":
            result.kept.append(write.ticket_id)
            continue
        what = {
            "member": f"the link to incident #{write.group}",
            "problem": "making this ticket an incident's problem",
            "flag": f"flagging this ticket as a repeat of #{write.earlier}",
            "suggest": "suggesting this ticket is one report of an incident",
        }.get(write.action, write.action)
        # The group and priority it took, given back where they are still the incident's.
        restore = {
            f: write.routing_before.get(f)
            for f, v in write.routing.items()
            if now.get(f) == v and f in write.routing_before
        }
        unlink = write.action in ("member", "problem") and typed_links(ops.kind)
        undos.append(LinkUndo(write, what, tags, restore, unlink))
    return undos


def describe_link_undo(undo: LinkUndo, ops: LinkOps) -> str:
    """One line for ``revert`` and its ``--dry-run``: priorities by their names, "cleared"
    where the report had none before."""
    back = ""
    for name, value in undo.restore.items():
        if name == "priority":
            back += f"; priority {_priority_after(ops, value)}"
        else:
            back += f"; {name} back to {'none' if value is None else value}"
    return f"ticket {undo.write.ticket_id}: undo {undo.what}; tags -{', -'.join(undo.tags)}{back}"


def _priority_after(ops: LinkOps, value: Any) -> str:
    name = ops.priority_name(value) if value is not None else None
    return f"back to {name or value}" if value is not None else "cleared"


def as_undone(
    tickets: Mapping[int, Ticket], undos: list[LinkUndo], ops: LinkOps
) -> dict[int, Ticket]:
    """``tickets`` as ``undos`` would leave them (tags, group, priority): what the triage's
    revert, which comes after the links', plans on in ``revert --dry-run``."""
    left = dict(tickets)
    for undo in undos:
        ticket = left.get(undo.write.ticket_id)
        if ticket is None:
            continue
        update: dict[str, Any] = {"tags": [t for t in ticket.tags if t not in undo.tags]}
        if "priority" in undo.restore:
            update["priority"] = ops.priority_name(undo.restore["priority"])
        if "group_id" in undo.restore:
            update["group_id"] = undo.restore["group_id"]
        left[ticket.id] = ticket.model_copy(update=update)
    return left


def revert_links(
    ops: LinkOps,
    written: list[LinkWritten],
    *,
    state_dir: Path,
    dry_run: bool,
    echo: Callable[[str], None],
) -> LinkRevert:
    """Take back (or, ``dry_run``, only show) the run's links, flags and trackers."""
    result = LinkRevert()
    undos = result.planned = plan_link_undos(ops, written, result)
    for undo in undos:
        echo(describe_link_undo(undo, ops))
        if dry_run:
            result.undone.append(undo.write.ticket_id)
            continue
        try:
            ops.write(
                "unlink" if undo.unlink else "unflag",
                undo.write.ticket_id,
                group=None,
                note=revert_note(undo.what),
                remove_tags=undo.tags,
                routing=undo.restore,
            )
        except TicketBotError as exc:
            result.failed.append(f"ticket {undo.write.ticket_id}: {exc}")
            continue
        result.undone.append(undo.write.ticket_id)
    opened = [w for w in written if w.action == "open"]
    for write in opened:
        echo(f"ticket {write.ticket_id}: delete the tracker ticket ticketbot opened (to the trash)")
        if dry_run:
            continue
        try:
            ops.close_group(write.ticket_id)
        except TicketBotError as exc:
            result.failed.append(f"tracker {write.ticket_id}: {exc}")
    if not dry_run:
        groups = {w.group for w in written if w.group is not None} | {
            w.ticket_id for w in written if w.action in ("open", "problem")
        }
        directory = state_dir / STATE_SUBDIR
        book, _ = load_book(directory)
        before = len(book.incidents)
        book.incidents = [i for i in book.incidents if i.suggested or i.key not in groups]
        book.drop_suggested(w.ticket_id for w in written if w.action == "suggest")
        if len(book.incidents) != before:
            save_book(directory, book)
    return result
