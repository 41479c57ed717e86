"""The write-back decision: ticketbot's public way in to what it writes on a ticket, as the
design card names it.

From a triage (or a customer's reply, or a revert) to the ``WriteBack`` an adapter sends: the
tags to add (each once, only ever added; only enum values and taxonomy names become tags), the
priority by the stated policy (never lowering one a human set), the group and assignee a route
chose, the helpdesk fields, and one internal note whose last line, its trailer, is what every
reader of notes parses. Pure, no I/O.

The implementation lives in ``writeback/``: ``planner`` (the one planner: the ``WriteBack``
for a first triage, a customer's reply and a revert comes from it), ``triage_change`` (a first
triage's tags, priority and ``plan_change``, with the priority policy), ``reply_change`` (what a
customer's reply changes), ``note`` (the note ticketbot writes and how it reads its notes back),
``trailer`` (the note's last line). Tag names (``sanitise_tag``, ``fit_tag``) are vocabulary,
in ``models``. Package code imports each name from the module that defines it; this module
is for a reader and for code that uses ticketbot as a library (the trailer's names are in
``writeback.trailer``).
"""

from .writeback.note import (
    NOTE_HEADER,
    answers_same_message,
    is_revert_note,
    is_triage_note,
    note_labels,
    read_note,
    render_note,
    render_revert_note,
    standing_note,
)
from .writeback.planner import (
    RoutedWriteBack,
    RunWrites,
    WritePolicy,
    reply_plan,
    reply_writeback,
    revert_recheck,
    revert_writeback,
    triage_writeback,
)
from .writeback.reply_change import (
    ReplyChange,
    ReplyKind,
    Thread,
    read_thread,
    repair_change,
    standing_labels,
)
from .writeback.triage_change import (
    URGENCY_TO_PRIORITY,
    WriteBackPlan,
    decide_priority,
    is_processed,
    marker_tag,
    merge_tags,
    plan_change,
    triage_tags,
)

__all__ = [
    "NOTE_HEADER",
    "URGENCY_TO_PRIORITY",
    "ReplyChange",
    "ReplyKind",
    "RoutedWriteBack",
    "RunWrites",
    "Thread",
    "WriteBackPlan",
    "WritePolicy",
    "answers_same_message",
    "decide_priority",
    "is_processed",
    "is_revert_note",
    "is_triage_note",
    "marker_tag",
    "merge_tags",
    "note_labels",
    "plan_change",
    "read_note",
    "read_thread",
    "render_note",
    "render_revert_note",
    "repair_change",
    "reply_plan",
    "reply_writeback",
    "revert_recheck",
    "revert_writeback",
    "standing_labels",
    "standing_note",
    "triage_tags",
    "triage_writeback",
]
