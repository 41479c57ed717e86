"""Fixtures that start the Zendesk sandbox on port 0 in a thread."""
