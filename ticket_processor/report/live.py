"""Which processes hold the state directory's locks now: what tells a run still going from one
that was killed, since neither has logged its end. Read by ``report`` and the dashboard's last
runs alike, and decided by ``runs.live_run_ids``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..journal.served import SERVE_DIR
from ..state.lock import live_holder
from .runs import LockHolders


def lock_holders(state_dir: Path) -> LockHolders | None:
    """The live holders of the run lock and of ``serve``'s lock in ``state_dir``; None where
    this process cannot tell: the directory is not here (a dashboard on another machine than the
    runs, reading a shared store), or a holder's process cannot be asked whether it is alive
    (Windows)."""
    if sys.platform == "win32" or not Path(state_dir).is_dir():
        return None
    return LockHolders(run=live_holder(state_dir), serve=live_holder(Path(state_dir) / SERVE_DIR))
