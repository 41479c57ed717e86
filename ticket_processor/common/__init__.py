"""Shared mechanisms every layer may use: scrubbing secrets, time formats, atomic state files,
the JSON-lines event log, the one loop that reads a helpdesk's stream of tickets, the base of a
helpdesk kind's settings model. They know the error tree and the vocabulary (``models``: the
``Helpdesk`` protocol the stream reads through) and nothing else of the package."""
