"""Zendesk's parts behind the adapter in ``ticket_processor/zendesk.py``: HTTP, pages, records,
writes, help centre, seed, sandbox.
"""
