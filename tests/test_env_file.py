"""A malformed ``.env`` line: one clear error naming the file and line, exit 2.

python-dotenv alone logs a warning without the file name and drops the setting, so the run goes
on with a setting silently missing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.errors import ConfigError
from ticket_processor.run.connect import load_settings
from ticket_processor.settings.read import check_env_file

PASTED = "sk-pasted-alone-0a9b8c7d6e5f"


def test_a_well_formed_file_passes(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text(
        '# comment\n\nexport ZENDESK_URL=http://127.0.0.1:8765\nTICKETBOT_MODEL="a, b"\n'
        "TICKETBOT_WORKERS=4 # inline comment\nEMPTY=\n",
        "utf-8",
    )
    check_env_file(env)
    settings = load_settings({}, env_file=env)
    assert settings.models == ("a", "b")
    assert settings.workers == 4


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (f"ZENDESK_URL=http://x\n\n\n{PASTED} here\nTICKETBOT_WORKERS=4\n", "line 4"),
        ('TICKETBOT_MODEL="unclosed\nTICKETBOT_WORKERS=4\n', "line 1"),
        ("A=1\nZENDESK_API_TOKEN: abc\n=novalue\n", "lines 2, 3"),
        (f"A=1\n{PASTED}\n", "line 2"),  # dotenv reads a bare name as "no value": a paste
    ],
)
def test_malformed_lines_are_named_without_their_text(
    tmp_path: Path, text: str, where: str
) -> None:
    env = tmp_path / ".env"
    env.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings({}, env_file=env)
    message = str(caught.value)
    assert message.startswith(f"{env}, {where}: not a NAME=value line"), message
    assert PASTED not in message
    assert "abc" not in message


def test_the_cli_exits_2_naming_the_file_and_line(isolated_env: Path) -> None:
    (isolated_env / ".env").write_text(f"TICKETBOT_LOG_DIR=logs\n{PASTED}\n", "utf-8")
    result = CliRunner().invoke(app, ["report"])
    assert result.exit_code == 2, result.output
    assert ".env, line 2: not a NAME=value line" in result.stderr
    assert PASTED not in result.output + result.stderr


def test_a_file_that_is_not_text_is_a_clear_error(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_bytes(b"A=\xff\xfe\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        check_env_file(env)


def _logged(log_dir: Path) -> list[dict[str, object]]:
    import json

    return [
        json.loads(line)
        for path in sorted(log_dir.glob("*.jsonl"))
        for line in path.read_text("utf-8").splitlines()
    ]


def test_misspelt_and_lower_case_names_are_warned_about_with_the_closest_name(
    isolated_env: Path,
) -> None:
    (isolated_env / ".env").write_text(
        "TICKETBOT_ALERT_WEBHOK=http://127.0.0.1:9/hook\nticketbot_workers=3\n"
        "TICKETBOT_WORKERS=2\nCOMPOSE_PROJECT_NAME=desk\n",
        "utf-8",
    )
    result = CliRunner().invoke(app, ["breaker", "reset"], env={"TICKETBOT_MODLE": "gpt-4o-mini"})
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "configuration warning" in line]
    assert len(lines) == 3, result.stderr  # one each; a foreign upper-case name is left alone
    joined = " ".join(lines)
    assert "TICKETBOT_MODLE (in the environment) is not a ticketbot setting" in joined
    assert "did you mean TICKETBOT_MODEL?" in joined
    assert "TICKETBOT_ALERT_WEBHOK (in .env)" in joined
    assert "did you mean TICKETBOT_ALERT_WEBHOOK?" in joined
    assert "ticketbot_workers (in .env) is ignored: setting names are upper case" in joined
    assert "did you mean TICKETBOT_WORKERS?" in joined
    logged = [e for e in _logged(isolated_env / "logs") if e["event"] == "configuration_warning"]
    assert len(logged) == 3
    assert any("TICKETBOT_ALERT_WEBHOK" in str(e["message"]) for e in logged)
    shown = CliRunner().invoke(app, ["config"])
    assert shown.exit_code == 0, shown.output
    assert "did you mean TICKETBOT_ALERT_WEBHOOK?" in shown.stderr


def test_dollar_braces_in_env_are_literal_as_in_dockers_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TICKETBOT_TAG_PREFIX=tb_\nTICKETBOT_PRICES=m=${PRICE}/2\n", "utf-8")
    settings = load_settings({"PRICE": "1"}, env_file=env)
    assert settings.prices == "m=${PRICE}/2"
    assert settings.name_warnings == ()


def test_near_misses_of_the_services_names_are_warned_about_in_config_and_every_command(
    isolated_env: Path,
) -> None:
    (isolated_env / ".env").write_text(
        "ZENDESK_APITOKEN=abc\nFRESHDESK_DOMIAN=acme\nOPENAI_ORG_ID=org-1\n", "utf-8"
    )
    env = {"TICKETBOT_WORKRS": "4", "OPENAI_PROJECT_ID": "proj-1"}
    shown = CliRunner().invoke(app, ["config"], env=env)
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.stderr.split())
    assert "ZENDESK_APITOKEN (in .env) is not a ticketbot setting" in said
    assert "did you mean ZENDESK_API_TOKEN?" in said
    assert "did you mean FRESHDESK_DOMAIN?" in said
    assert "did you mean TICKETBOT_WORKERS?" in said
    # Another program's own names (the openai SDK's) are close to nothing ticketbot reads.
    assert "OPENAI_ORG_ID" not in said
    assert "OPENAI_PROJECT_ID" not in said
    other = CliRunner().invoke(app, ["breaker", "reset"], env=env)
    assert other.exit_code == 0, other.output
    assert "did you mean ZENDESK_API_TOKEN?" in " ".join(other.stderr.split())


@pytest.mark.parametrize(
    ("name", "where"),
    [
        ("OPENAI_BASEURL", "environment"),
        ("OPENAI_API_BASE", "environment"),
        ("openai_base_url", ".env"),
    ],
)
def test_a_near_miss_of_the_base_url_never_falls_back_to_the_public_endpoint(
    isolated_env: Path, name: str, where: str
) -> None:
    env = {"OPENAI_API_KEY": "sk-test-not-a-real-key"}
    if where == ".env":
        (isolated_env / ".env").write_text(f"{name}=http://127.0.0.1:9/v1\n", "utf-8")
    else:
        env[name] = "http://127.0.0.1:9/v1"
    for command in (["config"], ["run", "--dry-run"], ["health"]):
        refused = CliRunner().invoke(app, command, env=env)
        assert refused.exit_code == (3 if command == ["health"] else 2), refused.output
        said = " ".join(refused.output.split())
        assert f"{name} (in " in said
        assert "did you mean OPENAI_BASE_URL?" in said
        assert "api.openai.com" in said
    # OPENAI_BASE_URL set: the near miss is only a warning.
    env["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
    shown = CliRunner().invoke(app, ["config"], env=env)
    assert shown.exit_code == 0, shown.output
    assert "did you mean OPENAI_BASE_URL?" in " ".join(shown.stderr.split())


def test_a_misspelt_name_is_matched_on_what_follows_its_prefix(isolated_env: Path) -> None:
    """The names share ``TICKETBOT_``, which made any two alike: ``TICKETBOT_ENGNE`` (someone
    after the ``--engine`` flag) was told "did you mean TICKETBOT_RETRIAGE?"."""
    env = {"TICKETBOT_ENGNE": "rules", "TICKETBOT_TAG_PREFX": "tb_"}
    shown = CliRunner().invoke(app, ["config"], env=env)
    assert shown.exit_code == 0, shown.output
    said = " ".join(shown.stderr.split())
    assert "TICKETBOT_ENGNE (in the environment) is not a ticketbot setting and is ignored" in said
    assert (
        "TICKETBOT_ENGNE (in the environment) is not a ticketbot setting and is ignored;"
        not in said
    )
    assert "did you mean TICKETBOT_TAG_PREFIX?" in said
