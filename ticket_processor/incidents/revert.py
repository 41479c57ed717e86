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

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import TicketBotError
from .book import load_book, save_book
from .notes import revert_note
from .plan import LinkOps, typed_links
from .run_pass import STATE_SUBDIR


@dataclass(frozen=True)
class LinkWritten:
    ticket_id: int
    action: str  # open | problem | member | flag | merge
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


def revert_links(
    ops: LinkOps,
    written: list[LinkWritten],
    *,
    state_dir: Path,
    dry_run: bool,
    echo: Callable[[str], None],
) -> LinkRevert:
    result = LinkRevert()
    facts = ops.facts([w.ticket_id for w in written if w.action != "open"])
    opened = [w for w in written if w.action == "open"]
    # Members first, their problem (Zendesk) after: a problem keeps no incident of ours.
    order = {"member": 0, "flag": 1, "problem": 2, "merge": 3}
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
        tags = [t for t in write.tags if now is not None and t in now["tags"]]
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
        unlink = write.action in ("member", "problem") and typed_links(ops.kind)
        what = {
            "member": f"the link to incident #{write.group}",
            "problem": "making this ticket an incident's problem",
            "flag": f"flagging this ticket as a repeat of #{write.earlier}",
        }.get(write.action, write.action)
        # The group and priority it took, given back where they are still the incident's.
        restore = {
            f: write.routing_before.get(f)
            for f, v in write.routing.items()
            if now.get(f) == v and f in write.routing_before
        }
        back = "".join(f"; {f} back to {v}" for f, v in restore.items())
        echo(f"ticket {write.ticket_id}: undo {what}; tags -{', -'.join(tags)}{back}")
        if dry_run:
            result.undone.append(write.ticket_id)
            continue
        try:
            ops.write(
                "unlink" if unlink else "unflag",
                write.ticket_id,
                group=None,
                note=revert_note(what),
                remove_tags=tags,
                routing=restore,
            )
        except TicketBotError as exc:
            result.failed.append(f"ticket {write.ticket_id}: {exc}")
            continue
        result.undone.append(write.ticket_id)
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
        kept = [i for i in book.incidents if i.key not in groups]
        if len(kept) != len(book.incidents):
            book.incidents = kept
            save_book(directory, book)
    return result
