"""Freshdesk: the adapter and its parts, its seed and its sandbox."""
