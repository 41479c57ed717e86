"""A helpdesk ticket as ticketbot reads it, the values of the fields it touches (priority,
status), and the change it plans for one (``WriteBack``)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Zendesk's values for the ticket fields ticketbot touches.


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


PRIORITY_RANK: dict[Priority, int] = {
    Priority.LOW: 0,
    Priority.NORMAL: 1,
    Priority.HIGH: 2,
    Priority.URGENT: 3,
}


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    HOLD = "hold"
    SOLVED = "solved"
    CLOSED = "closed"


class Person(BaseModel):
    """Someone the helpdesk names on a ticket (its requester, a CC, its agent): whose name and
    e-mail never reach the LLM (``triage.redact_names``). Either may be empty."""

    model_config = ConfigDict(frozen=True)

    name: str = ""
    email: str = ""
    locale: str = ""  # their own locale where the helpdesk's read gave it (never redacted)


class Ticket(BaseModel):
    """A helpdesk ticket as ticketbot needs it (a projection of Zendesk's ticket object)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: int
    subject: str = ""
    description: str = ""
    status: str = "new"
    priority: str | None = None
    tags: tuple[str, ...] = ()
    created_at: str | None = None
    updated_at: str | None = None
    # Where the ticket sits, for routing and scope: ids as the helpdesk numbers them.
    group_id: int | None = None
    assignee_id: int | None = None
    # Who asked: the end user (Zendesk) or contact (Freshdesk) whose replies re-open triage.
    requester_id: int | None = None
    brand_id: int | None = None
    form_id: int | None = None
    channel: str | None = None
    # Who sent it, where the helpdesk shows the address (Zendesk's ``via.source.from.address``
    # on e-mail tickets, Freshdesk's requester e-mail): a no-reply sender is a spam-gate cue.
    sender: str | None = None
    # The requester's organisation (Zendesk's ``organization_id``, Freshdesk's ``company_id``):
    # a customer the team knows, whom the spam gate never gates on its head's guess alone.
    organization_id: int | None = None
    # The helpdesk's own verdict (Freshdesk's ``spam: true``): the spam gate applies it.
    helpdesk_spam: bool = False
    # The helpdesk escalated it (Freshdesk's ``is_escalated`` or ``fr_escalated``: a response
    # or resolution overdue): an outcome the risk head learns from.
    helpdesk_escalated: bool = False
    custom_fields: dict[str, object] = Field(default_factory=dict)
    # The people the helpdesk names on it, read with the ticket (no request of their own).
    people: tuple[Person, ...] = ()
    # The requester's own locale as the helpdesk keeps it (Zendesk's user ``locale``,
    # Freshdesk's contact ``language``), where the read brought it: the reply's language when
    # the ticket's words do not tell it surely.
    requester_locale: str | None = None

    @field_validator("subject", "description", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @field_validator("tags", mode="before")
    @classmethod
    def _tags_tuple(cls, value: object) -> object:
        return () if value is None else tuple(value)  # type: ignore[arg-type]


class WriteBack(BaseModel):
    """The planned change to one ticket, whatever the helpdesk: tags to add (and, for a revert
    only, to remove), maybe a priority, a group and an assignee, custom fields, one note.

    ``updated_stamp`` is the ``updated_at`` the change was planned from: an adapter uses it to
    refuse (Zendesk ``safe_update``) or detect (a fresh read) a ticket changed since.
    """

    model_config = ConfigDict(frozen=True)

    ticket_id: int
    additional_tags: tuple[str, ...]
    remove_tags: tuple[str, ...] = ()
    priority: Priority | None = None
    clear_priority: bool = False  # a revert of a priority set where there was none
    note: str | None = None
    group_id: int | None = None
    clear_group: bool = False  # a revert of a group set where there was none
    assignee_id: int | None = None
    custom_fields: dict[str, object] = Field(default_factory=dict)
    updated_stamp: str | None = None
