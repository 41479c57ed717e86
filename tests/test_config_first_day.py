"""What a first day's settings mistakes read like: a misspelt name set in ``.env`` and in the
shell (a ``.env`` sourced with ``set -a``) is one warning naming both places, not two;
``ticketbot config`` lists the account profile's ``TICKETBOT_ACCOUNTS`` and
``TICKETBOT_ACCOUNT`` as the settings page documents them; and a Freshdesk page's address in
``FRESHDESK_DOMAIN`` gets one hint, with the domain it holds."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ticket_processor.cli import app

FRESHDESK = "TICKETBOT_HELPDESK=freshdesk\nFRESHDESK_API_KEY=abcdefghijk\n"


def test_a_misspelt_name_in_env_and_the_shell_is_one_warning(isolated_env: Path) -> None:
    (isolated_env / ".env").write_text(FRESHDESK + "FRESHDESK_DOMAIN=acme\nTICKETBOT_MODLE=x\n")
    result = CliRunner().invoke(app, ["config"], env={"TICKETBOT_MODLE": "x"})
    assert result.exit_code == 0, result.output
    warned = [line for line in result.stderr.splitlines() if "TICKETBOT_MODLE" in line]
    assert len(warned) == 1, result.stderr
    assert "(in the environment and .env)" in warned[0]
    assert "did you mean TICKETBOT_MODEL?" in warned[0]


def test_config_lists_the_account_profiles_variables(isolated_env: Path) -> None:
    (isolated_env / ".env").write_text(FRESHDESK + "FRESHDESK_DOMAIN=acme\n")
    result = CliRunner().invoke(app, ["config", "--json"], env={"TICKETBOT_ACCOUNTS": "fleet.toml"})
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row for row in json.loads(result.stdout)}
    assert rows["TICKETBOT_ACCOUNTS"]["value"] == "fleet.toml"
    assert rows["TICKETBOT_ACCOUNTS"]["source"] == "environment"
    assert rows["TICKETBOT_ACCOUNT"]["value"] == "(not set)"
    assert "--account" in rows["TICKETBOT_ACCOUNT"]["help"]


def test_an_account_named_only_in_env_is_said_to_be_unread(isolated_env: Path) -> None:
    (isolated_env / ".env").write_text(FRESHDESK + "FRESHDESK_DOMAIN=acme\nTICKETBOT_ACCOUNT=eu\n")
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 0, result.output
    [line] = [x for x in result.stdout.splitlines() if x.startswith("TICKETBOT_ACCOUNT ")]
    assert "not read there" in line  # the profile is chosen before .env is read


def test_a_freshdesk_page_address_as_the_domain_gets_one_hint(isolated_env: Path) -> None:
    (isolated_env / ".env").write_text(
        FRESHDESK + "FRESHDESK_DOMAIN=acme.freshdesk.com/a/tickets\n"
    )
    result = CliRunner().invoke(app, ["config"])
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert "FRESHDESK_DOMAIN=acme " in said  # the domain it holds, ready to paste
    assert said.count("acme.freshdesk.com") <= 1, said  # the hint is not said twice
