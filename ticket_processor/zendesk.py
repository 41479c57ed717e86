"""The Zendesk adapter: ticketbot's public way in to Zendesk, as the design card names it.

``ZendeskHelpdesk`` is Zendesk as a ``models.Helpdesk`` (discovery through the incremental
export or the Search API, batched write-back through ``update_many`` jobs, recovery of a killed
run's writes, replies from the ticket event export, groups, agents, articles, a health probe);
``build`` is what the registry calls to make one from validated settings. The implementation
lives beside Freshdesk's, with the same file names, in ``helpdesks/zendesk/``: ``adapter``
(the class), ``kind`` (settings and the registry entry), ``wire`` (auth, status table, error
bodies), ``client`` and ``reads`` (the requests), ``writer`` (jobs), ``records`` (answers as
values), ``replies``, ``guide`` and ``help_centre`` (the help centre), ``seed``, ``sandbox/``.
Package code reaches an adapter through the registry (``helpdesks/registry.py``), never by name;
this module is for a reader and for code that uses ticketbot as a library.
"""

from .helpdesks.zendesk.adapter import ZendeskHelpdesk, build, default_query

__all__ = ["ZendeskHelpdesk", "build", "default_query"]
