"""Settings: precedence, validation messages naming the variable, secrets never printed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ticket_processor.common.scrub import Scrubber
from ticket_processor.errors import ConfigError
from ticket_processor.run.connect import load_settings


def test_flag_beats_environment_beats_env_file(tmp_path: Path) -> None:
    """python-dotenv's and twelve-factor's order: a .env never overrides the environment."""
    env_file = tmp_path / ".env"
    env_file.write_text("TICKETBOT_WORKERS=4\nTICKETBOT_TAG_PREFIX=tb_\nTICKETBOT_KEEP_DAYS=9\n")
    settings = load_settings(
        {"TICKETBOT_WORKERS": "2", "TICKETBOT_TAG_PREFIX": "x_", "TICKETBOT_LLM_TIMEOUT": "7"},
        env_file=env_file,
        overrides={"workers": 16, "tag_prefix": None},
    )
    assert settings.workers == 16  # the flag
    assert settings.tag_prefix == "x_"  # the environment over the file
    assert settings.keep_days == 9  # the file where the environment says nothing
    assert settings.llm_timeout == 7.0


def test_zendesk_url_overrides_subdomain() -> None:
    settings = load_settings(
        {"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_URL": "http://127.0.0.1:9/"}, env_file=None
    )
    assert settings.desk.base_url == "http://127.0.0.1:9"
    only_sub = load_settings({"ZENDESK_SUBDOMAIN": "acme.zendesk.com"}, env_file=None)
    assert only_sub.desk.base_url == "https://acme.zendesk.com"


def test_a_value_outside_a_pattern_is_told_in_words_not_as_the_pattern() -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"TICKETBOT_INCIDENT_FOLLOW": "gruop"}, env_file=None)
    said = str(info.value)
    assert "'gruop' is not a value it takes (group,priority, group, priority or none)" in said
    assert "^(" not in said
    with pytest.raises(ConfigError, match="lower-case letters, digits or underscores"):
        load_settings({"TICKETBOT_TAG_PREFIX": "BAD-x"}, env_file=None)
    assert load_settings({"TICKETBOT_INCIDENT_FOLLOW": "priority, group"}, env_file=None)


def test_a_typo_of_a_choice_is_answered_with_the_choice_it_is_near() -> None:
    with pytest.raises(ConfigError, match=r"TICKETBOT_ANSWER_MODE: .*did you mean 'send'\?"):
        load_settings({"TICKETBOT_ANSWER_MODE": "sned"}, env_file=None)
    with pytest.raises(
        ConfigError,
        match=r"^TICKETBOT_HELPDESK: must be zendesk, freshdesk or servicenow, not 'zendeks'; "
        r"did you mean 'zendesk'\?$",
    ):
        load_settings({"TICKETBOT_HELPDESK": "zendeks"}, env_file=None)
    with pytest.raises(ConfigError) as far:
        load_settings({"TICKETBOT_ANSWER_MODE": "everything"}, env_file=None)
    assert "did you mean" not in str(far.value)  # nothing near: no guess


@pytest.mark.parametrize(
    ("variable", "value", "told"),
    [
        ("TICKETBOT_CONFIDENCE_THRESHOLD", "high", "must be a number from 0 to 1, not 'high'"),
        ("TICKETBOT_CONFIDENCE_THRESHOLD", "2", "must be a number from 0 to 1, not '2'"),
        ("TICKETBOT_INCIDENTS", "maybe", "must be true or false (also yes/no, on/off, 1/0)"),
        ("TICKETBOT_LLM_TIMEOUT", "0", "must be a number above 0 and at most 600, not '0'"),
        ("TICKETBOT_MAX_INPUT_TOKENS", "lots", "must be a whole number from 100 to 100000"),
        ("TICKETBOT_ANSWER_MODE", "everything", "must be off, draft, send or auto, not"),
        # The helpdesks are the registry's, checked by a validator, yet told in the same words.
        ("TICKETBOT_HELPDESK", "jira", "must be zendesk, freshdesk or servicenow, not 'jira'"),
    ],
)
def test_a_bad_value_is_answered_with_the_values_the_setting_takes(
    variable: str, value: str, told: str
) -> None:
    """A reader of ``TICKETBOT_INCIDENTS=maybe`` needs the words it takes, and of a number out of
    range the whole range, not a validation library's "valid boolean" or the one bound it hit."""
    with pytest.raises(ConfigError) as info:
        load_settings({variable: value}, env_file=None)
    said = str(info.value)
    assert said.startswith(f"{variable}: {told}"), said
    assert "Input should be" not in said


def test_every_yes_no_and_choice_setting_lists_what_it_takes() -> None:
    """The wording comes from the setting's type, so each boolean and each choice says it."""
    import typing

    from ticket_processor.settings import ENV_VARS, Settings

    checked = 0
    for field, variable in ENV_VARS.items():
        annotation = Settings.model_fields[field].annotation
        if annotation is bool:
            expected = ["true or false"]
        elif typing.get_origin(annotation) is typing.Literal:
            expected = [str(choice) for choice in typing.get_args(annotation)]
        else:
            continue
        with pytest.raises(ConfigError) as info:
            load_settings({variable: "maybe-not"}, env_file=None)
        said = str(info.value)
        assert all(word in said for word in expected), said
        checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("given", "named"),
    [
        ({"ZENDESK_URL": "acme.zendesk.com"}, "ZENDESK_URL"),
        (
            {"TICKETBOT_HELPDESK": "freshdesk", "FRESHDESK_URL": "acme.freshdesk.com"},
            "FRESHDESK_URL",
        ),
    ],
)
def test_a_helpdesk_url_without_a_scheme_is_told_first_not_the_helpdesk(
    given: dict[str, str], named: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(given, env_file=None)
    said = str(info.value)
    assert said.startswith(f"{named}: must start with http:// or https://"), said
    assert "TICKETBOT_HELPDESK" not in said  # the helpdesk is one ticketbot knows
    with pytest.raises(ConfigError, match="TICKETBOT_HELPDESK"):
        load_settings({"TICKETBOT_HELPDESK": "zendsk"}, env_file=None)


def test_error_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="TICKETBOT_WORKERS"):
        load_settings({"TICKETBOT_WORKERS": "many"}, env_file=None)
    with pytest.raises(ConfigError, match=r"ZENDESK_URL: .*http"):
        load_settings({"ZENDESK_URL": "ftp://x"}, env_file=None)


def test_missing_token_says_how_to_fix() -> None:
    settings = load_settings({"ZENDESK_SUBDOMAIN": "acme", "ZENDESK_EMAIL": "a@b.c"}, env_file=None)
    with pytest.raises(ConfigError, match=r"ZENDESK_API_TOKEN is not set: put it in \.env"):
        settings.desk.require()


def test_model_list_and_secret_never_printed() -> None:
    settings = load_settings(
        {"TICKETBOT_MODEL": "gpt-4o-mini, llama3.1", "OPENAI_API_KEY": "sk-very-secret-123"},
        env_file=None,
    )
    assert settings.models == ("gpt-4o-mini", "llama3.1")
    assert "sk-very-secret-123" not in repr(settings)
    assert "sk-very-secret-123" not in str(settings.model_dump())
    assert settings.secrets == ("sk-very-secret-123",)


def test_config_shows_values_sources_and_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from ticket_processor.cli import app

    env_file = tmp_path / "prod.env"
    env_file.write_text("ZENDESK_API_TOKEN=abcdefghijklmnopqrstuvwx\nTICKETBOT_WORKERS=4\n")
    monkeypatch.setenv("TICKETBOT_WORKERS", "6")
    result = CliRunner().invoke(app, ["--env-file", str(env_file), "config", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row for row in json.loads(result.output)}
    workers = rows["TICKETBOT_WORKERS"]
    assert (workers["value"], workers["source"]) == ("6", "environment")
    assert workers["help"].startswith("Concurrent tickets")  # the declaration's line
    assert rows["ZENDESK_API_TOKEN"]["source"] == str(env_file)
    assert "abcdefghijklmnop" not in result.output
    prefix = rows["TICKETBOT_TAG_PREFIX"]
    assert (prefix["value"], prefix["source"]) == ("ai_", "default")
    assert all(row["help"] for row in rows.values()), "a setting with no help in config"


def test_no_message_leaks_pydantics_value_error_prefix() -> None:
    """Messages read as ours, not as a validation library's."""
    with pytest.raises(ConfigError) as info:
        load_settings({"TICKETBOT_MODEL": ","}, env_file=None)
    assert "Value error" not in str(info.value)
    assert "TICKETBOT_MODEL: must name at least one model" in str(info.value)


def test_a_misspelt_smtp_scheme_is_one_error_with_a_readable_form() -> None:
    """``smpt://`` also drew "set both, or neither" though both were set, and the form's
    ``user:password@`` was masked into ``smtp://***@host:port``."""
    env = {"TICKETBOT_SMTP_URL": "smpt://bot:hunter2-long-password@mail:587"}
    with pytest.raises(ConfigError) as refused:
        load_settings({**env, "TICKETBOT_ALERT_EMAIL": "ops@example.com"}, env_file=None)
    told = str(refused.value)
    assert "go together" not in told
    assert "not 'smpt'" in told
    assert "hunter2" not in told
    shown = Scrubber(("hunter2-long-password",)).text(told)
    assert "smtp://<user>:<password>@<host>:<port>" in shown
    # The pair is still checked when the URL itself is fine.
    with pytest.raises(ConfigError, match="go together"):
        load_settings({"TICKETBOT_SMTP_URL": "smtp://bot:pw-long-enough@mail:587"}, env_file=None)


def test_a_missing_setting_is_asked_for_in_the_env_file_given(
    tmp_path: Path, isolated_env: Path
) -> None:
    from support.cli import invoke

    env_file = tmp_path / "prod.env"
    env_file.write_text("TICKETBOT_HELPDESK=zendesk\n")
    result = invoke("--env-file", str(env_file), "run", "--dry-run")
    assert result.exit_code == 2, result.output
    said = " ".join(result.stderr.split())
    assert f"in {env_file} or the environment" in said, said
    assert "in .env" not in said


def test_env_file_dev_null_reads_as_an_empty_settings_file(isolated_env: Path) -> None:
    """``--env-file /dev/null`` is how one says "no settings file, not even ./.env"; it is a
    device, not a regular file, and was refused as "no file at /dev/null"."""
    import json

    from support.cli import invoke

    (isolated_env / ".env").write_text("TICKETBOT_WORKERS=4\n")
    result = invoke("--env-file", "/dev/null", "config", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row for row in json.loads(result.output)}
    assert (rows["TICKETBOT_WORKERS"]["value"], rows["TICKETBOT_WORKERS"]["source"]) == (
        "auto",
        "default",
    )
    missing = invoke("--env-file", str(isolated_env / "nowhere.env"), "config")
    assert missing.exit_code == 2
    assert "no file at" in missing.output


def test_config_writes_a_yes_no_setting_as_env_and_the_docs_do(isolated_env: Path) -> None:
    import json

    from support.cli import invoke

    result = invoke("config", "--json", env={"TICKETBOT_SHADOW": "yes"})
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row["value"] for row in json.loads(result.output)}
    assert rows["TICKETBOT_SHADOW"] == "true"
    assert rows["TICKETBOT_REPLY_DRAFT"] == "false"
    shown = invoke("config", env={"TICKETBOT_SHADOW": "yes"}).output
    assert "False" not in shown
    assert "True" not in shown
