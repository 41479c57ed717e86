"""ticketbot: triage helpdesk tickets with an LLM, a learned model or keyword rules.

The public Python API (the CLI is a thin layer over it)::

    import os
    from ticket_processor import load_settings, run_once

    summary = run_once(load_settings(os.environ), dry_run=True, limit=20)
    print(summary.status, summary.triaged, summary.exit_code)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .passes.types import RunOptions, RunSummary
    from .run.connect import load_settings
    from .run.runner import run_once
    from .settings import Settings

__all__ = ["RunOptions", "RunSummary", "Settings", "load_settings", "run_once"]

_LAZY = {
    "run_once": "run.runner",
    "RunOptions": "passes.types",
    "RunSummary": "passes.types",
    "Settings": "settings",
    "load_settings": "run.connect",
}


def __getattr__(name: str) -> Any:
    # Lazy, so ``import ticket_processor`` (and the CLI's start-up) stays cheap.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
