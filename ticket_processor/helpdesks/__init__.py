"""The helpdesk adapters: the registry of kinds, the one HTTP transport, and one folder per
helpdesk (its adapter, settings, seed and sandbox). The ``Helpdesk`` protocol they implement is
part of the shared vocabulary, ``models``; the one discovery loop over it is
``common.ticket_stream``.
"""
