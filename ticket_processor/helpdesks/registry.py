"""The helpdesks ticketbot can triage: one entry per kind, the first the default.

Adding a helpdesk is a folder ``helpdesks/<kind>/`` with a ``kind.py`` (its settings and
``KIND``) and one entry in ``KINDS`` below; settings, ``connect``, ``accounts.toml``, ``seed``,
``demo`` and ``sandbox`` read this list and never name a helpdesk themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ConfigError
from .descriptor import HelpdeskKind
from .freshdesk.kind import KIND as FRESHDESK
from .zendesk.kind import KIND as ZENDESK

KINDS: dict[str, HelpdeskKind] = {kind.name: kind for kind in (ZENDESK, FRESHDESK)}
DEFAULT_KIND = next(iter(KINDS))


def either(names: Sequence[str], *, word: str = "or") -> str:
    """``a or b``, ``a, b or c`` (``word="and"``: ``a, b and c``): how a message lists names."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {word} {names[-1]}"


def helpdesk_kind(name: str, *, flag: str = "--helpdesk") -> HelpdeskKind:
    """The kind called ``name``; a ``ConfigError`` naming ``flag`` and the choices if none is."""
    if name not in KINDS:
        raise ConfigError(f"{flag} must be {either(list(KINDS))}")
    return KINDS[name]
