"""The docs site stays true to the code: the generated reference pages are fresh, every setting
the package reads and every command it has is documented with a description, the README stays a
front door, and the serial test line the docs give runs.

The generated parts sit between cog markers in ``docs/reference/*.md``; this test runs each
block's code as cog would (without needing cog, which is in the ``docs`` extra) and compares.
``.ci/run`` also runs ``cog --check`` and ``mkdocs build --strict`` (broken links and anchors).
"""

from __future__ import annotations

import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
import typer

from ticket_processor.backfill.session import DEFAULT_BATCH_SIZE
from ticket_processor.cli import build_app
from ticket_processor.commands.reference import cli_reference, commands, every_setting
from ticket_processor.settings.variables import OTHER_VARS

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
REFERENCE = DOCS / "reference"
COG_BLOCK = re.compile(
    r"<!-- \[\[\[cog\n(?P<code>.*?)\]\]\] -->\n(?P<output>.*?)<!-- \[\[\[end\]\]\] -->", re.DOTALL
)
VARIABLE = re.compile(r"\bTICKETBOT_[A-Z][A-Z0-9_]*[A-Z0-9]\b")
README_LINES = (
    "python3 -m venv .venv && . .venv/bin/activate && pip install -e . && ticketbot demo",
    "pip install -e '.[test]' && pytest -q",
)


def _run_cog_block(code: str) -> str:
    """What cog writes for a block: the text its ``cog.out`` calls gave."""
    written: list[str] = []
    fake = types.ModuleType("cog")
    fake.out = lambda text="", **_: written.append(text)  # type: ignore[attr-defined]
    saved = sys.modules.get("cog")
    sys.modules["cog"] = fake
    try:
        exec(compile(code, "<cog block>", "exec"), {"__name__": "cog_block"})  # noqa: S102
    finally:
        if saved is None:
            sys.modules.pop("cog", None)
        else:
            sys.modules["cog"] = saved
    return "".join(written)


# The reference pages, and the architecture page's map of the features (from their registry).
GENERATED = [
    *sorted(p for p in REFERENCE.glob("*.md") if "[[[cog" in p.read_text("utf-8")),
    DOCS / "explanation" / "architecture.md",
]


def test_the_reference_has_generated_pages() -> None:
    names = {p.name for p in GENERATED}
    assert {"settings.md", "cli.md", "exit-codes.md", "http-api.md"} <= names


@pytest.mark.parametrize("page", GENERATED, ids=lambda p: p.name)
def test_a_generated_page_is_what_the_code_writes_now(page: Path) -> None:
    blocks = list(COG_BLOCK.finditer(page.read_text("utf-8")))
    assert blocks, f"{page}: no cog block"
    for block in blocks:
        assert block["output"] == _run_cog_block(block["code"]), (
            f"{page.relative_to(REPO)} is stale: run `cog -r {page.relative_to(REPO)}`"
        )


def _variables_read_by_the_package() -> set[str]:
    found: set[str] = set()
    for path in (REPO / "ticket_processor").rglob("*.py"):
        found |= set(VARIABLE.findall(path.read_text("utf-8")))
    return found


def test_every_variable_the_package_reads_is_on_the_settings_page_with_a_description() -> None:
    page = (REFERENCE / "settings.md").read_text("utf-8")
    read = _variables_read_by_the_package()
    assert len(read) > 60  # the scan finds them: it cannot pass on an empty set
    missing = []
    for variable in sorted(read):
        found = re.search(rf"^### `{variable}`\n\n(?P<help>\S.*)$", page, re.MULTILINE)
        if found is None or len(found["help"]) < 10:
            missing.append(variable)
    assert not missing, f"on no line of docs/reference/settings.md, or with no help: {missing}"


def test_every_declared_setting_has_a_help_line_and_is_read_under_its_name() -> None:
    rows = every_setting()
    assert {"TICKETBOT_HELPDESK", "ZENDESK_API_TOKEN", "FRESHDESK_API_KEY"} <= {
        row.variable for row in rows
    }
    assert all(row.help.strip() for row in rows), [r.variable for r in rows if not r.help]
    assert all(help_text.strip() for help_text in OTHER_VARS.values())
    variables = [row.variable for row in rows] + list(OTHER_VARS)
    assert len(variables) == len(set(variables)), "a variable declared twice"


def test_every_command_and_option_has_a_reference_entry_and_a_description() -> None:
    page = (REFERENCE / "cli.md").read_text("utf-8")
    root = typer.main.get_command(build_app())
    listed = list(commands(root))
    assert len(listed) > 20
    undocumented, undescribed = [], []
    for name, command in listed:
        if f"{{#{name.replace(' ', '-')}}}" not in page:
            undocumented.append(name)
        if not (command.help or command.short_help or "").strip():
            undescribed.append(name)
        for param in command.params:
            if not getattr(param, "hidden", False) and not (getattr(param, "help", "") or ""):
                undescribed.append(f"{name} {param.name}")
    assert not undocumented, f"commands with no entry in docs/reference/cli.md: {undocumented}"
    assert not undescribed, f"commands or options with no help text: {undescribed}"


@pytest.mark.parametrize(
    ("command", "option", "default"),
    [
        ("run", "--since", "24h"),
        ("run", "--workers", "auto"),
        ("backfill", "--since", "24h"),
        ("backfill", "--batch-size", str(DEFAULT_BATCH_SIZE)),
        ("backfill", "--workers", "auto"),
        ("eval", "--workers", "auto"),
    ],
)
def test_an_option_whose_default_is_decided_later_shows_it_in_the_default_column(
    command: str, option: str, default: str
) -> None:
    """These options are unset when not given (the run decides: 24h on a first run only, the
    setting's worker count), so Typer has no default to show; the page says what --help says."""
    root = typer.main.get_command(build_app())
    chosen = dict(commands(root))[f"ticketbot {command}"]
    rows = cli_reference(chosen).splitlines()
    row = next(line for line in rows if line.startswith(f"| `{option}` |"))
    assert row.endswith(f"| `{default}` |"), row


def test_the_readme_is_a_front_door_with_the_two_set_up_lines() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert len(readme.splitlines()) <= 200
    for line in README_LINES:
        assert f"\n{line}\n" in readme, line


def test_every_page_of_the_site_is_in_its_navigation() -> None:
    config = (REPO / "mkdocs.yml").read_text("utf-8")
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    named = set(re.findall(r"([\w/.-]+\.md)\s*$", config, re.MULTILINE))
    assert pages == named, (pages - named, named - pages)


def test_the_serial_test_line_the_docs_give_runs() -> None:
    guide = (DOCS / "how-to" / "run-the-tests.md").read_text("utf-8")
    assert "pytest -q -n 0" in guide
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-n",
            "0",
            "-p",
            "no:cacheprovider",
            "tests/test_id_set.py",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert " passed" in done.stdout
