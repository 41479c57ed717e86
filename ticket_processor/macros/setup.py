"""The macros' step for a run, when a sync wrote a book; nothing else of the feature (numpy,
the encoder) is imported otherwise: a team that never synced macros pays nothing. And what the
feature declares beyond its step (``EXTRAS``, ``steps.extras``): its field of the triage API's
answer and its entries in the help-centre index, known without a book or a run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from ..kb.documents import DOCUMENT_IDS
from ..models import Helpdesk
from ..passes.types import RunOptions
from ..steps.extras import StepExtras
from ..steps.protocol import TicketStep
from .files import BOOK_FILE

if TYPE_CHECKING:
    from ..kb.index import ArticleIndex


class MacroAnswer(BaseModel):
    # A shared macro (Zendesk) or canned response (Freshdesk) that may answer the ticket: its
    # id, exact title (the team's own text: escape it where it is shown) and confidence.
    id: int
    title: str
    confidence: float


def index_entries(index: ArticleIndex, state_dir: Path) -> str | None:
    """The synced macros that may answer customers, put back in the help-centre index (``kb
    sync --full`` starts it empty): the feature's ``kb.sources.IndexSource``; nothing before a
    ``macros sync``."""
    if not (state_dir / BOOK_FILE).is_file():
        return None
    from ..learned.embed import embed_texts
    from .answers import summary, sync_entries
    from .book import load

    return summary(sync_entries(index, load(state_dir).macros, embed=embed_texts))


# The triage API's field: up to three suggested macros, best first (none until ``macros sync``
# ran); and the public macros in the help-centre index, where the answers find them.
EXTRAS = StepExtras(
    api_fields={"macros": (list[MacroAnswer], Field(default_factory=list))},
    index_source=index_entries,
    index_entries=("macro", "macros", lambda article_id: article_id < -DOCUMENT_IDS),
)


def book_path(state_dir: Path) -> Path:
    return state_dir / BOOK_FILE


def dashboard_said(
    database_url: str | None,
    state_dir: Path,
    account: str,
    warnings: list[str],
) -> Mapping[str, frozenset[int]]:
    """The tickets agents rated each macro "not helped" on, on the dashboard (one query of the
    audit store, ``audit.said``); nothing, and a warning, when the store cannot be read."""
    from ..audit.said import dashboard_not_helped
    from ..audit.writer import AuditStoreError

    try:
        return dashboard_not_helped(database_url, state_dir, account, "macros")
    except AuditStoreError as exc:
        warnings.append(f"{exc}; the macros count their feedback tags alone")
        return {}


def book_opener(
    state_dir: Path,
    prefix: str,
    on_dashboard: Callable[[], Mapping[str, frozenset[int]]] | None = None,
) -> Callable[[object], TicketStep | None]:
    """Open the step on the book as it is now, for ``serve`` (``steps.reopening``: each time a
    sync rewrote it), with what agents said on the dashboard read then (``on_dashboard``);
    never syncs; ``ValueError`` when the book cannot be read."""

    def opened(current: object) -> TicketStep | None:
        if not book_path(state_dir).is_file():
            return None
        from ..learned.embed import embed_texts
        from .book import load
        from .step import MacroStep

        said = on_dashboard() if on_dashboard is not None else None
        return MacroStep(load(state_dir), embed_texts, prefix, said)

    return opened


def macro_steps(
    state_dir: Path,
    helpdesk: Helpdesk,
    options: RunOptions,
    max_age: float,
    warnings: list[str],
    on_dashboard: Mapping[str, frozenset[int]] | None = None,
) -> list[TicketStep]:
    """The macros' step (re-synced first when the book is older than ``max_age``, unless the
    run writes nothing), or none without a book."""
    if not (state_dir / BOOK_FILE).is_file():
        return []
    from ..learned.embed import embed_texts
    from .step import open_step

    quiet = options.dry_run or options.shadow
    step = open_step(
        state_dir,
        prefix=options.prefix,
        embed=embed_texts,
        max_age=max_age,
        helpdesk=None if quiet else helpdesk,
        warn=warnings.append,
        on_dashboard=on_dashboard,
    )
    return [step] if step is not None else []


def source_live(helpdesk: Helpdesk) -> Callable[[int], bool]:
    """Whether an index entry's macro is still in the helpdesk (``answers.LiveMacros``: one
    listing at the first macro an answer would quote); an entry not a macro's is live."""
    found: list[Callable[[int], bool]] = []

    def live(article_id: int) -> bool:
        if not found:  # the answers' modules only once an answer would quote something
            from .answers import LiveMacros

            found.append(LiveMacros(getattr(helpdesk, "macros", lambda: ())).live)
        return found[0](article_id)

    return live
