"""The actions' step for a run, when ``TICKETBOT_ACTIONS`` names a file: the file read and
checked first (a bad file, or a setting it names left unset, stops the run before any ticket),
the secrets it names read from the environment (or ``.env``) and masked in all it writes."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from dotenv import dotenv_values

from ..common.eventlog import EventSink
from ..common.scrub import Scrubber
from .book import ActionBook, load_actions
from .call import Caller
from .owed import ChangeStore
from .step import ActionsStep, Replies


def environment(env_file: Path = Path(".env")) -> dict[str, str]:
    """The environment the actions' templates read: ``.env`` < the real environment."""
    values: dict[str, str] = {}
    if env_file.is_file():  # read as the settings read it: no ${VAR} expansion
        read = dotenv_values(env_file, interpolate=False)
        values.update({k: v for k, v in read.items() if v is not None})
    values.update(os.environ)
    return values


def actions_caller(path: Path) -> tuple[ActionBook, Caller]:
    """The actions file at ``path``, checked, and a caller with its secrets masked."""
    environ = environment()
    book = load_actions(path, environ)
    secrets = [
        environ[name]
        for action in book.action
        for name, scope in action.settings_named().items()
        if scope == "secret" and environ.get(name)
    ]
    return book, Caller(environ, Scrubber(secrets))


def actions_step(
    path: Path,
    state_dir: Path,
    *,
    prefix: str,
    writes: bool,
    time_left: Callable[[], float | None],
    log: EventSink,
    answers: bool = False,
    replies: Replies | None = None,
) -> ActionsStep:
    book, caller = actions_caller(path)
    return ActionsStep(
        book,
        caller,
        ChangeStore(state_dir),
        prefix=prefix,
        writes=writes,
        time_left=time_left,
        log=log,
        answers=answers,
        replies=replies,
    )
