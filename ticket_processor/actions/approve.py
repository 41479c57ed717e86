"""The approval pass: a proposed change runs once an agent approved it, exactly once.

After each batch the pass reads the tickets whose changes wait (``owed.ChangeStore``): a change
whose ticket now carries its approval tag (``<prefix>approve_<action>``) is approved — when the
helpdesk tells who added the tag (``TagAuthors``), only from one of its agents; a customer's tag
is refused. An approved change is checked against its limits again, recorded ``owed`` on disk,
and only then called (one process at a time: ``serve`` and the cron run share the store), with
the idempotency key ``ticketbot:<account>:ticket:<id>:action:<name>``
in the header the action declares; its answer settles it ``done`` or ``failed`` (an answer no
retry changes). A call that got no answer (the shop down, slow, throttled past the run's bound)
stays ``owed``: the next run calls again under the same key, and so does a run after a kill -9.
Each settled change gets a note on its ticket, once: the note carries a marker naming the
change's key and result (``result_marker``), and its write is recorded begun before it goes
out; a run killed after the write landed and before it was recorded leaves the next run to find
the marker on the ticket instead of writing the note again.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from ..errors import TicketBotError
from ..helpdesks.capabilities import TagAuthors
from ..models import Ticket, WriteBack, WriteOutcome
from ..passes.protocol import Pass, RunEnd
from ..state.file_lock import updating
from ..steps.protocol import StepRun
from .act import over_limit
from .book import Action, ActionBook
from .call import Caller, dig
from .owed import Change, ChangeStore

CHANGE_SECONDS = 30.0  # at most, per change's call, whatever the run has left
LOCK_WAIT = 10.0  # seconds a pass waits for another process's changes before leaving them


def idempotency_key(account: str, ticket_id: int, action: str) -> str:
    return f"ticketbot:{account}:ticket:{ticket_id}:action:{action}"


def result_marker(key: str, status: str) -> str:
    """The last line of a change's result note: which change, and how it ended."""
    return f"{key}:{status}"


class ApprovalPass(Pass):
    name = "actions"

    def __init__(
        self,
        book: ActionBook,
        caller: Caller,
        store: ChangeStore,
        run: StepRun,
        *,
        prefix: str,
        time_left: Callable[[], float | None],
    ) -> None:
        self.book = book
        self.caller = caller
        self.store = store
        self.run = run
        self.prefix = prefix
        self._time_left = time_left
        self.account = urlsplit(run.helpdesk.base_url).hostname or run.helpdesk.kind

    def write(self, end: RunEnd) -> None:
        if not end.writes or end.aborted:
            return
        # One process makes changes at a time (serve and the cron run share the store; the OS
        # drops the lock of one killed): another waits a little, then leaves them to it.
        with updating(self.store.path, wait=LOCK_WAIT) as held:
            if held:
                self._carry_out()
            else:
                self.run.log.emit("actions_left", reason="another process makes the changes")

    def _carry_out(self) -> None:
        waiting = self.store.waiting()
        if not waiting:
            return
        ids = sorted({c.ticket_id for c in waiting})
        tickets = {t.id: t for t in self.run.helpdesk.tickets(ids)}
        made: dict[str, int] = {}
        for change in waiting:
            if self.run.should_stop():
                break
            action = self.book.named(change.action)
            ticket = tickets.get(change.ticket_id)
            if action is None or ticket is None:
                continue
            if action.max_per_run is not None and made.get(action.name, 0) >= action.max_per_run:
                continue  # its rate: the rest wait for the next run
            called = False
            if change.status in ("proposed", "approved"):
                called = self._judge_approval(action, change, ticket)
            elif change.status == "owed":
                self._call(action, change)
                called = True
            made[action.name] = made.get(action.name, 0) + called
        for change in self.store.waiting():
            if change.status in ("done", "failed", "refused") and not change.noted:
                self._note(change)

    def _judge_approval(self, action: Action, change: Change, ticket: Ticket) -> bool:
        tag = action.approval_tag(self.prefix)
        helpdesk = self.run.helpdesk
        approver = change.approver or "an agent"
        if change.status != "approved":  # "approved": through serve's API, behind its token
            if tag not in ticket.tags:
                return False
            if isinstance(helpdesk, TagAuthors):
                try:
                    author = helpdesk.tag_author(ticket.id, tag)
                except TicketBotError:  # not read (a token without the audits): not an agent's
                    author = None
                if author is None or not author.agent:
                    who = author.who if author else "someone the helpdesk does not name"
                    reason = f"approved by {who}, who is not an agent"
                    self._settle(change, "refused", reason=reason)
                    return False
                approver = author.who
        limit = over_limit(action, change.inputs)
        if limit is not None:
            self._settle(change, "refused", approver=approver, reason=limit)
            return False
        # On disk before the first byte: a kill from here on leaves it owed, never lost.
        self.store.settle(change.ticket_id, change.action, "owed", approver=approver)
        owed = self.store.get(change.ticket_id, change.action)
        if owed is None:
            return False
        self._call(action, owed)
        return True

    def _call(self, action: Action, change: Change) -> None:
        left = self._time_left()
        bound = CHANGE_SECONDS if left is None else min(CHANGE_SECONDS, left)
        key = idempotency_key(self.account, change.ticket_id, change.action)
        result = self.caller.call(action, change.inputs, deadline=bound, idempotency_key=key)
        answered = result.status != 0 and result.status != 429 and result.status < 500
        status = ("done" if result.ok else "failed") if answered else "owed"
        shown = {name: str(dig(result.body, path)) for name, path in action.outputs.items()}
        self.store.settle(
            change.ticket_id,
            change.action,
            status,
            reason=result.error,
            result={"http_status": result.status, **(shown if result.ok else {})},
            attempt=True,
        )
        self.run.log.emit(
            "action_called",
            ticket_id=change.ticket_id,
            action=change.action,
            kind="change",
            status=status,
            http_status=result.status,
            seconds=round(result.seconds, 3),
            reason=result.error,
            approver=change.approver,
            inputs=sorted(change.inputs),
        )

    def _settle(
        self, change: Change, status: str, *, approver: str | None = None, reason: str
    ) -> None:
        self.store.settle(change.ticket_id, change.action, status, approver=approver, reason=reason)
        self.run.log.emit(
            "action_refused",
            ticket_id=change.ticket_id,
            action=change.action,
            reason=reason,
            approver=approver,
        )

    def _note(self, change: Change) -> None:
        """The settled change's note on its ticket, once: recorded begun before its write and
        ``noted`` after; a write begun and not recorded is looked for on the ticket first."""
        fresh = self.store.get(change.ticket_id, change.action)
        if fresh is None:
            return
        key = idempotency_key(self.account, fresh.ticket_id, fresh.action)
        marker = result_marker(key, fresh.status)
        if fresh.noting:
            try:
                landed = self._has_note(fresh.ticket_id, marker)
            except TicketBotError:
                return  # not read: the next run looks again, and writes nothing blindly
            if landed:
                self.store.noted(fresh.ticket_id, fresh.action)
                return
        said = ", ".join(f"{k}={v}" for k, v in fresh.inputs.items())
        if fresh.status == "done":
            result = fresh.result or {}
            shown = "; ".join(f"{k}: {v}" for k, v in result.items() if k != "http_status")
            text = f"Change {fresh.action} ({said}) done, approved by {fresh.approver}. {shown}"
        elif fresh.status == "failed":
            text = f"Change {fresh.action} ({said}) failed: {fresh.reason}"
        else:
            text = f"Change {fresh.action} ({said}) refused: {fresh.reason}"
        journal = self.run.journal
        if journal is None:
            return
        note = f"ticketbot actions\n\n{text.strip()}\n\nrun {self.run.run_id}\n{marker}"
        change_wb = WriteBack(ticket_id=fresh.ticket_id, additional_tags=(), note=note)
        outcomes: list[WriteOutcome] = []
        self.store.noted(fresh.ticket_id, fresh.action, begun=True)  # before the first byte
        self.run.helpdesk.write_batch(
            [change_wb], replan=lambda _t: change_wb, journal=journal, report=outcomes.append
        )
        if outcomes and outcomes[0].error is None:
            self.store.noted(fresh.ticket_id, fresh.action)

    def _has_note(self, ticket_id: int, marker: str) -> bool:
        """Whether the ticket holds ticketbot's internal note ending in ``marker`` (a ticket
        gone has nothing left to note)."""
        found = self.run.helpdesk.conversation(ticket_id)
        if found is None:
            return True
        return any(m.from_ticketbot and not m.public and marker in m.body for m in found.messages)
