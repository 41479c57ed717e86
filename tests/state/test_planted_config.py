"""A FIFO (or a directory, or a device) given as the fields, routes or taxonomy file is a
configuration error naming the variable and the file (exit 2), never a run that blocks on it
with its lock held; a link to a regular file (a Kubernetes ConfigMap's files are links) is
read as before. Each run is a child process with a timeout, so a hang fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cli import invoke

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

ROUTES = '[[route]]\nname = "r"\nwhen = { urgency = "high" }\nescalate = true\n'


# ``sandbox``: one for the module's tests.
pytestmark = pytest.mark.sandbox(seed=5, scope="module")


def child_run(sandbox: RunningSandbox, root: Path, extra: dict[str, str]) -> tuple[int, str]:
    env = {
        **os.environ,
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
        "TICKETBOT_STATE_DIR": str(root / "state"),
        "TICKETBOT_LOG_DIR": str(root / "logs"),
        "TICKETBOT_WORKERS": "1",
        "COLUMNS": "400",
        **extra,
    }
    done = subprocess.run(
        [sys.executable, "-m", "ticket_processor", "run", "--engine", "rules"],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,  # a run that blocks on the FIFO never ends: this fails the test
    )
    return done.returncode, " ".join((done.stdout + done.stderr).split())


@pytest.mark.slow
@pytest.mark.parametrize("setting", ["TICKETBOT_FIELDS", "TICKETBOT_ROUTES", "TICKETBOT_TAXONOMY"])
def test_a_fifo_as_a_configuration_file_is_refused_naming_it_and_the_lock_is_free(
    sandbox: RunningSandbox, tmp_path: Path, setting: str
) -> None:
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)

    code, said = child_run(sandbox, tmp_path, {setting: str(fifo)})

    assert code == 2, said
    assert setting in said, said
    assert str(fifo) in said, said
    assert "a FIFO where a file should be" in said, said
    assert "Traceback" not in said
    again, output = child_run(sandbox, tmp_path, {})  # the lock was released
    assert again == 0, output


def test_a_directory_as_the_routes_file_is_refused_naming_it(tmp_path: Path) -> None:
    result = invoke("routes", "check", env={"TICKETBOT_ROUTES": str(tmp_path)})

    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert f"TICKETBOT_ROUTES: {tmp_path}: a directory where a file should be" in said


def test_a_link_to_a_regular_file_is_read_as_the_file(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES)
    link = tmp_path / "mounted.toml"
    link.symlink_to(routes)
    desk = {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
    }

    result = invoke("routes", "check", str(link), env=desk)

    assert "where a file should be" not in result.output
    assert "1 route" in " ".join(result.output.split()), result.output
