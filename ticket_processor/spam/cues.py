"""What the helpdesk says of a new ticket's sender, for the spam gate. Pure.

- The helpdesk's own verdict: Freshdesk's ``spam: true`` (``Ticket.helpdesk_spam``). Zendesk
  has no such flag on a ticket: a ticket an agent marks as spam is deleted and its requester
  suspended, and mail Zendesk judges spam waits among the suspended tickets, which no ticket
  list shows.
- The sender's address where the helpdesk shows it (``Ticket.sender``: Zendesk's
  ``via.source.from.address`` on an e-mail ticket, Freshdesk's requester e-mail): a no-reply,
  mailer-daemon or bounce address is mail a machine sent.

- Whether the requester is a customer the team knows: the ticket names their organisation
  (Zendesk's ``organization_id``, Freshdesk's ``company_id``), or their address or domain is
  among the setting's known senders (``TICKETBOT_SPAM_KNOWN_SENDERS``). (The gate asks the
  helpdesk a third way, a ticket of theirs solved before, only where it would gate: ``gate``.)

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


# Machines' addresses a person also writes from: a mail administrator answers for
# ``postmaster@`` (RFC 2142). Mail from one is a machine's only with an automatic message's words
# (a bounce's).
PERSON_ROLES = frozenset({"postmaster"})


@dataclass(frozen=True)
class SenderCues:
    """``helpdesk_spam``: the helpdesk judged it spam; ``machine``: the sender's address is a
    machine's (its local part, for the note: never the whole address); ``known``: why the
    requester is a known customer (``organisation``, ``known sender``), None when they are not."""

    helpdesk_spam: bool = False
    machine: str | None = None
    known: str | None = None

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


def known_sender(address: str | None, known: Iterable[str]) -> bool:
    """Whether ``address`` is one of ``known`` (addresses, or ``@domain``s), case aside."""
    if not address or "@" not in address:
        return False
    address = address.strip().strip("<>").lower()
    domain = "@" + address.rsplit("@", 1)[1]
    return any(entry in (address, domain) for entry in known)


def sender_cues(ticket: Ticket, known_senders: Iterable[str] = ()) -> SenderCues:
    known = None
    if ticket.organization_id is not None:
        known = "organisation"
    elif known_sender(
        ticket.sender or (ticket.people[0].email if ticket.people else None), known_senders
    ):
        known = "known sender"
    return SenderCues(ticket.helpdesk_spam, machine_sender(ticket.sender), known)
