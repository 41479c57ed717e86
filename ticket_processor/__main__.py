"""``python -m ticket_processor`` runs the ``ticketbot`` command line."""

from .cli import console

console()
