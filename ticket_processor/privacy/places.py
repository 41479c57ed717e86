"""Every place ticketbot keeps customers' data, in one list: what each holds, how long, and
how one person's part of it is found and removed (``traces``).

``privacy export`` and ``privacy forget`` walk this list, and the data map
(docs/reference/data-map.md) is generated from it, so a place added here is exported, forgotten
and documented at once; a feature that keeps a new file of customers' data adds its line.

``handler`` names how a place is read: ``audit`` (the audit store's tables, SQLite or
PostgreSQL), ``logs`` (the JSON-lines logs), ``json`` and ``jsonl`` (state files, by ticket id
and address: ``scrub``), ``sqlite`` (a state database: rows by ticket id, in ``tables``),
``window`` (a numpy archive beside its index), ``feature`` (a feature's own reader of its file,
``visit``), ``cache`` (the analysis cache, which names no ticket: emptied), ``people`` (the
people index itself). ``history``: the place is
rebuilt from the helpdesk's history, so every run erases the forgotten tickets from it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..macros.forget import history_rows

# The state files written encrypted when a key is set (``common.sealed``; each writer passes
# ``seal=True``): what ``privacy encrypt`` and ``privacy rotate`` convert, and what every command
# checks it holds the key for before it starts.
SEALED_FILES: tuple[str, ...] = (
    "answers.json",
    "assignment/replies.json",
    "incidents/book.json",
    "incidents/window.npz",
    *(
        f"{folder}{name}"
        for folder in ("", "serve/", "shadow/")
        for name in ("cache.json", "replies.json", "retry.json", "inflight.json", "jobs.json")
    ),
    "people.json",
    "macros-vectors.npz",
)
# The files appended to line by line, each line encrypted on its own (``sealed.seal_line``):
# converted line by line.
SEALED_LINE_FILES: tuple[str, ...] = (
    "serve/seen.jsonl",
    "serve/seen.taking.jsonl",
    "learn-examples.jsonl",
)


@dataclass(frozen=True)
class Place:
    path: str  # in the state directory; ``audit store`` and ``logs`` name themselves
    handler: str
    holds: str
    kept: str
    tables: dict[str, str] = field(default_factory=dict)  # table -> its ticket-id column
    history: bool = False
    # A feature's own reader of its file (``handler`` "feature"): entries of some tickets,
    # erased when asked.
    visit: Callable[..., int] | None = None


# The run's own files, kept by the cron run and again by serve's and shadow runs' own
# state directories.
_RUN_FILES: tuple[tuple[str, str, str, str], ...] = (
    (
        "replies.json",
        "json",
        "per ticket: ticketbot's last write, the last reply judged, the sentiment trend",
        "until the ticket is solved; a judged reply 90 days",
    ),
    (
        "inflight.json",
        "json",
        "the writes in flight, each with its decision's fields",
        "until the write is confirmed",
    ),
    ("jobs.json", "json", "helpdesk jobs and their tickets' ids", "until the job is asked"),
    ("retry.json", "json", "failed tickets' ids and attempts", "5 runs"),
    (
        "cache.json",
        "cache",
        "analyses (the engine's words on redacted text), by a hash of the text; no ticket id",
        "the `TICKETBOT_CACHE_ENTRIES` most recently used",
    ),
)

PLACES: tuple[Place, ...] = (
    Place(
        "audit store",
        "audit",
        "per decision: the subject (redacted, or raw with `TICKETBOT_AUDIT_RAW_SUBJECTS`), the "
        "answer (greeting the customer by first name), the labels, the log event; writes, "
        "reverts, reviews, corrections by ticket id; agents' and customers' ratings (an agent's "
        "free-text reason); the SLA clocks (ids and times)",
        "`TICKETBOT_KEEP_DAYS` (30 days)",
        tables={
            "decisions": "ticket_id",
            "writes": "ticket_id",
            "reverts": "ticket_id",
            "reviews": "ticket_id",
            "corrections": "ticket_id",
            "ratings": "ticket_id",
            "sla_clocks": "ticket_id",
        },
    ),
    Place(
        "logs",
        "logs",
        "events by ticket id; `summary_written`'s text and before; `answer_would_send`",
        "as long as you keep the log directory",
    ),
    Place(
        "people.json",
        "people",
        "keyed hashes of the addresses on each ticket, the requester's id; what was forgotten",
        "400 days from a ticket's first run",
    ),
    Place(
        "answers.json",
        "json",
        "drafted answers and replies not yet sent (first name included), replies sent "
        "(requester id, category, article)",
        "30 days",
    ),
    *(Place(name, handler, holds, kept) for name, handler, holds, kept in _RUN_FILES),
    *(
        Place(f"{folder}/{name}", handler, holds, kept)
        for folder in ("serve", "shadow")
        for name, handler, holds, kept in _RUN_FILES
    ),
    Place(
        "serve/seen.jsonl",
        "jsonl",
        "what serve triaged: with incidents on, the redacted text, the requester's address and "
        "organisation",
        "until the next cron run takes it",
    ),
    Place(
        "serve/seen.taking.jsonl",
        "jsonl",
        "serve's journal while a cron run takes it (as `serve/seen.jsonl`)",
        "until that run ends",
    ),
    Place(
        "serve/deliveries.sqlite3",
        "sqlite",
        "the webhook deliveries' queue: ticket ids, no text",
        "7 days after delivery",
        tables={"deliveries": "ticket_id"},
    ),
    Place(
        "incidents/book.json",
        "json",
        "incidents: titles, members, a member's redacted subject, flagged repeats",
        "while the incident is open",
    ),
    Place(
        "incidents/window.npz",
        "window",
        "recent tickets: id, requester id, creation, category, the encoder's vector",
        "the incident window",
        history=True,
    ),
    Place(
        "escalations.sqlite3",
        "sqlite",
        "escalated tickets: subject (redacted), link, routes, pages",
        "30 days",
        tables={"escalation": "ticket_id", "owed": "ticket_id", "incident": "group_ticket"},
    ),
    Place(
        "solved.sqlite3",
        "sqlite",
        "solved tickets: subject, resolution and content words (redacted), their vectors",
        "until the next `kb sync --solved` drops them",
        tables={"solved": "ticket_id"},
        history=True,
    ),
    Place(
        "actions.sqlite3",
        "sqlite",
        "changes proposed, owed and done by ticket: their inputs (order numbers, amounts, the "
        "requester's address), the API's results, refusals' reasons, the approving agent",
        "as long as the state directory",
        tables={"change": "ticket_id", "undo": "ticket_id"},  # undo: revert's, by ticket
    ),
    Place(
        "assignment/replies.json",
        "json",
        "two-way `/reply` markers by ticket and note: the agent's translated text while owed, "
        "the language, the agent's id; a refusal's reason",
        "as long as the state directory",
    ),
    Place(
        "assignment/assigned.json",
        "json",
        "ticketbot's standing assignments: ticket id, agent id, skills; no text",
        "until the ticket is solved or moved",
    ),
    Place(
        "sla.json",
        "json",
        "SLA targets warned of, breached and met, by ticket id: times and probabilities; no text",
        "30 days",
    ),
    Place(
        "sla_read.json",
        "json",
        "the last SLA read's position and clocks and first replies, by ticket id: groups, "
        "priorities, tags, times and targets; no text",
        "a day (the day's full read replaces it)",
    ),
    Place(
        "macros.json",
        "feature",
        "solved tickets' ids, when solved, the macro used, the macro tagged and an agent's "
        '"did not help", and (in `macros-vectors.npz`) their vectors; no text',
        "until the next `macros sync`",
        history=True,
        visit=history_rows,
    ),
    Place(
        "learn-examples.jsonl",
        "jsonl",
        "while `learn --from-helpdesk` harvests: solved tickets' subjects and descriptions as "
        "the helpdesk has them",
        "deleted once the model is written",
        history=True,
    ),
)


# The places kept plain with a key set, and why: no customer's text or identifier in them.
_PLAIN = {
    "serve/deliveries.sqlite3": "no: ticket ids and times, no text",
    "assignment/assigned.json": "no: ticket and agent ids, no text",
    "sla.json": "no: ticket ids, times and probabilities, no text",
    "sla_read.json": "no: ticket ids, groups, tags, times and targets, no text",
    "macros.json": "no: ticket ids, times and macros, no text; `macros-vectors.npz` with a key",
}


def _encrypted(place: Place) -> str:
    if place.path in SEALED_FILES:
        return "with a key"
    if place.path in SEALED_LINE_FILES:
        return "with a key, line by line"
    if place.path == "solved.sqlite3":
        return "with a key: subject, resolution, vector, words"
    if place.path == "escalations.sqlite3":
        return "with a key: subject"
    if place.path == "actions.sqlite3":
        return "with a key: inputs, reason, result"
    if place.handler == "audit":
        return "with a key: subject, answer, error, event, revert details, rating reason"
    if place.handler == "logs":
        return "with a key: `summary_written`'s text and before"
    return _PLAIN.get(place.path, "no")


def data_map() -> str:
    """The data map's generated table (docs/reference/data-map.md): every place, what it holds,
    how long, whether it is encrypted, and whether later runs erase forgotten tickets again."""
    lines = [
        "| place | what it holds | kept | encrypted | forget |",
        "|---|---|---|---|---|",
    ]
    how = {
        "audit": "text cleared, labels kept as counts",
        "logs": "the ticket's events keep their counts, lose their text",
        "cache": "emptied",
        "people": "their tickets removed; the forget recorded (hashes, ids)",
    }
    for place in PLACES:
        where = place.path if place.handler in ("audit", "logs") else f"`{place.path}`"
        forget = how.get(place.handler, "their entries removed")
        if place.history:
            forget += "; again after every run"
        lines.append(f"| {where} | {place.holds} | {place.kept} | {_encrypted(place)} | {forget} |")
    return "\n".join(lines) + "\n"
