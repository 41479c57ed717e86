"""Zendesk: the adapter and its parts (wire, client, reads, writer, records, replies, help
centre), its settings and registry entry (``kind``), its seed and its sandbox. The top-level
``ticket_processor/zendesk.py`` is the documented way in to it."""
