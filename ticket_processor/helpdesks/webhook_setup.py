"""What setting up a helpdesk's webhooks for ``ticketbot serve`` means, whatever the helpdesk.

Each kind's ``webhooks.py`` (named by its descriptor, ``HelpdeskKind.webhooks``) describes the
webhook and the trigger(s) or automation rule(s) that make the helpdesk call ``serve`` when a
ticket is created and when its requester replies, with the JSON body they send, and, where the
helpdesk's API allows it, creates them (idempotently: found again by name). ``serve
--print-setup`` prints the instructions; ``--apply`` runs ``apply``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from ..common.helpdesk_settings import HelpdeskSettings
from ..errors import TicketBotError

# Where ``serve`` takes each kind's deliveries, under its public URL.
ENDPOINT_PATH = "/webhooks/{kind}"


def endpoint_url(public_url: str, kind: str) -> str:
    """The URL the helpdesk calls: ``serve``'s public URL plus ``/webhooks/<kind>``."""
    return public_url.rstrip("/") + ENDPOINT_PATH.format(kind=kind)


class SetupNotPossible(TicketBotError):
    """The helpdesk's API cannot make these (Freshdesk's automation rules), or a setting it
    needs is missing; the message says what to do instead."""


@dataclass
class SetupReport:
    """What ``apply`` did: one line per object (``created``, ``updated`` or ``kept``), and the
    secret the helpdesk signs with when it chose it (Zendesk's signing secret; never printed
    unless asked), with whether it is the ``TICKETBOT_SERVE_SECRET`` configured."""

    done: list[str] = field(default_factory=list)
    secret: str | None = None
    secret_matches: bool | None = None  # None: no TICKETBOT_SERVE_SECRET set to compare


class WebhookSetup(Protocol):
    """A kind's webhook set-up for ``serve``; ``chooses_secret``: the helpdesk chooses the
    secret it signs with (Zendesk's signing secret, which ``apply`` can reveal), rather than
    sending the one the admin chose (``TICKETBOT_SERVE_SECRET`` itself)."""

    chooses_secret: bool

    def instructions(self, endpoint: str, *, secret_set: bool) -> str:
        """What to create on the helpdesk, for a ``serve`` reached at ``endpoint``."""
        ...

    def apply(self, desk: HelpdeskSettings, endpoint: str, secret: str | None) -> SetupReport:
        """Create (or find, or bring up to date) the webhook and its triggers through the
        helpdesk's API; ``secret`` is ``TICKETBOT_SERVE_SECRET`` when set."""
        ...
