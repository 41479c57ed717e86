"""An action's inputs from a ticket: the entities read from the customer's words (an order
number, an amount) and the requester's e-mail as the helpdesk holds it, never an address the
text claims. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..models import Ticket

# "order #1234", "Bestellung 1234", "commande n° 1234", "pedido 1234", or a bare "#1234".
_ORDER = re.compile(
    r"(?:\b(?:order|bestellung|bestellnummer|commande|pedido|ordine|bestelling)\b"
    r"[^\d\n]{0,16}?|#\s?)(\d{3,12})\b",
    re.IGNORECASE,
)
_AMOUNT = re.compile(
    r"(?:[$€£]\s?(\d{1,7}(?:[.,]\d{2})?))|(?:\b(\d{1,7}(?:[.,]\d{2})?)\s?(?:€|\$|£|usd|eur|gbp)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Entities:
    """What one ticket gives its actions: each may be missing (None)."""

    order_number: str | None = None
    amount: str | None = None
    requester_email: str | None = None

    def get(self, source: str) -> str | None:
        return {
            "order_number": self.order_number,
            "amount": self.amount,
            "requester_email": self.requester_email,
        }.get(source)


def requester_email(ticket: Ticket) -> str | None:
    """The requester's address as the helpdesk holds it: the first person a read names (each
    adapter lists the requester first) or the address the mail came from."""
    if ticket.people and "@" in ticket.people[0].email:
        return ticket.people[0].email.strip()
    return ticket.sender.strip() if ticket.sender and "@" in ticket.sender else None


def read_entities(ticket: Ticket, text: str) -> Entities:
    """The entities of ``text`` (the ticket's subject and body as the customer wrote them)."""
    order = _ORDER.search(text)
    amount = _AMOUNT.search(text)
    money = (amount.group(1) or amount.group(2)).replace(",", ".") if amount else None
    return Entities(
        order_number=order.group(1) if order else None,
        amount=money,
        requester_email=requester_email(ticket),
    )
