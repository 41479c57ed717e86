"""The sample tickets ``seed`` and ``demo`` create, in any helpdesk: reading, cycling, results.

Sources: the sample tickets the project ships (``samples/tickets.jsonl``, cycled with a varied
suffix past their number so every ticket stays distinct) or a JSON-lines file in the format of
``tickets-dev.jsonl`` (``subject``, ``description``; optional ``tags``, ``priority``). Pure but
for reading those files: what a ticket looks like in one helpdesk's API is that helpdesk's
``seed`` module's business.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..models import Priority

DEFAULT_COUNT = 50

# The teams the sample routes (``sample_routes.toml``) send tickets to: group -> its agents.
SAMPLE_GROUPS: dict[str, tuple[tuple[str, str], ...]] = {
    "Billing": (("Bea Biller", "bea.biller@example.com"),),
    "Security": (("Sam Secure", "sam.secure@example.com"),),
    "Technical": (("Tess Tech", "tess.tech@example.com"), ("Lee Lead", "lee.lead@example.com")),
    "Shipping": (("Sid Shipper", "sid.shipper@example.com"), ("Lee Lead", "lee.lead@example.com")),
}

_PRIORITIES = frozenset(p.value for p in Priority)


@dataclass(frozen=True)
class SeedTicket:
    """One ticket to create: what a requester wrote plus what agents already set."""

    subject: str
    description: str
    tags: tuple[str, ...] = ()
    priority: str | None = None
    # The end user who asks it (an e-mail); None: the sample customer of its position.
    requester: str | None = None


@dataclass(frozen=True)
class SeedFile:
    """Tickets read from a file, and the lines that were skipped (``line N: why``)."""

    tickets: list[SeedTicket]
    problems: list[str]


@dataclass
class SeedResult:
    created_ids: list[int] = field(default_factory=list)
    failed: list[tuple[SeedTicket, str]] = field(default_factory=list)
    existing: int = 0  # tickets an earlier seed made already: recognised, not made again

    @property
    def id_range(self) -> tuple[int, int] | None:
        return (min(self.created_ids), max(self.created_ids)) if self.created_ids else None


@dataclass
class SeedOutcome:
    """What a seed made: the tickets, and in ticketbot's own sandbox the sample groups
    (name -> id; routing needs them), the number of help-centre articles, and the lines the
    helpdesk's seed says of what else it made for the features that learn from a history."""

    result: SeedResult
    groups: dict[str, int] = field(default_factory=dict)
    articles: int = 0
    said: list[str] = field(default_factory=list)


def requester_email(position: int) -> str:
    """The end user who asks the ``position``-th seeded ticket (from 1): one each, as real
    tickets come from many (``example.com`` is reserved, so no mail reaches anyone)."""
    return f"customer{position}@example.com"


def requester_of(position: int, ticket: SeedTicket) -> str:
    """The e-mail of the end user who asks ``ticket``, the ``position``-th seeded (from 1)."""
    return ticket.requester or requester_email(position)


def own_requester(subject: str, description: str) -> str:
    """The end user of a ticket read from a file (``seed --from``): one of its own, from its
    text, not the sample customer of its position. A sample's customer would ask it too, and
    the answers' loop guard (a customer answered in the last day is not answered again) then
    held back the file's answerable tickets for a reason the sandbox made."""
    text = f"{subject}\n{description}".encode()
    return f"customer-{hashlib.sha256(text).hexdigest()[:10]}@example.com"


def seed_key(position: int, ticket: SeedTicket) -> str:
    """What tells the ``position``-th seeded ticket (from 1) on a later seed of the same
    tickets, where the helpdesk keeps an external id: the position (its requester) and a
    digest of the text. A seed that failed part-way, run again, makes only what is missing."""
    text = f"{ticket.subject}\n{ticket.description}".encode()
    return f"ticketbot-seed-{position}-{hashlib.sha256(text).hexdigest()[:12]}"


def _ticket_from(data: dict[str, Any]) -> SeedTicket:
    """A ``SeedTicket`` from one JSON object; ``ValueError`` says what is wrong with it."""
    subject = data.get("subject", "")
    description = data.get("description", "")
    if subject is None:
        subject = ""
    if not isinstance(subject, str) or not isinstance(description, str):
        raise ValueError("subject and description must be strings")
    if not subject.strip() and not description.strip():
        raise ValueError("needs a subject or a description")
    tags = data.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("tags must be a list of strings")
    priority = data.get("priority")
    if priority is not None and priority not in _PRIORITIES:
        raise ValueError(f"priority must be one of {', '.join(sorted(_PRIORITIES))}")
    subject = subject.strip()
    return SeedTicket(
        subject, description, tuple(tags), priority, own_requester(subject, description)
    )


def parse_lines(lines: Iterable[str]) -> SeedFile:
    """Parse JSON lines; a bad line is reported with its number and skipped."""
    tickets: list[SeedTicket] = []
    problems: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"line {number}: not JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            problems.append(f"line {number}: not a JSON object")
            continue
        try:
            tickets.append(_ticket_from(data))
        except ValueError as exc:
            problems.append(f"line {number}: {exc}")
    return SeedFile(tickets, problems)


def read_file(path: Path) -> SeedFile:
    """Tickets from a JSON-lines file; ``ConfigError`` when it cannot be read at all."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--from: cannot read {path}: {exc}") from None
    return parse_lines(text.splitlines())


def load_samples() -> list[SeedTicket]:
    """The sample tickets shipped with the package (the ``expected`` labels left out)."""
    text = (resources.files("ticket_processor") / "samples" / "tickets.jsonl").read_text("utf-8")
    found = parse_lines(text.splitlines())
    if found.problems:  # a packaging bug, not a user error
        raise RuntimeError(f"bad shipped samples: {'; '.join(found.problems)}")
    return found.tickets


def cycle(samples: Sequence[SeedTicket], count: int) -> list[SeedTicket]:
    """``count`` tickets from ``samples``; past the first round each gets a distinct suffix."""
    if not samples:
        return []
    out: list[SeedTicket] = []
    for n in range(count):
        base = samples[n % len(samples)]
        round_ = n // len(samples)
        if round_ == 0:
            out.append(base)
            continue
        # Same story from another customer: a follow-up number in the subject and a reference
        # in the body keep subject and text distinct (an empty body stays empty).
        reference = f"\n\nReference: SR-{n + 1:05d}" if base.description else ""
        out.append(
            SeedTicket(
                f"{base.subject} (#{round_ + 1})",
                base.description + reference,
                base.tags,
                base.priority,
            )
        )
    return out
