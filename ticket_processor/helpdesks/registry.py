"""The helpdesks ticketbot can triage: one entry per kind, the first the default.

Adding a helpdesk is a folder ``helpdesks/<kind>/`` with a ``kind.py`` (its settings and
``KIND``) and one entry in ``KINDS`` below (or, for a kind defined outside the package, such as
the tests' own, ``register``); ``run/connect`` hands this list to settings, and
``run/connect``, ``accounts.toml``, ``seed``, ``demo``, ``sandbox`` and ``serve`` read it. What a
feature needs to know of a kind it asks here, by the kind's name (``capabilities.py``): code
outside ``helpdesks/`` never compares a kind's name, and never imports a kind's folder.
"""

from __future__ import annotations

from ..errors import ConfigError, either
from .capabilities import IncidentLinking
from .descriptor import HelpdeskKind
from .freshdesk.kind import KIND as FRESHDESK
from .servicenow.kind import KIND as SERVICENOW
from .zendesk.kind import KIND as ZENDESK

KINDS: dict[str, HelpdeskKind] = {kind.name: kind for kind in (ZENDESK, FRESHDESK, SERVICENOW)}
DEFAULT_KIND = next(iter(KINDS))


def helpdesk_kind(name: str, *, flag: str = "--helpdesk") -> HelpdeskKind:
    """The kind called ``name``; a ``ConfigError`` naming ``flag`` and the choices if none is."""
    if name not in KINDS:
        raise ConfigError(f"{flag} must be {either(list(KINDS))}")
    return KINDS[name]


def register(kind: HelpdeskKind) -> None:
    """Add a kind defined outside this list (the tests' third kind); again replaces it."""
    KINDS[kind.name] = kind


def unregister(name: str) -> None:
    """Take a kind ``register`` added off the list again."""
    KINDS.pop(name, None)


def serve_pacing(name: str) -> float:
    """The seconds ``serve`` gathers deliveries for the kind called ``name`` before it triages
    them (``HelpdeskKind.gather_between``); 0 for a kind not listed."""
    kind = KINDS.get(name)
    return kind.gather_between if kind is not None else 0.0


def incident_linking(name: str) -> IncidentLinking | None:
    """How the kind called ``name`` links an incident's reports, or None if it cannot."""
    kind = KINDS.get(name)
    return kind.linking if kind is not None else None


def supports_answers(name: str) -> bool:
    """Whether the kind called ``name`` can post answers (``HelpdeskKind.answers``); yes for
    a kind not listed (a test's desk)."""
    kind = KINDS.get(name)
    return kind.answers if kind is not None else True


def reply_stamps(name: str) -> bool:
    """Whether the kind called ``name`` reads the reply book's write stamps (``HelpdeskKind``);
    yes for a kind not listed (a test's desk), as the book kept them before it asked."""
    kind = KINDS.get(name)
    return kind.reply_stamps if kind is not None else True
