"""``sync``: bring the index up to date with the help centre through ``Helpdesk.articles``.

Zendesk lists what changed since a time (the incremental article export) once the index has
been filled by a full listing; a helpdesk with no changed-since filter (Freshdesk) lists
everything every time (``complete``), and then only articles whose ``updated_at`` moved are
indexed again and what the listing lacks is dropped. Drafts, archived and deleted articles
(``removed``) leave the index either way; the team's own documents (``kb.documents``) and
the entries of other sources (``kb.sources``) are left to their own syncs. The whole sync is one
transaction: a sync that fails half-way leaves the index as it was.

``rebuild`` (``kb sync --full``) fills a new file from a full listing and swaps it in with one
rename, so nothing of the old file (rows or schema someone planted) survives, and a rebuild that
fails leaves the old index as it was.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..common.atomic import SetAside, set_aside
from ..common.scrub import display_url
from ..models import Helpdesk
from .documents import is_helpdesks
from .index import ArticleIndex

if TYPE_CHECKING:  # the vectors' code (numpy) only for a sync handed an encoder
    from .dense import Embed

# Zendesk's incremental export says what changed, not what was archived: everything is listed
# again this often, so archived articles leave the index too.
FULL_LISTING_EVERY = 7 * 86400.0


@dataclass(frozen=True)
class SyncReport:
    """What one sync did: articles listed, (re)indexed, removed, and whether it was full;
    ``unchanged``: listed articles already indexed as they are (same ``updated_at``)."""

    listed: int
    indexed: int
    removed: int
    full: bool
    total: int
    unchanged: int = 0
    encoded: int = 0  # articles given passage vectors (changed, or never encoded before)

    def as_event(self) -> dict[str, object]:
        return {
            "listed": self.listed,
            "indexed": self.indexed,
            "removed": self.removed,
            "full": self.full,
            "articles": self.total,
        }


def sync(
    helpdesk: Helpdesk,
    index: ArticleIndex,
    *,
    clock: Callable[[], float] = time.time,
    embed: Embed | None = None,
) -> SyncReport:
    """One sync; raises what the helpdesk raises (the index is then unchanged). With ``embed``,
    the articles indexed (and any still without vectors) get their passages' vectors."""
    origin = display_url(helpdesk.base_url)  # never the user:password of a URL setting
    if index.meta("helpdesk") != origin:
        index.set_meta("since", None)  # an index of another help centre is rebuilt in full
    since_text, full_at = index.meta("since"), index.meta("full_at")
    since = int(since_text) if since_text else None
    if full_at is None or clock() - float(full_at) > FULL_LISTING_EVERY:
        since = None
    listing = helpdesk.articles(since)
    stamps = index.stamps()
    listed = indexed = removed = unchanged = 0
    seen: set[tuple[int, str]] = set()
    with index.transaction():
        for article in listing.articles:
            listed += 1
            key = (article.id, article.locale)
            if article.removed:
                removed += index.delete(article.id, article.locale)
                continue
            seen.add(key)
            if stamps.get(key) != article.updated_at:
                index.upsert(article)
                indexed += 1
            else:
                unchanged += 1
        if listing.complete:
            for article_id, locale in stamps.keys() - seen:
                if is_helpdesks(article_id):  # documents and other sources' are not its
                    removed += index.delete(article_id, locale)
            index.set_meta("full_at", repr(clock()))
        index.set_meta("helpdesk", origin)
        next_since = listing.next_since if listing.next_since is not None else since
        index.set_meta("since", None if next_since is None else str(next_since))
        index.set_meta("synced_at", repr(clock()))
        encoded = 0
        if embed is not None:
            from .dense import encode_missing

            encoded = encode_missing(index, embed)
    return SyncReport(listed, indexed, removed, listing.complete, index.count(), unchanged, encoded)


def rebuild(
    helpdesk: Helpdesk,
    path: Path,
    *,
    clock: Callable[[], float] = time.time,
    embed: Embed | None = None,
) -> tuple[SyncReport, SetAside | None]:
    """A new index at ``path`` from a full listing, swapped in whole (and a directory that stood
    in its way, set aside); raises what the helpdesk raises, leaving the old file as it was."""
    fresh = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        index = ArticleIndex(fresh)
        try:
            report = sync(helpdesk, index, clock=clock, embed=embed)
        finally:
            index.close()
        aside = None
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISDIR(os.lstat(path).st_mode):  # a rename cannot replace a directory
                aside = set_aside(path, "a directory where the index file should be")
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return report, aside
