"""Helpdesk groups for routing tests, made on each desk (``Desk.group``)."""

from __future__ import annotations

from ticket_processor.sandbox.desks import Desk


def create_groups(desk: Desk, names: tuple[str, ...] = ("Billing", "Shipping")) -> dict[str, int]:
    """The desk's groups of these names (made where it has none): name -> id."""
    return {name: desk.group(name) for name in names}
