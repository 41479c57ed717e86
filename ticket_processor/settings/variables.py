"""The settings' names: every variable ticketbot reads and the field it sets, the defaults other
parts share, and the hints an error about a variable adds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from ..common.helpdesk_settings import HelpdeskSettings

DEFAULT_MODEL = "gpt-4o-mini"
# TICKETBOT_SMTP_URL's form in messages: placeholders in angle brackets, which the masking of
# URL credentials leaves readable (``user:password@`` would print as ``***@``).
SMTP_FORM = "smtp://<user>:<password>@<host>:<port>"
# Duplicates (a customer writing twice, an outage's flood) arrive close together: the most
# recent 5,000 analyses catch them. The cache is read whole at the start of every run, so an
# uncapped one would grow a run's memory with the backlog (TICKETBOT_CACHE_ENTRIES).
DEFAULT_CACHE_ENTRIES = 5_000
# PagerDuty's Events API v2 endpoint (its documentation's address).
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
# The fields a calibrated threshold may name (TICKETBOT_APPLY_AT, TICKETBOT_SUGGEST_AT).
CALIBRATED_FIELDS = ("category", "subcategory", "urgency", "sentiment")

# Read outside ``Settings`` (the account profile, in ``commands/common``), still ticketbot's:
# each with its one line of help, as ``setting()`` gives the others theirs.
OTHER_VARS: dict[str, str] = {
    "TICKETBOT_ACCOUNTS": "The accounts file (`accounts.toml`) listing several helpdesk accounts "
    "one installation serves; unset: `accounts.toml` in the working directory, if any. Read "
    "from the environment, not `.env`.",
    "TICKETBOT_ACCOUNT": "Which account of the accounts file a command works on (as `--account`). "
    "Read from the environment, not `.env`: the account chooses the settings.",
}
PREFIX = "TICKETBOT_"


class HelpdeskKindSettings(Protocol):
    """What settings needs of a helpdesk kind (``helpdesks.descriptor.HelpdeskKind``): its
    settings model. ``read_settings`` takes them by kind name, the default kind first."""

    @property
    def settings(self) -> type[HelpdeskSettings]: ...


def known_variables(
    own: Mapping[str, str], kinds: Mapping[str, HelpdeskKindSettings]
) -> tuple[str, ...]:
    """Every variable ticketbot reads: its ``own`` (field -> variable), every helpdesk kind's,
    the account profile's."""
    desks = [var for kind in kinds.values() for var in kind.settings.ENV_VARS.values()]
    return tuple(sorted({*own.values(), *desks, *OTHER_VARS}))
