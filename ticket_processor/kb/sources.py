"""Other sources' entries in the help-centre index: what a feature indexes beside the help centre
and the team's documents, so the answers find, weigh and guard it as they do an article.

A source's entries take ids below the documents' range (``kb.documents.DOCUMENT_IDS``): the
helpdesk's sync and the documents' sync leave them alone, and the source syncs its own. ``kb
sync`` hands the index to each source the run lists (``run.order.index_sources``) after the
help centre and the documents, so a ``kb sync --full``, which starts the index empty, puts
every source's entries back.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .index import ArticleIndex

# Put the source's entries in the index from what it keeps in the state directory; the line
# ``kb sync`` says of it, or None when the source has nothing synced yet.
IndexSource = Callable[[ArticleIndex, Path], "str | None"]
