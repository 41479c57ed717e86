"""``ticketbot CMD`` builds the app with that command alone (its module is the only command
module imported); what it does and says is what the full app does and says."""

from __future__ import annotations

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from ticket_processor.cli import COMMANDS, app, build_app, invoked


def test_the_full_app_lists_every_command_in_order() -> None:
    assert list(get_command(app).commands) == [name for name, *_ in COMMANDS]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [name for name, *_ in COMMANDS])
def test_a_command_built_alone_has_the_full_apps_help(name: str) -> None:
    runner = CliRunner()
    alone = runner.invoke(build_app(name), [name, "--help"], env={"COLUMNS": "100"})
    full = runner.invoke(app, [name, "--help"], env={"COLUMNS": "100"})
    assert alone.exit_code == full.exit_code == 0, alone.output
    assert alone.output == full.output


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["run", "--dry-run"], "run"),
        (["--account", "acme", "run"], "run"),
        (["--env-file=x.env", "audit", "import", "logs"], "audit"),
        (["--env-file", "run", "serve"], "serve"),  # "run" is the option's value here
        (["--help"], None),
        (["--version", "run"], ""),  # the version answers: no command is built
        ([], None),
        (["rnu"], None),  # the full app suggests the right name
        (["--account"], None),
    ],
)
def test_the_command_is_found_after_the_root_options(args: list[str], command: str) -> None:
    assert invoked(args) == command
