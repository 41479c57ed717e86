"""The helpdesks ticketbot can triage: one entry per kind, the first the default.

Adding a helpdesk is a folder ``helpdesks/<kind>/`` with a ``kind.py`` (its settings and
``KIND``) and one entry in ``KINDS`` below; ``run/configure`` hands this list to settings, and
``run/connect``, ``accounts.toml``, ``seed``, ``demo`` and ``sandbox`` read it: none of them
names a helpdesk itself.
"""

from __future__ import annotations

from ..errors import ConfigError, either
from .descriptor import HelpdeskKind
from .freshdesk.kind import KIND as FRESHDESK
from .zendesk.kind import KIND as ZENDESK

KINDS: dict[str, HelpdeskKind] = {kind.name: kind for kind in (ZENDESK, FRESHDESK)}
DEFAULT_KIND = next(iter(KINDS))


def helpdesk_kind(name: str, *, flag: str = "--helpdesk") -> HelpdeskKind:
    """The kind called ``name``; a ``ConfigError`` naming ``flag`` and the choices if none is."""
    if name not in KINDS:
        raise ConfigError(f"{flag} must be {either(list(KINDS))}")
    return KINDS[name]


def reply_stamps(name: str) -> bool:
    """Whether the kind called ``name`` reads the reply book's write stamps (``HelpdeskKind``);
    yes for a kind not listed (a test's desk), as the book kept them before it asked."""
    kind = KINDS.get(name)
    return kind.reply_stamps if kind is not None else True
