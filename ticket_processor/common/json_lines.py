"""A labelled file's lines, each parsed as JSON: what ``eval``'s scorers read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["json_lines"]


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """Each non-blank line of ``path`` parsed, with its number (from 1). A file that cannot
    be read, or a line that is not JSON, is a ``ConfigError`` naming the file and the line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except ValueError:
            raise ConfigError(f"{path}: line {number} is not JSON") from None
        yield number, raw
