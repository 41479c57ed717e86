"""Many accounts: accounts.toml profiles, their environment, and one CronJob per account.

Every rendered manifest is validated offline against the Kubernetes schemas that the
``kubernetes-validate`` package ships (strict: an unknown field is an error too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from typer.testing import CliRunner

from ticket_processor import __version__
from ticket_processor.cli import app
from ticket_processor.errors import ConfigError
from ticket_processor.ops.accounts import parse_accounts, profile_env, select_account
from ticket_processor.ops.kube import accounts_manifests, every
from ticket_processor.ops.schedule import ScheduleSpec, render

KUBERNETES = "1.30"

ACCOUNTS = """
[account.acme]
helpdesk = "zendesk"
zendesk_subdomain = "acme"
zendesk_email = "ops@acme.com"
credentials = { ZENDESK_API_TOKEN = "ACME_ZENDESK_TOKEN", OPENAI_API_KEY = "OPENAI_API_KEY" }
taxonomy = "taxonomies/acme.toml"
routes = "routes/acme-routes.toml"
state_dir = "/srv/ticketbot/acme/state"
log_dir = "/srv/ticketbot/acme/logs"
settings = { TICKETBOT_MODEL = "gpt-4o-mini", TICKETBOT_WORKERS = 16 }

[account.globex]
helpdesk = "freshdesk"
freshdesk_domain = "globex"
secret = "globex-helpdesk"
interval_minutes = 5
max_runtime = 240
"""


def validate_all(text: str) -> list[dict[str, Any]]:
    docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    assert docs
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    return docs


def test_accounts_parse_into_profiles() -> None:
    accounts = parse_accounts(ACCOUNTS)
    assert list(accounts) == ["acme", "globex"]
    acme, globex = accounts["acme"], accounts["globex"]
    assert acme.credentials == {
        "ZENDESK_API_TOKEN": "ACME_ZENDESK_TOKEN",
        "OPENAI_API_KEY": "OPENAI_API_KEY",
    }
    assert acme.secret_name == "ticketbot-acme"
    assert (acme.interval_minutes, acme.run_seconds) == (10, 540)
    assert (globex.helpdesk, globex.secret_name, globex.run_seconds) == (
        "freshdesk",
        "globex-helpdesk",
        240,
    )


def test_profile_env_is_the_overlay_a_profile_means() -> None:
    acme = select_account(parse_accounts(ACCOUNTS), "acme")
    overlay = profile_env(acme, {"ACME_ZENDESK_TOKEN": "zd-secret-1", "OPENAI_API_KEY": "sk-x"})
    assert overlay == {
        "TICKETBOT_ACCOUNT": "acme",
        "TICKETBOT_HELPDESK": "zendesk",
        "ZENDESK_SUBDOMAIN": "acme",
        "ZENDESK_EMAIL": "ops@acme.com",
        "TICKETBOT_TAXONOMY": "taxonomies/acme.toml",
        "TICKETBOT_ROUTES": "routes/acme-routes.toml",
        "TICKETBOT_STATE_DIR": "/srv/ticketbot/acme/state",
        "TICKETBOT_LOG_DIR": "/srv/ticketbot/acme/logs",
        "TICKETBOT_MODEL": "gpt-4o-mini",
        "TICKETBOT_WORKERS": "16",
        "ZENDESK_API_TOKEN": "zd-secret-1",
        "OPENAI_API_KEY": "sk-x",
    }
    with pytest.raises(ConfigError, match=r"\[account\.acme\] credentials\.ZENDESK_API_TOKEN"):
        profile_env(acme, {"OPENAI_API_KEY": "sk-x"})
    with pytest.raises(ConfigError, match=r"no account 'initech'.*acme, globex"):
        select_account(parse_accounts(ACCOUNTS), "initech")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('zendesk_api_token = "abc123"', r"\[account\.x\] zendesk_api_token: secrets do not go"),
        (
            'settings = { OPENAI_API_KEY = "sk-123" }',
            r"\[account\.x\] settings\.OPENAI_API_KEY: is a secret",
        ),
        (
            'credentials = { ZENDESK_API_TOKEN = "tok-3f9a1c-secret" }',
            r"\[account\.x\] credentials\.ZENDESK_API_TOKEN: must name the environment variable",
        ),
        ('helpdesk = "jira"', r"\[account\.x\] helpdesk: 'jira' is not one of"),
        ("interval_minutes = 7", r"\[account\.x\] interval_minutes: must be one of"),
        ("max_runtime = 600", r"\[account\.x\] max_runtime: .*below the 600 s interval"),
        ('colour = "blue"', r"\[account\.x\] colour: unknown key"),
        ('secret = "Not_A_Name"', r"\[account\.x\] secret: is a Kubernetes Secret name"),
    ],
)
def test_bad_accounts_name_the_account_and_key(table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_accounts(f"[account.x]\n{table}\n")


def test_a_servicenow_account_is_a_profile_too() -> None:
    # ServiceNow is a registered kind: its account's settings and credentials are laid over
    # the environment as the others' are.
    accounts = parse_accounts(
        "[account.initech]\n"
        'helpdesk = "servicenow"\n'
        'servicenow_instance = "initech"\n'
        'credentials = { SERVICENOW_PASSWORD = "INITECH_SN_PASSWORD" }\n'
    )
    assert profile_env(accounts["initech"], {"INITECH_SN_PASSWORD": "pw"}) == {
        "TICKETBOT_ACCOUNT": "initech",
        "TICKETBOT_HELPDESK": "servicenow",
        "SERVICENOW_INSTANCE": "initech",
        "SERVICENOW_PASSWORD": "pw",
    }


def test_bad_files_are_clear() -> None:
    with pytest.raises(ConfigError, match="not valid TOML"):
        parse_accounts("[account.x\n")
    with pytest.raises(ConfigError, match=r"no \[account\.NAME\] table"):
        parse_accounts("")
    with pytest.raises(ConfigError, match="unknown table"):
        parse_accounts("[accounts.x]\n")
    with pytest.raises(ConfigError, match=r"\[account\.Acme_Corp\]: names are lowercase"):
        parse_accounts("[account.Acme_Corp]\n")


def test_single_account_cronjob_validates_against_the_kubernetes_schemas() -> None:
    spec = ScheduleSpec(workdir="/srv/tb", executable="ticketbot")
    job, deployment, service = validate_all(render("kubernetes", spec))
    assert [job["kind"], deployment["kind"], service["kind"]] == [
        "CronJob",
        "Deployment",
        "Service",
    ]
    container = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"ticketbot:{__version__}"


def test_one_cronjob_per_account_validates_and_is_safe() -> None:
    docs = validate_all(accounts_manifests(parse_accounts(ACCOUNTS), image="reg.example/tb:1"))
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("PersistentVolumeClaim", "ticketbot-acme-data"),
        ("CronJob", "ticketbot-acme"),
        ("PersistentVolumeClaim", "ticketbot-globex-data"),
        ("CronJob", "ticketbot-globex"),
    ]
    jobs = {d["metadata"]["name"]: d for d in docs if d["kind"] == "CronJob"}
    for name, interval, runtime, secret in (
        ("ticketbot-acme", 10, 540, "ticketbot-acme"),
        ("ticketbot-globex", 5, 240, "globex-helpdesk"),
    ):
        spec = jobs[name]["spec"]
        assert spec["concurrencyPolicy"] == "Forbid"
        assert 0 < spec["startingDeadlineSeconds"] < interval * 60
        minute = spec["schedule"].split()[0]
        assert minute.endswith(f"/{interval}")
        pod = spec["jobTemplate"]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        args = container["args"]
        assert args == ["run", "--max-runtime", str(runtime)]
        assert int(args[2]) < interval * 60
        assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] <= interval * 60
        assert container["envFrom"] == [{"secretRef": {"name": secret}}]
        assert container["resources"]["requests"]["cpu"]
        assert container["resources"]["requests"]["memory"]
        claims = [
            v["persistentVolumeClaim"]["claimName"]
            for v in pod["volumes"]
            if "persistentVolumeClaim" in v
        ]
        assert claims == [f"{name}-data"]
        assert pod["securityContext"]["runAsNonRoot"] is True
    acme = jobs["ticketbot-acme"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = acme["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["TICKETBOT_ACCOUNT"]["value"] == "acme"
    assert env["TICKETBOT_STATE_DIR"]["value"] == "/data/state"
    assert env["TICKETBOT_TAXONOMY"]["value"] == "/etc/ticketbot/acme.toml"
    assert env["ZENDESK_API_TOKEN"]["valueFrom"]["secretKeyRef"] == {
        "name": "ticketbot-acme",
        "key": "ACME_ZENDESK_TOKEN",
    }
    assert {"configMap": {"name": "ticketbot-acme-files"}, "name": "files"} in acme["volumes"]


def test_a_broken_manifest_would_fail_the_validation() -> None:
    """The validator is strict enough to catch a misplaced field."""
    job, *_ = yaml.safe_load_all(render("kubernetes", ScheduleSpec(workdir="/", executable="tb")))
    job["spec"]["startingDeadlineSeconds"] = "five minutes"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, KUBERNETES, strict=True)
    job["spec"]["startingDeadlineSeconds"] = 300
    kubernetes_validate.validate(job, KUBERNETES, strict=True)
    job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["envfrom"] = []
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, KUBERNETES, strict=True)


def test_starts_spread_over_the_interval() -> None:
    assert every(10) == "*/10 * * * *"
    assert every(10, 13) == "3-59/10 * * * *"
    assert every(60, 7) == "7 * * * *"


def test_schedule_command_with_accounts(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS, encoding="utf-8")
    result = CliRunner().invoke(app, ["schedule", "--print", "kubernetes", "--accounts", str(path)])
    assert result.exit_code == 0, result.output
    docs = validate_all(result.stdout)
    assert sum(d["kind"] == "CronJob" for d in docs) == 2
    assert "zd-secret" not in result.stdout
    cron = CliRunner().invoke(app, ["schedule", "--print", "cron", "--accounts", str(path)])
    assert cron.exit_code == 2
    assert "--print kubernetes" in cron.stderr
    path.write_text('[account.acme]\nopenai_api_key = "sk-live-123"\n', encoding="utf-8")
    bad = CliRunner().invoke(app, ["schedule", "--print", "kubernetes", "--accounts", str(path)])
    assert bad.exit_code == 2
    assert "[account.acme] openai_api_key" in bad.stderr
    assert "sk-live-123" not in bad.stderr


def test_account_environ_lays_the_profile_over_the_environment(tmp_path: Path) -> None:
    from ticket_processor.ops.accounts import account_environ

    path = tmp_path / "accounts.toml"
    path.write_text(ACCOUNTS, encoding="utf-8")
    environ = {
        "ACME_ZENDESK_TOKEN": "zd-1",
        "OPENAI_API_KEY": "sk-1",
        "TICKETBOT_STATE_DIR": "/elsewhere",
        "PATH": "/usr/bin",
    }
    merged = account_environ(environ, path, "acme")
    assert merged["ZENDESK_API_TOKEN"] == "zd-1"
    assert merged["TICKETBOT_STATE_DIR"] == "/srv/ticketbot/acme/state"
    assert merged["PATH"] == "/usr/bin"
    assert environ["TICKETBOT_STATE_DIR"] == "/elsewhere"  # the input is left alone
    with pytest.raises(ConfigError, match=r"cannot read .*missing\.toml"):
        account_environ(environ, tmp_path / "missing.toml", "acme")


def test_account_selects_a_profile_for_every_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--account NAME`` lays the profile over the environment; flags still win."""
    import json

    from typer.testing import CliRunner

    from ticket_processor.cli import app

    (tmp_path / "accounts.toml").write_text(
        "[account.acme]\n"
        'helpdesk = "freshdesk"\n'
        'freshdesk_domain = "acme"\n'
        'credentials = { FRESHDESK_API_KEY = "ACME_KEY" }\n'
        f'state_dir = "{tmp_path / "acme-state"}"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ACME_KEY", "acme-key-0123456789")
    result = CliRunner().invoke(app, ["--account", "acme", "config", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["variable"]: row["value"] for row in json.loads(result.output)}
    assert rows["TICKETBOT_HELPDESK"] == "freshdesk"
    assert rows["FRESHDESK_DOMAIN"] == "acme"
    assert rows["TICKETBOT_STATE_DIR"] == str(tmp_path / "acme-state")
    assert "acme-key-0123456789" not in result.output
    missing = CliRunner().invoke(app, ["--account", "globex", "config"])
    assert missing.exit_code == 2
    assert "globex" in missing.output
