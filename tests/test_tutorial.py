"""The tutorial's commands work as written: every ``bash`` block of
``docs/tutorial/first-hour.md``, in order, as one script with ``set -euo pipefail``, in a home
directory of its own (the install block aside: the suite runs in the installed package).

Marker ``slow``: two demos, two sandboxes, seeds and runs take a minute or two; ``.ci/run`` runs
it with ``-m slow``. The tutorial uses the sandboxes' fixed ports (8765, 8766, 8780), which no
other test listens on.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).resolve().parents[1] / "docs" / "tutorial" / "first-hour.md"
BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.DOTALL | re.MULTILINE)


def tutorial_script() -> str:
    blocks = [b for b in BASH_BLOCK.findall(TUTORIAL.read_text("utf-8")) if "pip install" not in b]
    return "set -euo pipefail\n" + "\n".join(blocks)


def test_the_tutorial_has_its_steps() -> None:
    script = tutorial_script()
    for step in (
        "ticketbot demo",
        "ticketbot sandbox",
        "ticketbot seed",
        "ticketbot run",
        "ticketbot report",
        "ticketbot health",
        "ticketbot dashboard",
        "--helpdesk freshdesk",
    ):
        assert step in script, step


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_command_of_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    bin_dir = str(Path(sys.executable).parent)
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TICKETBOT_", "ZENDESK_", "FRESHDESK_", "OPENAI_"))
    }
    env.update(HOME=str(tmp_path), PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}")
    process = subprocess.Popen(
        ["bash", "-c", tutorial_script()],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=840)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # a server the script left behind
    assert process.returncode == 0, output[-4000:]
    assert "health exit code: 0" in output
    assert not (tmp_path / "ticketbot-first-hour").exists()  # the clean-up step ran
