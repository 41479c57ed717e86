"""The shapes of the files in the state directory, and how one is read without ever failing.

Each file has a pydantic model; ``read_validated`` returns the parsed model, or ``None`` when the
file is missing, and sets a file that does not validate aside (``<name>.bad-<timestamp>``) —
garbage bytes, an empty file, JSON of the wrong shape, JSON nested too deep, and (refused by
``atomic.read_state_bytes`` before a byte is read) a directory, a link or a FIFO where a file
should be, or a file of absurd size —
returning why, so the caller reports it once and carries on from a safe default. A damaged
state file costs at most a warning; it never stops a scheduled run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    StrictStr,
    ValidationError,
)

from ..common.atomic import SetAside, read_state_bytes, set_aside
from ..errors import StateFileRefused, plain_message

M = TypeVar("M", bound=BaseModel)

NonNegative = Annotated[StrictInt, Field(ge=0)]


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class CursorFile(_File):
    kind: StrictStr
    value: StrictStr | None
    start_time: StrictInt | None = None
    updated_at: StrictStr
    # The helpdesk the cursor belongs to: a cursor of another helpdesk is never used.
    helpdesk: StrictStr | None = None


class PlannedWriteRecord(_File):
    """What a triage write in flight was to write: the run that decided it, when its write
    began, and the decision as its ``ticket_triaged`` event would log it."""

    run_id: StrictStr
    began_at: StrictStr
    decision: dict[StrictStr, Any]


class InflightFile(_File):
    ticket_ids: list[StrictInt]
    # By ticket id: the triage decisions among them (a file of an older version has none).
    decisions: dict[Annotated[str, Field(pattern=r"^\d{1,19}$")], PlannedWriteRecord] = {}


class JobsFile(_File):
    jobs: dict[str, list[StrictInt]]


class RetryFile(_File):
    tickets: dict[Annotated[str, Field(pattern=r"^\d{1,19}$")], NonNegative]


class BreakerRecord(_File):
    state: Literal["open", "closed"]
    failures: NonNegative
    opened_at: float | None = None
    cause: str | None = None  # the last failure's message: why it opened, and the fix


class BreakersFile(RootModel[dict[str, BreakerRecord]]):
    """Breaker states by dependency (and endpoint): ``{"zendesk@https://…": {...}}``."""


class LastRunFile(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    run_id: StrictStr
    finished_at: StrictStr
    status: StrictStr


class AlertsFile(RootModel[dict[str, float]]):
    """When each alert condition last went out (Unix seconds)."""


class CacheFile(BaseModel):
    """``cache.json``: content hash -> analysis, oldest first."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    version: Literal[1]
    entries: dict[str, dict[str, Any]]


class CursorRecord(_File):
    kind: StrictStr
    value: StrictStr | None
    start_time: StrictInt | None = None


class ReplyEntry(_File):
    """What ticketbot knows of one triaged ticket's conversation (``state.replies``)."""

    written: StrictStr | None = None  # the ticket's updated_at after ticketbot's last write
    answered: StrictInt | None = None  # the last reply judged (a comment/conversation id)
    trend: list[StrictStr] = Field(default_factory=list, max_length=64)  # sentiment per message
    seen: StrictInt = 0  # Unix time of the last change here, for pruning


# One ticket of the book as a row: (written, answered, trend as comma-separated sentiments,
# seen). A row costs a quarter of a ``ReplyEntry``'s memory, in the file and when read.
ReplyRow = tuple[StrictStr | None, StrictInt | None, StrictStr, StrictInt]


class RepliesFile(_File):
    """Re-triage on customers' replies: its own cursor in the helpdesk's stream and the book
    (``rows``; ``tickets`` is the older form, read and never written again)."""

    helpdesk: StrictStr | None = None
    cursor: CursorRecord | None = None
    tickets: dict[Annotated[str, Field(pattern=r"^\d{1,19}$")], ReplyEntry] = Field(
        default_factory=dict
    )
    rows: dict[Annotated[str, Field(pattern=r"^\d{1,19}$")], ReplyRow] = Field(default_factory=dict)


class BatchRecord(_File):
    """A batch submitted to the LLM's Batch API and not collected yet."""

    batch_id: Annotated[str, Field(min_length=1, max_length=200)]
    submitted_at: StrictStr
    # ticket id -> the content hash of its prepared text, as it was submitted
    tickets: dict[Annotated[str, Field(pattern=r"^\d{1,19}$")], StrictStr]


class BackfillFile(_File):
    """A backfill under way: where its discovery resumes, and the batch it waits for."""

    since: StrictInt  # Unix seconds, from --since
    started_at: StrictStr
    cursor: CursorRecord | None = None
    discovered_all: bool = False  # discovery reached the end: nothing more to submit
    batch: BatchRecord | None = None


class HarvestFile(_File):
    """``learn --from-helpdesk`` under way: where its discovery resumes, how many lines of the
    training file are settled, and its counts so far.

    ``key`` names the helpdesk, ``since``, the label specs and the unreviewed policy: a harvest
    recorded for other settings is not resumed."""

    key: StrictStr
    cursor: CursorRecord | None = None
    examples: NonNegative
    seen: NonNegative
    solved: NonNegative
    unreviewed: NonNegative
    unlabelled: NonNegative
    notes_read: NonNegative
    pages: NonNegative
    updated_at: StrictStr


class LegacyHarvestFile(_File):
    """The harvest's own checkpoint file before it became a ledger entry; read once, carried
    over into ``HarvestFile`` so a harvest under way keeps its place."""

    key: StrictStr
    cursor_kind: StrictStr | None
    cursor_value: StrictStr | None
    cursor_start: StrictInt | None
    examples: NonNegative
    seen: NonNegative
    solved: NonNegative
    unreviewed: NonNegative
    unlabelled: NonNegative
    notes_read: NonNegative
    pages: NonNegative
    updated_at: StrictStr

    def carried_over(self) -> HarvestFile:
        cursor = None
        if self.cursor_kind is not None:
            cursor = CursorRecord(
                kind=self.cursor_kind, value=self.cursor_value, start_time=self.cursor_start
            )
        fields = self.model_dump(exclude={"cursor_kind", "cursor_value", "cursor_start"})
        return HarvestFile(cursor=cursor, **fields)


def _why(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    return f"{where}: {plain_message(str(first['msg']))}"


def read_validated(path: Path, model: type[M]) -> tuple[M | None, SetAside | None]:
    """The file as ``model``; ``(None, None)`` when missing; ``(None, SetAside)`` when damaged."""
    try:
        raw = read_state_bytes(path)
    except FileNotFoundError:
        return None, None
    except StateFileRefused as exc:
        return None, set_aside(path, str(exc))
    except OSError as exc:
        return None, set_aside(path, f"unreadable ({exc.strerror or exc})")
    if not raw.strip():
        return None, set_aside(path, "empty file")
    try:
        data = orjson.loads(raw)  # nesting past 1,024 levels is a JSONDecodeError, not a crash
    except orjson.JSONDecodeError:
        return None, set_aside(path, "not JSON")
    try:
        return model.model_validate(data), None
    except ValidationError as exc:
        return None, set_aside(path, f"wrong shape ({_why(exc)})")
