"""The help-centre index: articles from the helpdesk, searched for each ticket.

``index.ArticleIndex`` is the local SQLite FTS5 index in the state directory; ``sync.sync``
brings it up to date through ``Helpdesk.articles``; ``search.lookup`` finds the articles that
answer a ticket (or none); ``retrieve.SuggestingTriageCache`` runs that lookup for every
ticket of a run before its triage, so suggestions reach the note and articles the draft.
"""
