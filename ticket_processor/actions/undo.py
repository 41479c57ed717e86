"""``ticketbot revert --run RUN_ID`` for the changes a run made: each change the run carried
out (its ``action_called`` events of kind change, status done) whose action declares an
``undo`` gets that call, once; a change whose action declares none (a refund: Shopify cannot
take one back) is named and stays made.

An undo is recorded ``owed`` on disk before its call's first byte (``owed.ChangeStore``), as the
change was, and sent under the change's idempotency key with ``:undo`` after it: a revert killed
or left without an answer leaves it owed, and running the same revert again calls it again under
the same key; one done is never made twice. Its values are the change's inputs and what the
change's answer gave (its outputs). Once made, an internal note on the ticket says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ..errors import ConfigError
from ..models import Helpdesk, WriteBack, WriteJournal, WriteOutcome
from ..state.file_lock import updating
from ..state.ledger import RunLedger
from ..steps.revert import RevertAsk, UndoneFirst
from .approve import CHANGE_SECONDS, LOCK_WAIT, idempotency_key
from .book import Action, ActionBook
from .call import Caller
from .owed import Change, ChangeStore


@dataclass(frozen=True)
class UndoLine:
    """What revert did (or would do) with one change, in a line for the operator."""

    ticket_id: int
    action: str
    status: str  # undone, would_undo, already, owed, failed, no_undo, unknown
    text: str

    @property
    def failed(self) -> bool:
        return self.status in ("owed", "failed", "unknown")


def changes_of_run(events: Iterable[dict[str, Any]], run_id: str) -> list[tuple[int, str]]:
    """The changes the run made, (ticket id, action), in the order it made them."""
    found: dict[tuple[int, str], None] = {}
    for event in events:
        if event.get("event") != "action_called" or event.get("run_id") != run_id:
            continue
        ticket_id, action = event.get("ticket_id"), event.get("action")
        made = event.get("kind") == "change" and event.get("status") == "done"
        if made and isinstance(ticket_id, int) and isinstance(action, str):
            found[(ticket_id, action)] = None
    return list(found)


class Undoer:
    """Undoes one run's changes through the actions' caller, store and the helpdesk."""

    def __init__(
        self,
        book: ActionBook,
        caller: Caller,
        store: ChangeStore,
        helpdesk: Helpdesk,
        journal: WriteJournal,
        run_id: str,
    ) -> None:
        self.book = book
        self.caller = caller
        self.store = store
        self.helpdesk = helpdesk
        self.journal = journal
        self.run_id = run_id
        self.account = urlsplit(helpdesk.base_url).hostname or helpdesk.kind

    def undo(self, ticket_id: int, name: str, *, dry_run: bool) -> UndoLine:
        change = self.store.get(ticket_id, name)
        action = self.book.named(name)
        said = _said(change)
        where = f"ticket {ticket_id}: change {name}{said}"
        if action is None or change is None:
            why = "is not in the actions file" if action is None else "is not in the store"
            return UndoLine(ticket_id, name, "unknown", f"{where} {why}: not undone")
        if action.undo is None:
            text = f"{where} has no undo declared: it stays made"
            return UndoLine(ticket_id, name, "no_undo", text)
        if dry_run:
            return UndoLine(ticket_id, name, "would_undo", f"{where}: its undo would be called")
        undo = self.store.owe_undo(ticket_id, name, self.run_id)  # on disk before the call
        if undo.status == "done":
            if not undo.noted:
                self._note(change, action)
            return UndoLine(ticket_id, name, "already", f"{where} was undone before")
        if undo.status == "failed":
            text = f"{where}: its undo failed before ({undo.reason}); undo it by hand"
            return UndoLine(ticket_id, name, "failed", text)
        return self._call(action, change, where)

    def _call(self, action: Action, change: Change, where: str) -> UndoLine:
        outputs = {k: str(v) for k, v in (change.result or {}).items() if k != "http_status"}
        key = idempotency_key(self.account, change.ticket_id, change.action) + ":undo"
        result = self.caller.call(
            action,
            {**outputs, **change.inputs},
            deadline=CHANGE_SECONDS,
            idempotency_key=key,
            request=action.undo,
        )
        answered = result.status != 0 and result.status != 429 and result.status < 500
        status = ("done" if result.ok else "failed") if answered else "owed"
        self.store.settle_undo(change.ticket_id, change.action, status, reason=result.error)
        if status == "owed":
            text = f"{where}: its undo got no answer ({result.error}); run this revert again"
            return UndoLine(change.ticket_id, change.action, "owed", text)
        if status == "failed":
            text = f"{where}: its undo was refused ({result.error}); undo it by hand"
            return UndoLine(change.ticket_id, change.action, "failed", text)
        noted = self._note(change, action)
        text = f"{where}: undone" + ("" if noted else " (its note on the ticket failed)")
        return UndoLine(change.ticket_id, change.action, "undone", text)

    def _note(self, change: Change, action: Action) -> bool:
        key = idempotency_key(self.account, change.ticket_id, change.action)
        text = (
            f"ticketbot actions\n\nChange {action.name}{_said(change)} undone by ticketbot "
            f"revert of run {self.run_id}.\n\n{key}:undone"
        )
        wb = WriteBack(ticket_id=change.ticket_id, additional_tags=(), note=text)
        outcomes: list[WriteOutcome] = []
        self.helpdesk.write_batch(
            [wb], replan=lambda _t: wb, journal=self.journal, report=outcomes.append
        )
        if outcomes and outcomes[0].error is None:
            self.store.undo_noted(change.ticket_id, change.action)
            return True
        return False


def _said(change: Change | None) -> str:
    if change is None or not change.inputs:
        return ""
    return " (" + ", ".join(f"{k}={v}" for k, v in change.inputs.items()) + ")"


class UndoSettings(Protocol):
    """What the undo reads of the settings: the actions file and the state directory."""

    @property
    def actions_file(self) -> Path | None: ...

    @property
    def state_dir(self) -> Path: ...


def undo_changes(
    settings: UndoSettings,
    helpdesk: Helpdesk,
    changes: list[tuple[int, str]],
    run_id: str,
    dry_run: bool,
    echo: Callable[[str], None],
) -> bool:
    """Undo the run's ``changes`` (``changes_of_run``) where their actions declare an undo,
    a line each to ``echo``; whether any is left not undone (owed, failed or unknown). One
    process changes the shop at a time: the approval pass's lock on the store is held."""
    if not changes:
        return False
    if settings.actions_file is None:
        raise ConfigError(
            f"run {run_id!r} made {len(changes)} change(s) through the actions: set "
            "TICKETBOT_ACTIONS to the actions file to undo them"
        )
    from .setup import actions_caller

    book, caller = actions_caller(settings.actions_file)
    store = ChangeStore(settings.state_dir)
    try:
        with updating(store.path, wait=LOCK_WAIT) if not dry_run else nullcontext(True) as held:
            if not held:
                raise ConfigError(
                    "another ticketbot process is making the actions' changes: run the "
                    "revert again once it is done"
                )
            undoer = Undoer(book, caller, store, helpdesk, RunLedger(settings.state_dir), run_id)
            lines = [undoer.undo(t, name, dry_run=dry_run) for t, name in changes]
    finally:
        caller.close()
    for line in lines:
        echo(line.text)
    return any(line.failed for line in lines)


class ChangesRevert(UndoneFirst):
    """The changes a run made through the actions, for ``revert`` (``steps.revert``): undone
    before the triage's revert."""

    def __init__(self, settings: UndoSettings, changes: list[tuple[int, str]], ask: RevertAsk):
        self.settings = settings
        self.changes = changes
        self.ask = ask

    def undo_first(self, helpdesk: Helpdesk) -> bool:
        ask = self.ask
        return undo_changes(
            self.settings, helpdesk, self.changes, ask.run_id, ask.dry_run, ask.echo
        )


def changes_revert(settings: UndoSettings, ask: RevertAsk) -> ChangesRevert | None:
    """The run's changes to undo, or None: it made none."""
    changes = changes_of_run(ask.events, ask.run_id)
    return ChangesRevert(settings, changes, ask) if changes else None
