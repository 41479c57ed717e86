"""Credentials inside URL settings: ``user:password@`` and keys in the query string.

``config`` shows every URL setting with its userinfo and secret-looking query values masked. An
LLM endpoint that takes its key in the query (``?api-key=``) and echoes the request line in its
errors (the stand-in's ``echo_request``) must leave the key nowhere: not in the fallback note,
the log, ``health`` or the HTML report; the note gives the cause in a fixed form, never the
endpoint's error text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.cli import invoke
from support.e2e import configure, create, notes

from ticket_processor.common.eventlog import EventLog
from ticket_processor.common.scrub import Scrubber, display_url, url_credentials
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.sandbox.llm_standin.server import StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

QUERY_KEY = "qk-SECRET-5t6y7u8i9o0p"
PASSWORD = "pw-SECRET-1a2s3d4f5g"
FRESH_PASSWORD = "fpw-SECRET-9m8n7b6v"


def test_display_url_masks_userinfo_and_secret_query_values() -> None:
    url = f"https://me:{PASSWORD}@llm.example/v1?api-version=2024&api-key={QUERY_KEY}&Sig=abc"
    shown = display_url(url)
    assert shown == "https://llm.example/v1?api-version=2024&api-key=***&Sig=***"
    assert set(url_credentials(url)) == {f"me:{PASSWORD}", PASSWORD, QUERY_KEY, "abc"}
    for name in ("token", "access_token", "code", "X-Auth", "client_secret", "passwd"):
        assert Scrubber().text(f"GET /x?{name}=v4lue&page=2") == f"GET /x?{name}=***&page=2"
    assert Scrubber().text("GET /x?page=2&sort=asc") == "GET /x?page=2&sort=asc"


def test_config_masks_credentials_in_all_three_urls(sandbox: RunningSandbox) -> None:
    host = sandbox.url.split("//", 1)[1]
    env = {
        "ZENDESK_URL": f"http://agent:{PASSWORD}@{host}",
        "ZENDESK_EMAIL": "agent@example.com",
        "ZENDESK_API_TOKEN": "zd-token-long-enough",
        "OPENAI_BASE_URL": f"http://u:{PASSWORD}@llm.example/v1?api-key={QUERY_KEY}",
        "FRESHDESK_URL": f"http://desk:{FRESH_PASSWORD}@fresh.example?token={QUERY_KEY}",
    }
    for args in (("config",), ("config", "--json")):
        result = invoke(*args, env=env)
        assert result.exit_code == 0, result.output
        for secret in (PASSWORD, FRESH_PASSWORD, QUERY_KEY):
            assert secret not in result.output, args
    rows = json.loads(invoke("config", "--json", env=env).stdout)
    shown = {row["variable"]: row["value"] for row in rows}
    assert shown["OPENAI_BASE_URL"] == "http://llm.example/v1?api-key=***"
    assert shown["ZENDESK_URL"] == f"http://{host}"
    assert shown["FRESHDESK_URL"] == "http://fresh.example?token=***"


def test_a_key_in_the_llm_url_echoed_by_its_errors_leaks_nowhere(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path, sandbox: RunningSandbox
) -> None:
    # The endpoint refuses every call with a 400 that quotes the request line, key included.
    script: list[dict[str, object] | str] = [
        {"status": 400, "message": "unknown deployment"} for _ in range(20)
    ]
    config = StandinConfig(seed=1, script=script, echo_request=True)
    with serve_standin(config) as standin:
        log_dir = configure(
            monkeypatch,
            isolated_env,
            sandbox=sandbox,
            llm_url=f"{standin.url}?api-key={QUERY_KEY}",
            workers=1,
        )
        [ticket_id] = create(sandbox, [{"subject": "Refund", "comment": {"body": "Refund me."}}])
        ran = invoke("run")
        assert ran.exit_code == 0, ran.output
        assert standin.stats()["requests"] >= 1  # the endpoint was asked, with the key
        health = invoke("health")
        report = invoke("report", "--html", str(isolated_env / "report.html"))

    [note] = notes(sandbox, ticket_id)
    assert "the LLM endpoint refused the request (400)" in note
    assert "unknown deployment" not in note  # the endpoint's own words are not quoted
    logged = "".join(p.read_text(encoding="utf-8") for p in sorted(log_dir.glob("*")))
    assert "LLMError" in logged  # the failure is recorded, without the key
    page = (isolated_env / "report.html").read_text(encoding="utf-8")
    for where, text in {
        "note": note,
        "log": logged,
        "run": ran.output,
        "health": health.output,
        "report": report.output + page,
    }.items():
        assert QUERY_KEY not in text, where


def test_the_report_masks_a_key_logged_before_it_was_configured(isolated_env: Path) -> None:
    # Written with no secret known (an older run): the report, with the key now in the URL
    # setting, masks it on its way out.
    log = EventLog(isolated_env / "logs", run_id="r1")
    log.emit("run_started", dry_run=False)
    log.emit(
        "ticket_failed",
        ticket_id=7,
        stage="write",
        error_type="HelpdeskError",
        error=f"proxy refused {QUERY_KEY} for GET /x?token={QUERY_KEY}",
    )
    log.emit("run_finished", status="ok", triaged=0, failed=1)
    log.close()
    env = {
        "OPENAI_BASE_URL": f"http://llm.example/v1?api-key={QUERY_KEY}",
        "TICKETBOT_LOG_DIR": str(isolated_env / "logs"),
    }
    page = isolated_env / "report.html"
    for args in (("report", "--html", str(page)), ("report", "--json")):
        result = invoke(*args, env=env)
        assert result.exit_code == 0, result.output
        assert QUERY_KEY not in result.output, args
    text = page.read_text(encoding="utf-8")
    assert "proxy refused" in text  # the failure is shown, the key is not
    assert QUERY_KEY not in text


@pytest.mark.parametrize("secrets", [(), ("abcdef123456",)])
def test_a_masked_query_value_keeps_the_sentences_punctuation(secrets: tuple[str, ...]) -> None:
    """health read "…?api-key=*** check OPENAI_BASE_URL": the ": " after the URL was masked
    with the key."""
    url = "http://127.0.0.1:9/v1?api-key=abcdef123456"
    told = f"could not reach the LLM at {url}: check OPENAI_BASE_URL"
    shown = Scrubber(secrets).text(told)
    assert (
        shown
        == "could not reach the LLM at http://127.0.0.1:9/v1?api-key=***: check OPENAI_BASE_URL"
    )
    assert Scrubber(secrets).text(f"({url}).") == "(http://127.0.0.1:9/v1?api-key=***)."
    # A value of punctuation alone carries no secret; one with it inside is masked whole.
    assert Scrubber(()).text("x?token=a:b:c, y") == "x?token=***, y"
