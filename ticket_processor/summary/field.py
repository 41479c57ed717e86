"""Which helpdesk field holds the summary (``TICKETBOT_SUMMARY_FIELD``): resolved against the
helpdesk's custom ticket fields by title (case-insensitive) or key (Zendesk: the field's id;
Freshdesk: its ``cf_`` name), and refused unless it is a text field that customers cannot
edit: a customer who may write the field could put there text that reads as ticketbot's summary
(its mark is a hash anyone can compute), and agents trust that field. A field the helpdesk
*shows* the customer is used, and ``where_it_goes`` says plainly what is written there: only
what the customer can already see (their own messages and agents' public replies), never an
agent's internal note. Pure: the caller reads the fields (one request), as for ``fields.toml``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..errors import ConfigError
from ..models import HelpdeskField

SETTING = "TICKETBOT_SUMMARY_FIELD"


def resolve_summary_field(name: str, fields: Sequence[HelpdeskField]) -> HelpdeskField:
    """The field ``name`` names; ``ConfigError`` saying what the helpdesk has otherwise."""
    wanted = name.strip().casefold()
    matches = [f for f in fields if wanted in (f.key.casefold(), f.title.casefold())]
    if not matches:
        have = ", ".join(f'"{f.title}" ({f.key}, {f.kind})' for f in fields) or "none"
        raise ConfigError(
            f"{SETTING}={name!r}: the helpdesk has no such field; create a multi-line text "
            f"field for the summary, or name one of its custom fields: {have}"
        )
    if len(matches) > 1:
        raise ConfigError(f"{SETTING}={name!r}: two fields have that title: name it by its id")
    found = matches[0]
    if found.kind != "text":
        raise ConfigError(
            f'{SETTING}={name!r}: "{found.title}" is a {found.kind} field; the summary needs a '
            "text field (a multi-line one shows it best)"
        )
    if found.customers_can_edit:
        raise ConfigError(
            f'{SETTING}={name!r}: customers can edit "{found.title}", so its text could be '
            "anyone's, not ticketbot's summary; make it a field customers cannot edit "
            '(Zendesk: untick "Editable for end users"; Freshdesk: untick "Customers can '
            'edit"; ServiceNow: add a write ACL on the column requiring the itil role), or name '
            "another one"
        )
    return found


def where_it_goes(found: HelpdeskField) -> str:
    """What the summary's field is and what is written there, as ``fields check`` and
    ``health`` say it."""
    where = f'the running summary goes to text field "{found.title}" ({found.key})'
    if not found.shown_to_customers:
        return where
    said = (
        f"{where}, which the helpdesk shows the customer: it summarises only what the customer "
        "can see (their messages and agents' public replies); agents' internal notes are "
        "never written there"
    )
    return f"{said} ({found.audience_hint})" if found.audience_hint else said


def field_verdict(
    name: str, fields: Sequence[HelpdeskField]
) -> tuple[Literal["healthy", "unhealthy"], str]:
    """``ticketbot health``'s row for the summary's field: unhealthy when it cannot be used."""
    try:
        found = resolve_summary_field(name, fields)
    except ConfigError as exc:
        return "unhealthy", f"{exc}; runs write no summary until it is fixed"
    return "healthy", where_it_goes(found)
