"""Other sources' entries in the help-centre index: what a feature indexes beside the help centre
and the team's documents, so the answers find, weigh and guard it as they do an article.

A source's entries take ids below the documents' range (``kb.documents.DOCUMENT_IDS``): the
helpdesk's sync and the documents' sync leave them alone, and the source syncs its own. ``kb
sync`` hands the index to each source the features list (``features.registry.index_sources``)
after the help centre and the documents, so a ``kb sync --full``, which starts the index empty,
puts every source's entries back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..models import Article
from .index import ArticleIndex

if TYPE_CHECKING:
    from .dense import Embed

# Put the source's entries in the index from what it keeps in the state directory; the line
# ``kb sync`` says of it, or None when the source has nothing synced yet.
IndexSource = Callable[[ArticleIndex, Path], "str | None"]


@dataclass
class EntriesPut:
    """What ``put_entries`` did."""

    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    encoded: int = 0


def put_entries(
    index: ArticleIndex,
    entries: Iterable[Article],
    owns: Callable[[int], bool],
    *,
    embed: Embed | None = None,
) -> EntriesPut:
    """Bring one source's entries in the index (the ids ``owns`` says are its) in line with
    ``entries``: new and changed ones indexed, the ones no longer there removed, then the
    passage vectors the index lacks encoded; one transaction. The documents and every other
    source sync through it."""
    put = EntriesPut()
    stamps = {key: stamp for key, stamp in index.stamps().items() if owns(key[0])}
    seen: set[tuple[int, str]] = set()
    with index.transaction():
        for entry in entries:
            key = (entry.id, entry.locale)
            seen.add(key)
            if stamps.get(key) == entry.updated_at:
                put.unchanged += 1
                continue
            index.delete(entry.id)  # its language may have changed with its text
            index.upsert(entry)
            put.indexed += 1
        for article_id, locale in stamps.keys() - seen:
            put.removed += index.delete(article_id, locale)
        if embed is not None:
            from .dense import encode_missing

            put.encoded = encode_missing(index, embed)
    return put
