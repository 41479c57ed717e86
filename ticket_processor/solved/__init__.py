"""Solved tickets as knowledge: for a new ticket, the team's most similar solved tickets and how
each was solved (the agent's resolving public reply, redacted, one line), in the note.

``store`` keeps the solved tickets' vectors and resolutions in the state directory, ``history``
fills it from the helpdesk's solved history (``kb sync``), ``lookup`` finds a ticket's nearest
ones from the vector the run already has of it, ``note`` writes them for the agent.
"""
