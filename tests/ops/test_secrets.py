"""Secrets never leak: every command, happy and error paths, with recognisable tokens.

ZENDESK_API_TOKEN, OPENAI_API_KEY and TICKETBOT_ALERT_WEBHOOK carry tokens that cannot occur by
chance. Every command runs through Typer's CliRunner: against the sandbox and the stand-in, with
a wrong Zendesk token (401), against servers that refuse with 401/403 and echo the credentials
they were sent in the error body (as some proxies and compatible servers do), and with every
host unreachable. Afterwards no token, and no base64 form of the basic-auth pair, may appear in
any stdout or stderr, in the logs, in the state files, in any file under the working directory
or the demo's directory, or in an alert the webhook received.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from support.cli import invoke
from support.ports import held_refused_port
from support.webhook import Receiver
from typer.testing import CliRunner

from ticket_processor.cli import app
from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox, serve_in_thread
from ticket_processor.run import connect as helpdesks
from ticket_processor.run import engines
from ticket_processor.sandbox.llm_standin.server import RunningStandin, StandinConfig
from ticket_processor.sandbox.llm_standin.server import serve_in_thread as serve_standin

EMAIL = "agent@example.com"
ZENDESK_TOKEN = "zdtok-SECRET-7q4w9e2r8t5y1u6i"
WRONG_ZENDESK_TOKEN = "zdtok-SECRET-wrong-3k8j2h7g5f"
OPENAI_KEY = "sk-SECRET-openai-0a9b8c7d6e5f4g3h"
WEBHOOK_TOKEN = "whk-SECRET-9z8y7x6w5v4u"
TOKENS = (ZENDESK_TOKEN, WRONG_ZENDESK_TOKEN, OPENAI_KEY, WEBHOOK_TOKEN)


def forms(token: str) -> set[str]:
    """The token, its random core, and the base64 basic-auth pair Zendesk would be sent."""
    pair = f"{EMAIL}/token:{token}".encode()
    return {token, token.rsplit("-", 1)[-1], base64.b64encode(pair).decode()}


# --- servers that refuse and echo what they were sent --------------------------------------


class EchoingRefuser:
    """Answers every request with ``status`` and a body quoting the credentials it received."""

    def __init__(self, status: int, remark: str = "") -> None:
        self.requests = 0
        refuser = self

        class Handler(BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                refuser.requests += 1
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                header = self.headers.get("Authorization", "")
                decoded = ""
                if header.startswith("Basic "):
                    decoded = base64.b64decode(header[6:]).decode(errors="replace")
                quoted = f"{header} ({decoded})"
                body = json.dumps(
                    {
                        # OpenAI's shape ...
                        "error": {
                            "message": f"Incorrect API key provided: {quoted}",
                            "type": "invalid_request_error",
                            "code": "invalid_api_key",
                        },
                        # ... and Zendesk's, for whichever client reads it.
                        "description": f"Forbidden for {quoted}{remark}",
                    }
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _refuse

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    return held_refused_port()


# --- the transcript -------------------------------------------------------------------------


@dataclass
class Transcript:
    """Runs commands and looks for the tokens after each one: in what it printed and in every
    file it may have written (state files are overwritten by the next run, so look at once)."""

    roots: list[Path]
    found: list[str] = field(default_factory=list)
    commands: int = 0

    def run(self, label: str, *args: str, expect: set[int]) -> str:
        result = invoke(*args, catch_exceptions=True)
        text = f"{result.stdout}\n{result.stderr}"
        where = f"{label}: ticketbot {' '.join(args)}"
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"{where} crashed") from result.exception
        assert result.exit_code in expect, (where, result.exit_code, text)
        self.commands += 1
        self.found += leaks(where, text)
        for found in re.findall(r"JSON-lines log: (\S+)", text):
            self.roots.append(Path(found).parent)  # the demo's own directory
        for root in self.roots:
            for path in root.rglob("*"):
                if path.is_file():
                    self.found += leaks(f"{where}: {path}", path.read_text("utf-8", "replace"))
        return text


def squeezed(text: str) -> str:
    """Without whitespace and box drawing, so a token wrapped by a rich table is still found."""
    return re.sub(r"[\s\u2500-\u257f]+", "", text)


def leaks(where: str, text: str) -> list[str]:
    flat = squeezed(text)
    return [
        f"{where}: {form!r} in ...{flat[max(0, flat.find(form) - 80) : flat.find(form) + 40]}"
        for token in TOKENS
        for form in forms(token)
        if form in flat
    ]


@pytest.fixture
def servers() -> Iterator[tuple[RunningSandbox, RunningStandin, EchoingRefuser, EchoingRefuser]]:
    with (
        serve_in_thread(SandboxConfig(email=EMAIL, token=ZENDESK_TOKEN, seed=8)) as sandbox,
        serve_standin(StandinConfig(seed=8)) as standin,
    ):
        llm_refuser, zendesk_refuser = EchoingRefuser(401), EchoingRefuser(403)
        try:
            yield sandbox, standin, llm_refuser, zendesk_refuser
        finally:
            llm_refuser.close()
            zendesk_refuser.close()


@pytest.mark.slow
def test_no_command_leaks_a_secret_on_any_path(
    servers: tuple[RunningSandbox, RunningStandin, EchoingRefuser, EchoingRefuser],
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    isolated_env: Path,
) -> None:
    sandbox, standin, llm_refuser, zendesk_refuser = servers
    # The real policies, minus the seconds of backoff against hosts that are down.
    for module, name in ((engines, "LLM_RETRY"), (helpdesks, "HELPDESK_RETRY")):
        policy = getattr(module, name)
        monkeypatch.setattr(module, name, dataclasses.replace(policy, base_delay=0.01))
    webhook = receiver.url.rsplit("/", 1)[0] + f"/{WEBHOOK_TOKEN}"
    good = {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": EMAIL,
        "ZENDESK_API_TOKEN": ZENDESK_TOKEN,
        "OPENAI_BASE_URL": standin.url,
        "OPENAI_API_KEY": OPENAI_KEY,
        "TICKETBOT_MODEL": "stand-in",
        "TICKETBOT_ALERT_WEBHOOK": webhook,
        "TICKETBOT_STATE_DIR": str(isolated_env / "state"),
        "TICKETBOT_LOG_DIR": str(isolated_env / "logs"),
        "TICKETBOT_LLM_TIMEOUT": "2",
    }

    def environment(**changes: str) -> None:
        for name, value in {**good, **changes}.items():
            monkeypatch.setenv(name, value)

    labelled = isolated_env / "labelled.jsonl"
    labelled.write_text(
        "".join(
            json.dumps(
                {
                    "id": f"t{n}",
                    "source": "mine",
                    "subject": subject,
                    "description": f"{subject}, ticket {n}.",
                    "labels": {"category": category},
                }
            )
            + "\n"
            for n, (subject, category) in enumerate(
                [("App crashes on start", "bug"), ("Refund please", "refund")]
            )
        ),
        "utf-8",
    )
    t = Transcript(roots=[isolated_env])

    # Everything working.
    environment()
    t.run("ok", "seed", "--count", "12", expect={0})
    t.run("ok", "run", "--dry-run", "--limit", "5", expect={0})
    t.run("ok", "run", expect={0})
    t.run("ok", "health", expect={0, 1})
    t.run("ok", "health", "--json", expect={0, 1})
    t.run("ok", "report", expect={0})
    t.run("ok", "report", "--json", "--html", str(isolated_env / "report.html"), expect={0})
    t.run("ok", "eval", str(labelled), "--engine", "llm", expect={0})
    t.run("ok", "schedule", "--print", "cron", expect={0})
    t.run("ok", "demo", "--count", "5", expect={0})

    # A wrong Zendesk token: 401 on the first request.
    environment(ZENDESK_API_TOKEN=WRONG_ZENDESK_TOKEN)
    t.run("zendesk 401", "seed", "--count", "3", expect={1})
    t.run("zendesk 401", "run", expect={1})
    t.run("zendesk 401", "run", "--dry-run", expect={1})
    t.run("zendesk 401", "health", "--json", expect={2})

    # A Zendesk (or a proxy in front of it) that refuses with 403 and quotes the credentials.
    environment(ZENDESK_URL=zendesk_refuser.url)
    t.run("zendesk 403 echo", "seed", "--count", "3", expect={1})
    t.run("zendesk 403 echo", "run", expect={1})
    t.run("zendesk 403 echo", "health", expect={2})
    t.run("zendesk 403 echo", "health", "--json", expect={2})

    # An LLM endpoint that refuses the key with 401 and quotes it back.
    environment(OPENAI_BASE_URL=llm_refuser.url + "/v1")
    sandbox.store.create({"subject": "New one", "comment": {"body": "The app crashes."}})
    t.run("llm 401 echo", "run", expect={0})
    t.run("llm 401 echo", "health", expect={2})
    t.run("llm 401 echo", "health", "--json", expect={2})
    t.run("llm 401 echo", "eval", str(labelled), "--engine", "llm", expect={0})
    t.run("llm 401 echo", "demo", "--count", "3", expect={0})
    assert llm_refuser.requests > 0
    assert zendesk_refuser.requests > 0

    # Nothing reachable, the webhook included.
    down = f"http://127.0.0.1:{closed_port()}"
    environment(
        ZENDESK_URL=down,
        OPENAI_BASE_URL=down + "/v1",
        TICKETBOT_ALERT_WEBHOOK=f"{down}/services/T0/B0/{WEBHOOK_TOKEN}",
    )
    t.run("unreachable", "run", expect={1})
    t.run("unreachable", "health", "--json", expect={2})
    t.run("unreachable", "eval", str(labelled), "--engine", "llm", expect={0})
    t.run("unreachable", "report", "--json", expect={0})

    assert any(isolated_env.glob("logs/*.jsonl"))
    assert (isolated_env / "report.html").is_file()
    assert len(t.roots) == 3  # two demo directories were looked at too
    assert receiver.bodies, "no alert was sent: the webhook path went untested"
    found = t.found + leaks("webhook", json.dumps(receiver.bodies))
    assert not found, "\n".join(dict.fromkeys(found))


def test_error_text_from_a_server_or_a_path_is_printed_not_taken_as_markup(
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path
) -> None:
    """A ``[/]`` in a message made rich raise MarkupError: a traceback instead of one line."""
    refuser = EchoingRefuser(403, remark=" - see [/] and [bold]docs[/bold]")
    try:
        monkeypatch.setenv("ZENDESK_URL", refuser.url)
        monkeypatch.setenv("ZENDESK_EMAIL", EMAIL)
        monkeypatch.setenv("ZENDESK_API_TOKEN", ZENDESK_TOKEN)
        seeded = CliRunner().invoke(app, ["seed", "--count", "2"])
    finally:
        refuser.close()
    assert seeded.exception is None or isinstance(seeded.exception, SystemExit), seeded.exception
    assert seeded.exit_code == 1
    assert "see [/] and [bold]docs[/bold]" in seeded.stderr
    assert ZENDESK_TOKEN not in seeded.stderr

    missing = isolated_env / "labels [/] [red]x.jsonl"
    evaluated = CliRunner().invoke(app, ["eval", str(missing)])
    assert evaluated.exception is None or isinstance(evaluated.exception, SystemExit)
    assert evaluated.exit_code == 2
    assert "labels[/][red]x.jsonl" in squeezed(evaluated.stderr)  # rich may wrap the path
