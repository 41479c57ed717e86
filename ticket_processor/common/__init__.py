"""Shared mechanisms every layer may use: scrubbing secrets, time formats, atomic state files,
the JSON-lines event log, the base of a helpdesk kind's settings model. They know the error
tree and nothing else of the package."""
