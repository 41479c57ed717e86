"""Suggested macros: which of the team's ready-made replies (Zendesk macros, Freshdesk canned
responses) fits a new ticket, learned from the agents' own replies on solved tickets.

``sync`` reads the macros and the solved history into the book (``book``), ``learn`` tells which
macro a reply used, ``match`` votes on a ticket's vector, ``step`` puts the suggestions on a
ticket, ``evaluate`` measures them on the latest solved tickets.
"""
