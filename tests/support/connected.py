"""The helpdesk a run builds for a test desk, whichever kind it is: the adapter made from the
desk's environment through the settings and the registry (``run.connect``), and the shared
transport under it, so a test talks to any kind's sandbox as ticketbot does without naming a
kind's classes."""

from __future__ import annotations

from typing import Any

from ticket_processor.helpdesks.transport import HelpdeskTransport
from ticket_processor.models import Helpdesk
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk


def connected(desk: Desk, **wiring: Any) -> Helpdesk:
    """``desk``'s helpdesk as a run builds it; ``wiring`` is ``connect``'s (marker, clock ...)."""
    return connect(load_settings(desk.env(), env_file=None), **wiring)


def transport_of(helpdesk: Helpdesk) -> HelpdeskTransport[Any]:
    """The shared transport an adapter sends through (Zendesk's sits in its client)."""
    http = getattr(helpdesk, "http", None) or getattr(helpdesk, "client", None)
    http = getattr(http, "_http", http)
    assert isinstance(http, HelpdeskTransport), type(helpdesk)
    return http
