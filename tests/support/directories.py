"""A directory no file can be created in, for the checks that must find that out as a run would.

As root (the CI containers) mode bits do not stop a write, so the directory is made immutable
(``chattr +i``; skipped where the file system refuses it); as another user it is read-only.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "locked"
    directory.mkdir(mode=0o700)
    if os.geteuid() == 0:
        done = subprocess.run(["chattr", "+i", str(directory)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"chattr +i refused here: {done.stderr.decode().strip()}")
        try:
            yield directory
        finally:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
    else:
        directory.chmod(0o500)
        try:
            yield directory
        finally:
            directory.chmod(0o700)
