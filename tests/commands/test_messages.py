"""What a new user reads in errors and ``--help``: one clean line that says what to do."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from typer.main import get_command

from ticket_processor.cli import app


@pytest.mark.parametrize("command", ["run", "eval"])
def test_an_unknown_engine_is_one_line_naming_the_engines(command: str, tmp_path: Path) -> None:
    args = [str(tmp_path / "x.jsonl")] if command == "eval" else []
    result = invoke(command, *args, "--engine", "llama")
    assert result.exit_code == 2, result.output
    assert "'llama' is not llm, learned or rules" in result.output
    assert "Value error" not in result.output
    assert "[llm|learned|rules]" in invoke(command, "--help").output


def test_routes_check_names_the_file_it_was_given_not_the_setting(tmp_path: Path) -> None:
    missing = invoke("routes", "check", str(tmp_path / "nothere.toml"))
    assert missing.exit_code == 2, missing.output
    assert f"{tmp_path / 'nothere.toml'} does not exist" in missing.output
    assert "TICKETBOT_ROUTES" not in missing.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[[route]\n", encoding="utf-8")
    invalid = invoke("routes", "check", str(bad))
    assert invalid.exit_code == 2, invalid.output
    assert f"{bad}: " in invalid.output
    assert "TICKETBOT_ROUTES" not in invalid.output
    # When the setting chose the file, the setting is what the message names.
    chosen = invoke("routes", "check", env={"TICKETBOT_ROUTES": str(tmp_path / "gone.toml")})
    assert chosen.exit_code == 2, chosen.output
    assert "TICKETBOT_ROUTES" in chosen.output


def test_schedule_print_lists_its_choices_in_the_error_and_the_help() -> None:
    for args in ((), ("--print", "systemd")):
        result = invoke("schedule", *args)
        assert result.exit_code == 2, result.output
        assert "cron, windows, kubernetes" in result.output, result.output
    assert "[cron|windows|kubernetes]" in invoke("schedule", "--help").output


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    for name, sub in getattr(command, "commands", {}).items():
        yield " ".join((*path, name)), sub
        yield from _commands(sub, (*path, name))


def test_no_help_text_breaks_mid_sentence() -> None:
    """Typer keeps a help paragraph's line breaks (the command list shows the first paragraph
    as written): every paragraph of a command's help, and every option's help, is one line."""
    broken = []
    for name, command in _commands(get_command(app)):
        for paragraph in (command.help or "").strip().split("\n\n"):
            if "\n" in paragraph:
                broken.append(f"{name}: {paragraph!r}")
        for param in command.params:
            if "\n" in (getattr(param, "help", None) or ""):
                broken.append(f"{name} {param.name}: {param.help!r}")
    assert not broken, "\n".join(broken)


def test_no_option_shows_a_python_type_as_its_metavar() -> None:
    """A repeatable option shows what to type (``--ticket ID``), not ``<list[int]>``."""
    shown = []
    for name, _ in _commands(get_command(app)):
        output = invoke(*name.split(), "--help").output
        shown += [f"{name}: {line.strip()}" for line in output.splitlines() if "list[" in line]
    assert not shown, "\n".join(shown)
    assert re.search(r"--ticket\s+ID\b", invoke("run", "--help").output)
