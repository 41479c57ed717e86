"""What starting ``ticketbot`` loads: a command pays only for what it uses.

``--help`` and ``--version`` read no setting and analyse nothing, so they import neither numpy
(the encoder's) nor openai (most of a second of CPU between them); a ``run`` that finds no
ticket, on either helpdesk, loads neither the LLM's SDK nor the sentence encoder, though an LLM
is configured and the spam gate is on (its default). Each case runs the console script's
``main`` in a child Python and reads the modules it holds afterwards, so the test process's
own imports cannot hide one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticket_processor.cli import app, listing_app
from ticket_processor.helpdesks.freshdesk.sandbox.serving import RunningFreshdesk
from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.sandbox.llm_standin.server import RunningStandin

REPO_ROOT = Path(__file__).resolve().parents[2]
# What a start-up that does not analyse must not import.
HEAVY = (
    "numpy",
    "openai",
    "ticket_processor.learned.embed",
    "ticket_processor.llm",
    "phonenumbers",  # redaction's phone matcher: loaded by the first text redacted
    "ticket_processor.triage.redact",  # redaction's patterns: loaded by the first ticket
)
# What a run that finds no ticket must not import either, though it may need it for a ticket:
# a feature that is off (no mail channel configured) costs no import, and what reads a ticket's
# text waits for one.
UNUSED_BY_AN_EMPTY_RUN = (
    *HEAVY,
    "smtplib",  # the escalation mail's, with no SMTP server configured
    "ticket_processor.alerts.mail",
    "regex",  # the script of a text that is not plain ASCII: read on the first such ticket
)
_CHILD = """
    import json, sys
    from ticket_processor import cli

    sys.argv = ["ticketbot", *json.loads(sys.argv[1])]
    try:
        cli.main()
    except SystemExit as ended:
        code = ended.code
    else:
        code = 0
    print("\\nstartup-check " + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def started(args: list[str], env: dict[str, str] | None = None) -> tuple[object, set[str]]:
    """``ticketbot ARGS`` in a child Python: its exit code and the modules it loaded."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ZENDESK_", "OPENAI_"))}
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), base.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CHILD), json.dumps(args)],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    last = done.stdout.rstrip().rsplit("\n", 1)[-1]
    assert last.startswith("startup-check "), (done.stdout[-2000:], done.stderr[-2000:])
    found = json.loads(last.removeprefix("startup-check "))
    return found["code"], set(found["modules"])


@pytest.mark.parametrize("args", [["--help"], ["--version"], [], ["--account", "acme", "--help"]])
def test_help_and_version_import_neither_numpy_nor_openai(args: list[str]) -> None:
    code, modules = started(args)
    assert code in (0, 2)  # no word at all: the help, with the usage error's code
    assert not modules & set(HEAVY), sorted(modules & set(HEAVY))
    # Nor the settings: the listing is read from cli.COMMANDS, not from the commands' modules.
    assert "ticket_processor.settings" not in modules


def test_the_help_listed_without_the_commands_is_the_full_apps_help() -> None:
    runner = CliRunner()
    listed = runner.invoke(listing_app(), ["--help"], env={"COLUMNS": "100"})
    full = runner.invoke(app, ["--help"], env={"COLUMNS": "100"})
    assert listed.exit_code == full.exit_code == 0, listed.output
    assert listed.output == full.output


def _run_env(tmp_path: Path, standin: RunningStandin | None) -> dict[str, str]:
    """A run's variables; with no ``standin`` no LLM is configured: the bundled learned model
    leads the chain."""
    llm = (
        {}
        if standin is None
        else {
            "OPENAI_BASE_URL": standin.url,
            "OPENAI_API_KEY": "test-key",
            "TICKETBOT_MODEL": "stand-in",
        }
    )
    return llm | {
        "TICKETBOT_STATE_DIR": str(tmp_path / "state"),
        "TICKETBOT_LOG_DIR": str(tmp_path / "logs"),
    }


def test_an_empty_zendesk_run_loads_no_encoder_and_no_openai(
    sandbox: RunningSandbox, standin: RunningStandin, tmp_path: Path
) -> None:
    env = _run_env(tmp_path, standin) | {
        "ZENDESK_URL": sandbox.url,
        "ZENDESK_EMAIL": sandbox.config.email,
        "ZENDESK_API_TOKEN": sandbox.config.token,
    }
    code, modules = started(["run"], env)
    assert code == 0
    assert not modules & set(UNUSED_BY_AN_EMPTY_RUN), sorted(modules & set(UNUSED_BY_AN_EMPTY_RUN))
    assert standin.stats()["requests"] == 0


def test_an_empty_freshdesk_run_loads_no_encoder_and_no_openai(
    freshdesk_sandbox: RunningFreshdesk, standin: RunningStandin, tmp_path: Path
) -> None:
    env = _run_env(tmp_path, standin) | {
        "TICKETBOT_HELPDESK": "freshdesk",
        "FRESHDESK_URL": freshdesk_sandbox.url,
        "FRESHDESK_API_KEY": freshdesk_sandbox.config.api_key,
    }
    code, modules = started(["run"], env)
    assert code == 0
    assert not modules & set(UNUSED_BY_AN_EMPTY_RUN), sorted(modules & set(UNUSED_BY_AN_EMPTY_RUN))


@pytest.mark.parametrize("helpdesk", ["zendesk", "freshdesk"])
def test_an_empty_run_without_an_llm_loads_no_learned_model(
    helpdesk: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # No LLM: the bundled learned model leads, and the run says so; its arrays and numpy wait
    # for a ticket to triage.
    if helpdesk == "zendesk":
        sandbox: RunningSandbox = request.getfixturevalue("sandbox")
        desk = {
            "ZENDESK_URL": sandbox.url,
            "ZENDESK_EMAIL": sandbox.config.email,
            "ZENDESK_API_TOKEN": sandbox.config.token,
        }
    else:
        freshdesk: RunningFreshdesk = request.getfixturevalue("freshdesk_sandbox")
        desk = {
            "TICKETBOT_HELPDESK": "freshdesk",
            "FRESHDESK_URL": freshdesk.url,
            "FRESHDESK_API_KEY": freshdesk.config.api_key,
        }
    code, modules = started(["run"], _run_env(tmp_path, None) | desk)
    assert code == 0
    unused = {*UNUSED_BY_AN_EMPTY_RUN, "ticket_processor.learned.model"}
    assert not modules & unused, sorted(modules & unused)
