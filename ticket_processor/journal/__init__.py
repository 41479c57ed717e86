"""The served journal: what ``serve`` triaged between two runs (``served``), handed to the next
run's rising counts and incident window, so a ticket triaged by a webhook counts as one a run
triaged."""
