"""Shared mechanisms every layer may use: scrubbing secrets, time formats, atomic state files,
the JSON-lines event log. They know the error tree and nothing else of the package."""
