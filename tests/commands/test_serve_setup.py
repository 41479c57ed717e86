"""``ticketbot serve --print-setup [--apply] [--show-secret]`` on each sandbox: what it prints,
what it creates, and that the signing secret is shown only when asked."""

from __future__ import annotations

import json

import requests
from support.cli import command
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox

serve = command("serve")
SECRET = "a-long-shared-secret-for-the-tests"


def _zendesk_env(sb: RunningSandbox, **extra: str) -> dict[str, str]:
    return {
        "ZENDESK_URL": sb.url,
        "ZENDESK_EMAIL": sb.config.email,
        "ZENDESK_API_TOKEN": sb.config.token,
        **extra,
    }


def _freshdesk_env(sb: RunningFreshdesk, **extra: str) -> dict[str, str]:
    return {
        "TICKETBOT_HELPDESK": "freshdesk",
        "FRESHDESK_URL": sb.url,
        "FRESHDESK_API_KEY": sb.config.api_key,
        **extra,
    }


def test_print_setup_prints_the_bodies_for_the_public_url(sandbox: RunningSandbox) -> None:
    result = serve(
        "--print-setup", "--public-url", "https://tb.example.com", env=_zendesk_env(sandbox)
    )
    assert result.exit_code == 0, result.output
    assert '"endpoint": "https://tb.example.com/webhooks/zendesk"' in result.stdout
    assert "POST /api/v2/triggers" in result.stdout
    # Printing creates nothing.
    s = requests.Session()
    s.auth = sandbox_auth(sandbox)
    assert s.get(f"{sandbox.url}/api/v2/webhooks", timeout=5).json()["webhooks"] == []


def test_print_setup_defaults_to_the_listening_address_and_warns(sandbox: RunningSandbox) -> None:
    result = serve("--print-setup", "--port", "9123", env=_zendesk_env(sandbox))
    assert result.exit_code == 0
    assert "http://127.0.0.1:9123/webhooks/zendesk" in result.stdout
    assert "--public-url" in result.stderr


def test_apply_creates_and_hides_the_secret_unless_asked(sandbox: RunningSandbox) -> None:
    env = _zendesk_env(sandbox)
    made = serve("--print-setup", "--apply", "--public-url", "https://tb.example.com", env=env)
    # Made, but TICKETBOT_SERVE_SECRET is unset: serve would refuse every delivery (it exited 0).
    assert made.exit_code == 1, made.output
    assert "TICKETBOT_SERVE_SECRET is not set, so serve would refuse every delivery" in made.stderr
    assert made.stderr.count(": created (") == 3
    s = requests.Session()
    s.auth = sandbox_auth(sandbox)
    (hook,) = s.get(f"{sandbox.url}/api/v2/webhooks", timeout=5).json()["webhooks"]
    secret = s.get(f"{sandbox.url}/api/v2/webhooks/{hook['id']}/signing_secret").json()
    value = secret["signing_secret"]["secret"]
    assert value not in made.output
    assert "--show-secret" in made.stderr
    shown = serve(
        "--print-setup",
        "--apply",
        "--show-secret",
        "--public-url",
        "https://tb.example.com",
        env=env,
    )
    assert shown.exit_code == 0
    assert shown.stderr.count(": kept (") == 3
    # Only the secret's line on stdout: `>> .env` appends exactly one setting.
    assert shown.stdout == f"TICKETBOT_SERVE_SECRET={value}\n"
    matching = serve(
        "--print-setup",
        "--apply",
        "--public-url",
        "https://tb.example.com",
        env={**env, "TICKETBOT_SERVE_SECRET": value},
    )
    assert matching.exit_code == 0
    assert "matches" in matching.stderr
    wrong = serve(
        "--print-setup",
        "--apply",
        "--public-url",
        "https://tb.example.com",
        env={**env, "TICKETBOT_SERVE_SECRET": "not-the-webhooks-secret"},
    )
    assert wrong.exit_code == 1
    assert "not the webhook's signing secret" in wrong.stderr
    assert "not-the-webhooks-secret" not in wrong.output


def test_flags_out_of_place_are_usage_errors(sandbox: RunningSandbox) -> None:
    env = _zendesk_env(sandbox)
    assert serve("--apply", env=env).exit_code == 2
    assert serve("--print-setup", "--show-secret", env=env).exit_code == 2
    bad_url = serve("--print-setup", "--public-url", "tb.example.com", env=env)
    assert bad_url.exit_code == 2


def test_freshdesk_print_and_apply(
    freshdesk_sandbox: RunningFreshdesk,
) -> None:
    printed = serve("--print-setup", env=_freshdesk_env(freshdesk_sandbox))
    assert printed.exit_code == 0
    assert '"X-Ticketbot-Secret"' in printed.stdout
    assert "Ticket Creation" in printed.stdout
    refused = serve("--print-setup", "--apply", env=_freshdesk_env(freshdesk_sandbox))
    assert refused.exit_code == 1
    assert "TICKETBOT_SERVE_SECRET is not set" in refused.stderr
    env = _freshdesk_env(freshdesk_sandbox, TICKETBOT_SERVE_SECRET=SECRET)
    applied = serve("--print-setup", "--apply", "--public-url", "http://127.0.0.1:9", env=env)
    assert applied.exit_code == 0, applied.output
    rules = requests.get(f"{freshdesk_sandbox.url}/sandbox/webhooks", timeout=5).json()
    assert [r["url"] for r in rules["webhooks"]] == ["http://127.0.0.1:9/webhooks/freshdesk"]
    assert SECRET not in json.dumps(rules)
    shown = serve("--print-setup", "--apply", "--show-secret", env=env)
    assert shown.exit_code == 2
