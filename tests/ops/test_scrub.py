"""The one secret scrubber: logs, console, alerts and errors all go through it.

Pure checks of ``Scrubber`` first (values not keys, the length floor, the echoed forms, URL
credentials, the library-warning handler), then ``ticketbot`` end to end: short secrets leave the
log readable and ``report`` right, and credentials inside ``ZENDESK_URL`` reach no output.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import logging
from pathlib import Path
from urllib.parse import quote

import pytest
from support.e2e import configure, create, events, triaged_events
from support.ports import held_refused_port
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.common.eventlog import EventLog
from ticket_processor.common.scrub import MIN_SECRET_LENGTH, Scrubber, display_url, url_credentials
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread
from ticket_processor.ops.logsetup import EVENT, configure_logging
from ticket_processor.run import connect as factory
from ticket_processor.run.connect import load_settings
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

TOKEN = "zdtok-9f8e7d6c5b4a3210"
EMAIL = "agent@example.com"


def test_values_are_masked_keys_and_structure_are_not() -> None:
    scrub = Scrubber([TOKEN, "t", "e"])
    data = {"ticket_triaged": 1, "status": f"401 with {TOKEN}", "nested": [{"event": TOKEN}]}
    assert scrub(data) == {
        "ticket_triaged": 1,
        "status": "401 with ***",
        "nested": [{"event": "***"}],
    }


def test_secrets_shorter_than_the_floor_are_left_alone() -> None:
    short = "x" * (MIN_SECRET_LENGTH - 1)
    scrub = Scrubber([short, "t"])
    text = f"the ticket_triaged event of {short}"
    assert scrub.text(text) == text
    assert Scrubber(["x" * MIN_SECRET_LENGTH]).text(text + "x") != text + "x"


@pytest.mark.parametrize("prefix", ["", "a", "ab", f"{EMAIL}/token:", "someone@else.org/token:"])
def test_base64_forms_are_masked_whatever_precedes_the_secret(prefix: str) -> None:
    # An echoing server quotes the Authorization header: base64 of "email/token:TOKEN".
    encoded = base64.b64encode(f"{prefix}{TOKEN}".encode()).decode()
    out = Scrubber([TOKEN]).text(f"Forbidden for Basic {encoded}")
    assert encoded not in out
    assert "***" in out


def test_the_exact_basic_auth_pair_is_masked_whole_with_the_identity() -> None:
    pair = base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
    assert Scrubber([TOKEN], identities=[EMAIL]).text(f"Basic {pair}.") == "Basic ***."


def test_url_encoded_forms_are_masked() -> None:
    secret = "p@ss/word+with spaces"
    out = Scrubber([secret]).text(f"GET /x?key={quote(secret, safe='')} and {secret}")
    assert "word" not in out


def test_credentials_in_urls_are_masked_whatever_their_length() -> None:
    scrub = Scrubber([])
    text = "cannot reach https://bob:pw@host.example/api and http://host/a@b (mail bob@example.com)"
    assert scrub.text(text) == (
        "cannot reach https://***@host.example/api and http://host/a@b (mail bob@example.com)"
    )
    assert display_url("https://bob:pw@host:8080/p?q=1") == "https://host:8080/p?q=1"
    assert display_url("https://host/p") == "https://host/p"
    assert url_credentials("https://bob:s3cr3t-pass@host") == ("bob:s3cr3t-pass", "s3cr3t-pass")


def test_settings_treat_url_userinfo_as_secret_and_warn_of_short_secrets(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "ZENDESK_URL": "https://bob:s3cr3t-pass@acme.example",
            "ZENDESK_API_TOKEN": "t",
            "OPENAI_API_KEY": "e",
        },
        env_file=None,
    )
    assert "s3cr3t-pass" in settings.secrets
    warned = " ".join(settings.warnings)
    assert "ZENDESK_API_TOKEN" in warned
    assert "OPENAI_API_KEY" in warned
    assert settings.scrubber().text("x s3cr3t-pass y") == "x *** y"


def test_a_refused_log_directory_costs_warnings_one_line_not_a_logging_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from ticket_processor.ops.logsetup import _LazyEventLog

    logs = tmp_path / "logs"
    logs.mkdir()
    logs.chmod(0o777)  # anyone may plant links here: refused
    handler = configure_logging(_LazyEventLog(logs, Scrubber(())), (), on_terminal=False)
    try:
        logging.getLogger("urllib3").warning("first")
        logging.getLogger("urllib3").warning("second")
    finally:
        logging.getLogger().removeHandler(handler)
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("ticketbot: warnings are not logged: TICKETBOT_LOG_DIR"), err
    assert f"chmod o-w {logs}" in err
    assert list(logs.iterdir()) == []


def test_library_warnings_land_in_the_log_scrubbed(tmp_path: Path) -> None:
    log = EventLog(tmp_path, run_id="r1", secrets=(TOKEN,))
    shown: list[str] = []

    class Stream:
        def write(self, text: str) -> int:
            shown.append(text)
            return len(text)

        def flush(self) -> None:
            pass

    handler = configure_logging(log, (TOKEN,), on_terminal=True, stream=Stream())  # type: ignore[arg-type]
    try:
        logging.getLogger("urllib3.connectionpool").warning(
            "Retrying after connection broken by %s: https://u:pw@h/?token=%s", "reset", TOKEN
        )
        logging.getLogger("urllib3").info("not a warning: not recorded")
    finally:
        logging.getLogger().removeHandler(handler)
        log.close()
    [record] = [json.loads(line) for line in log.path.read_text().splitlines()]
    assert record["event"] == EVENT
    assert record["logger"] == "urllib3.connectionpool"
    assert record["level"] == "warning"
    assert (
        record["message"] == "Retrying after connection broken by reset: https://***@h/?token=***"
    )
    assert shown == [f"warning: urllib3.connectionpool: {record['message']}\n"]


def test_every_command_routes_library_warnings_to_its_log(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    monkeypatch.setenv("ZENDESK_API_TOKEN", TOKEN)
    monkeypatch.setenv("TICKETBOT_LOG_DIR", str(isolated_env / "logs"))
    result = CliRunner().invoke(app, ["report"])
    assert result.exception is None or isinstance(result.exception, SystemExit)
    logging.getLogger("openai._base_client").warning("retrying with key %s", TOKEN)
    [record] = [e for e in events(isolated_env / "logs") if e["event"] == EVENT]
    assert record["message"] == "retrying with key ***"
    assert record["logger"] == "openai._base_client"


# --- end to end ---------------------------------------------------------------------------


def test_short_secrets_leave_the_log_readable_and_the_report_right(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    with (
        serve_in_thread(SandboxConfig(seed=3, token="t")) as sandbox,
        serve_standin(StandinConfig(seed=3)) as standin,
    ):
        log_dir = configure(monkeypatch, isolated_env, sandbox=sandbox, llm_url=standin.url)
        monkeypatch.setenv("OPENAI_API_KEY", "e")
        ids = create(
            sandbox,
            [{"subject": f"Refund {n}", "comment": {"body": "refund please"}} for n in range(6)],
        )
        result = CliRunner().invoke(app, ["run"])
        report = CliRunner().invoke(app, ["report", "--json"])
        health = CliRunner().invoke(app, ["health", "--json"])

    assert result.exit_code == 0, result.output
    # The warning is said once, on stderr, naming both variables.
    assert result.stderr.count("configuration warning") == 2, result.stderr
    assert "ZENDESK_API_TOKEN" in result.stderr
    assert "OPENAI_API_KEY" in result.stderr
    assert sorted(triaged_events(log_dir)) == sorted(ids)
    for event in events(log_dir):
        assert "***" not in json.dumps(event), event
    assert report.exit_code == 0, report.output
    figures = json.loads(report.stdout)
    assert figures["tickets_triaged"] == len(ids), figures
    assert "***" not in health.stdout
    assert {"status", "checks"} <= set(json.loads(health.stdout))


def _closed_port() -> int:
    return held_refused_port()


@pytest.mark.parametrize("reachable", [True, False], ids=["sandbox", "unreachable"])
def test_credentials_inside_urls_reach_no_output(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, reachable: bool
) -> None:
    """``https://user:pass@host`` in ZENDESK_URL, OPENAI_BASE_URL and the webhook: never shown."""
    # Short retry waits: the unreachable case would otherwise spend seconds backing off.
    fast = dataclasses.replace(factory.HELPDESK_RETRY, base_delay=0.01, max_delay=0.05)
    monkeypatch.setattr(factory, "HELPDESK_RETRY", fast)
    with serve_in_thread(SandboxConfig(seed=5)) as sandbox:
        port = sandbox.url.rsplit(":", 1)[1] if reachable else str(_closed_port())
        log_dir = configure(
            monkeypatch,
            isolated_env,
            sandbox=sandbox,
            llm_url=f"http://llm-user:llm-pass-4711@127.0.0.1:{_closed_port()}/v1",
            ZENDESK_URL=f"http://zd-user:zd-pass-0815@127.0.0.1:{port}",
            TICKETBOT_ALERT_WEBHOOK=f"http://hook:pw@127.0.0.1:{_closed_port()}/hook",
        )
        create(sandbox, [{"subject": "Login fails", "comment": {"body": "cannot log in"}}])
        outputs = []
        for args in (["run"], ["health", "--json"], ["health"], ["report"]):
            result = CliRunner().invoke(app, args)
            assert result.exception is None or isinstance(result.exception, SystemExit), args
            outputs.append(f"{args}: {result.stdout}\n{result.stderr}")
    # Every file written, binary ones (the help-centre index) read as bytes decoded leniently.
    written = [
        p.read_bytes().decode("utf-8", "replace") for p in isolated_env.rglob("*") if p.is_file()
    ]
    everything = "\n".join(outputs + written)
    for credential in ("zd-user", "zd-pass-0815", "llm-user", "llm-pass-4711", "hook:pw"):
        assert credential not in everything, credential
    assert f"127.0.0.1:{port}" in everything  # the URL itself is still shown, without userinfo
    assert any(e["event"] == "run_finished" for e in events(log_dir))


def test_every_form_of_a_secret_is_masked_alone_and_inside_a_text() -> None:
    # The shortest form is masked in a text of its own length; a longer text around any form
    # is masked too (texts shorter than every form are not searched).
    scrubber = Scrubber(["s3cret-token-value-0123"], identities=["agent@example.com"])
    shortest = min(scrubber.forms, key=len)
    assert scrubber.text(shortest) == "***"
    for form in scrubber.forms:
        assert form not in scrubber.text(f"echo {form} back"), form
    assert scrubber.text(shortest[:-1]) == shortest[:-1]
