"""The registry of helpdesk kinds: a kind registered there is read from the environment,
validated, described, chosen, connected and offered by the commands, without settings,
``connect`` or a command naming it.

The kind registered here ("Acme") is a white-label Zendesk: its own variables (``ACME_*``)
and its own settings model, Zendesk's adapter parts, so it can be connected to the Zendesk
sandbox over HTTP.
"""

from __future__ import annotations

import importlib
import json
from dataclasses import fields
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import SecretStr, field_validator
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.common.helpdesk_settings import HelpdeskSettings, check_url
from ticket_processor.errors import ConfigError
from ticket_processor.helpdesks.descriptor import HelpdeskKind, Wiring
from ticket_processor.helpdesks.registry import KINDS
from ticket_processor.helpdesks.zendesk.client import ZendeskClient
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.models import Helpdesk
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import NewTicket, serve_desk
from ticket_processor.sandbox.entry import SandboxFlags
from ticket_processor.zendesk import ZendeskHelpdesk

TOKEN = "acme-token-long-enough-0001"


class AcmeSettings(HelpdeskSettings):
    ENV_VARS: ClassVar[dict[str, str]] = {
        "acme_url": "ACME_URL",
        "acme_email": "ACME_EMAIL",
        "acme_token": "ACME_TOKEN",
    }
    HINTS: ClassVar[dict[str, str]] = {"ACME_URL": "where Acme's API answers"}

    acme_url: str | None = None
    acme_email: str | None = None
    acme_token: SecretStr | None = None

    _check_url = field_validator("acme_url", mode="before")(check_url)

    @property
    def base_url(self) -> str:
        if not self.acme_url:
            raise ConfigError("ACME_URL is not set: put it in .env or the environment")
        return self.acme_url

    def require(self) -> None:
        _ = self.base_url
        if self.acme_token is None:
            raise ConfigError("ACME_TOKEN is not set: put it in .env or the environment")


def build_acme(desk: HelpdeskSettings, wiring: Wiring) -> Helpdesk:
    assert isinstance(desk, AcmeSettings)
    token = desk.acme_token
    client = ZendeskClient(
        desk.base_url,
        email=desk.acme_email,
        api_token=token.get_secret_value() if token else None,
        timeout=wiring.timeout,
        retrier=wiring.retrier,
        throttle=wiring.throttle,
    )
    return ZendeskHelpdesk(client, marker=wiring.marker, sleep=wiring.sleep, clock=wiring.clock)


ACME = HelpdeskKind(
    name="acme",
    label="Acme",
    settings=AcmeSettings,
    adapter=f"{__name__}:build_acme",
    seed="ticket_processor.helpdesks.zendesk.seed:seed",
    sandbox="ticket_processor.helpdesks.zendesk.sandbox.command",
    desk="ticket_processor.helpdesks.zendesk.sandbox.desk:serve",
    account_variables=("ACME_URL", "ACME_EMAIL", "ACME_TOKEN"),
)


@pytest.fixture
def acme(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> None:
    monkeypatch.setitem(KINDS, "acme", ACME)


pytestmark = pytest.mark.sandbox(email="ops@acme.example", token=TOKEN)


def test_a_registered_kinds_variables_are_read_and_validated(acme: None) -> None:
    with pytest.raises(ConfigError, match=r"ACME_URL: must start with http:// or https:// "):
        load_settings({"ACME_URL": "ftp://acme"}, env_file=None)
    settings = load_settings(
        {"TICKETBOT_HELPDESK": "Acme", "ACME_URL": "http://127.0.0.1:9/", "ACME_TOKEN": TOKEN},
        env_file=None,
    )
    assert settings.helpdesk == "acme"
    assert settings.helpdesk_base_url == "http://127.0.0.1:9"
    assert TOKEN in settings.secrets
    assert TOKEN not in repr(settings)


def test_the_helpdesk_choice_lists_every_registered_kind(acme: None) -> None:
    with pytest.raises(
        ConfigError,
        match=r"TICKETBOT_HELPDESK: must be zendesk, freshdesk, servicenow or acme, not 'jira'",
    ):
        load_settings({"TICKETBOT_HELPDESK": "jira"}, env_file=None)


def test_connect_builds_the_chosen_kinds_adapter(acme: None, sandbox: RunningSandbox) -> None:
    environ = {"TICKETBOT_HELPDESK": "acme", "ACME_URL": sandbox.url}
    with pytest.raises(ConfigError, match="ACME_TOKEN is not set"):
        connect(load_settings(environ, env_file=None))
    settings = load_settings(
        {**environ, "ACME_EMAIL": "ops@acme.example", "ACME_TOKEN": TOKEN}, env_file=None
    )
    helpdesk = connect(settings)
    try:
        probe = helpdesk.probe()
    finally:
        helpdesk.close()
    assert probe.ok, probe.detail
    assert "signed in as ops@acme.example" in probe.detail


def test_config_shows_a_registered_kinds_variables_masked(
    acme: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("ACME_TOKEN", TOKEN)
    result = CliRunner().invoke(app, ["config", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row for row in json.loads(result.output)}
    assert rows["ACME_URL"]["value"] == "http://127.0.0.1:9"
    assert rows["ACME_TOKEN"]["value"] == "****" + TOKEN[-2:]
    assert rows["ACME_EMAIL"]["value"] == "(not set)"


@pytest.mark.parametrize("command", ["sandbox", "demo"])
def test_the_commands_offer_every_registered_kind(acme: None, command: str) -> None:
    result = CliRunner().invoke(app, [command, "--helpdesk", "jira"])
    assert result.exit_code == 2
    assert "--helpdesk must be zendesk, freshdesk, servicenow or acme" in result.output


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kind_names_the_plans_its_sandbox_serves(name: str) -> None:
    # ``sandbox --help`` lists the plans from the registry, which never imports a sandbox: the
    # list in the kind must be the sandbox's own table.
    kind = KINDS[name]
    config = importlib.import_module(kind.sandbox.rsplit(".", 1)[0] + ".config")
    assert kind.plans == tuple(config.PLAN_LIMITS)


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kinds_sandbox_lines_name_its_settings_and_a_flag_or_the_url(name: str) -> None:
    # The ``sandbox`` banner prints these lines: each must be a variable the kind's settings
    # read, its value the URL or a ``sandbox`` flag, and together they must reach the sandbox.
    kind = KINDS[name]
    flags = {f.name for f in fields(SandboxFlags)} | {"url"}
    assert kind.sandbox_variables
    for variable, source in kind.sandbox_variables:
        assert variable in kind.settings.ENV_VARS.values(), variable
        assert source in flags, source
    env = {
        v: ("http://127.0.0.1:1" if s == "url" else "sandbox-value")
        for v, s in kind.sandbox_variables
    }
    kind.settings.from_env(env).require()  # no variable missing


@pytest.mark.parametrize("name", sorted(KINDS))
def test_each_kinds_desk_serves_its_sandbox_to_its_settings(name: str) -> None:
    # The tests, the crash campaign and the benchmarks take their desks from the registry: a
    # kind's desk must be its own sandbox, reachable with its own settings, reading back what
    # it was given in ticketbot's words.
    kind = KINDS[name]
    with serve_desk(kind) as desk:
        assert desk.kind == name
        env = desk.env()
        assert env.get("TICKETBOT_HELPDESK", name) == name
        kind.settings.from_env(env).require()
        assert kind.settings.from_env(env).base_url == desk.url
        (ticket_id,) = desk.create([NewTicket("Refund", "Charged twice", ("vip",), "high")])
        snapshot = desk.snapshot(ticket_id)
        assert (snapshot.tags, snapshot.priority, snapshot.notes) == (["vip"], "high", [])
