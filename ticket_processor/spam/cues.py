"""What the helpdesk says of a new ticket's sender, for the spam gate. Pure.

- The helpdesk's own verdict: Freshdesk's ``spam: true`` (``Ticket.helpdesk_spam``). Zendesk
  has no such flag on a ticket: a ticket an agent marks as spam is deleted and its requester
  suspended, and mail Zendesk judges spam waits among the suspended tickets, which no ticket
  list shows.
- The sender's address where the helpdesk shows it (``Ticket.sender``: Zendesk's
  ``via.source.from.address`` on an e-mail ticket, Freshdesk's requester e-mail): a no-reply,
  mailer-daemon or bounce address is mail a machine sent.

Neither API shows a mail's headers (``Auto-Submitted``, ``Precedence: bulk``,
``List-Unsubscribe``) on the ticket, so the gate cannot read them; the address stands in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..models import SPAM_KINDS, Ticket

# The local part of an address no person reads: no-reply senders, the delivery system's own,
# bulk-mail and notification senders.
_MACHINE_LOCAL = re.compile(
    r"""^(?:
        no[-_.]?reply | do[-_.]?not[-_.]?reply | dont[-_.]?reply | ne[-_.]?pas[-_.]?repondre
        | keine[-_.]?antwort | nicht[-_.]?antworten | no[-_.]?responder
        | mailer[-_.]?daemon | postmaster | bounces? | mail[-_.]?delivery[-_.]?subsystem
        | auto[-_.]?(?:reply|confirm|mailer|notify) | notifications? | newsletters?
        | mailer | list[-_.]?manager
    )(?:[-_.+].*)?$""",
    re.IGNORECASE | re.VERBOSE,
)


@dataclass(frozen=True)
class SenderCues:
    """``helpdesk_spam``: the helpdesk judged it spam; ``machine``: the sender's address is a
    machine's (its local part, for the note: never the whole address)."""

    helpdesk_spam: bool = False
    machine: str | None = None

    @property
    def any(self) -> bool:
        return self.helpdesk_spam or self.machine is not None


def machine_sender(address: str | None) -> str | None:
    """The local part of ``address`` when it is a machine's (``no-reply``), else None."""
    if not address or "@" not in address:
        return None
    local = address.strip().rsplit("@", 1)[0].strip().strip('"<')
    return local.lower() if _MACHINE_LOCAL.match(local) else None


def judged_spam(tags: Iterable[str], prefix: str) -> bool:
    """The ticket carries an applied verdict's tag (``<prefix>phishing``...): its later
    "replies" are a machine's too, never re-triaged, answered or escalated."""
    return not {f"{prefix}{kind}" for kind in SPAM_KINDS}.isdisjoint(tags)


def sender_cues(ticket: Ticket) -> SenderCues:
    return SenderCues(ticket.helpdesk_spam, machine_sender(ticket.sender))
