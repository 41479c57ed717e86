"""The similar solved tickets as the run sees them (``steps.feature``): their step when a sync
started a store (``serve``'s reopened as syncs add to it; a run's refreshed first when older
than ``TICKETBOT_KB_MAX_AGE``, never a dry or shadow run's), and what ``kb sync`` reads into the
store (``kb sync --solved`` starts it)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..models import Helpdesk
from ..steps.feature import Feature, FeatureRun
from ..steps.protocol import TicketStep
from .step import open_solved, solved_steps, store_path


@dataclass(frozen=True)
class SolvedValues:
    state_dir: Path
    kb_max_age: float
    solved_shared_words: bool = False


def solved_feature_steps(values: SolvedValues, run: FeatureRun) -> Sequence[TicketStep]:
    path = store_path(values.state_dir)
    if run.reopens:

        def opener(current: object) -> TicketStep | None:
            if not path.is_file():
                return None
            from ..learned.embed import Encoder

            return open_solved(
                path, Encoder().encode, current, shared_words=values.solved_shared_words
            )

        return [run.reopening("solved", path, opener)]
    if not path.is_file():  # off: nothing opened, nothing imported, nothing asked
        return []
    if not run.quiet:
        said = _refresh(path, values.kb_max_age, run)
        if said:
            run.warnings.append(said)
    return list(solved_steps(values.state_dir, shared_words=values.solved_shared_words))


def _refresh(path: Path, max_age: float, run: FeatureRun) -> str | None:
    """The store read on when stale, within the run's own bound too (--max-runtime): at most
    half of what is left; a failure leaves the store as it was, said."""
    try:
        from .refresh import REFRESH_SECONDS, refresh_stale

        left = run.deadline.left() if run.deadline else None
        seconds = REFRESH_SECONDS if left is None else min(REFRESH_SECONDS, left / 2)
        return refresh_stale(path, max_age, run.connect, seconds=seconds)
    except Exception as exc:  # noqa: BLE001 - the store as it was still shows tickets
        return f"the solved tickets could not be refreshed ({type(exc).__name__}: {exc})"


def sync_solved_tickets(
    state_dir: Path, connect: Callable[[], Helpdesk], since: datetime | None
) -> str | None:
    """The solved tickets read into their store: the first time from ``--solved`` (``since``),
    then from where the last sync stopped; nothing when neither asks for it."""
    from ..errors import ConfigError
    from ..learned.embed import embed_texts
    from .history import sync_solved
    from .store import SolvedStore

    path = store_path(state_dir)
    if since is None and not path.is_file():
        return None
    first = datetime.now(UTC) if since is None else since
    helpdesk = connect()
    store = SolvedStore(path)
    try:
        read = getattr(helpdesk, "solved_history", None)
        if not callable(read):
            raise ConfigError(f"{helpdesk.kind} cannot list its solved tickets' replies")
        if since is not None:
            store.set_meta("since", str(int(first.timestamp())))
        report = sync_solved(read, store, embed_texts, first_since=int(first.timestamp()))
    finally:
        store.close()
        helpdesk.close()
    return report.describe()


FEATURE = Feature("solved", SolvedValues, steps=solved_feature_steps, kb_sync=sync_solved_tickets)
