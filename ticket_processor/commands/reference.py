"""The reference pages the code writes: every setting (from the settings' declaration), every
command and option (from the Typer app) and the exit codes (``exitcodes.CONTRACT``).

The docs keep each page's generated part between cog markers (``docs/reference/*.md``); ``cog -r``
rewrites them and ``cog --check`` (in ``.ci/run`` and a test) fails when one is stale. Each
function returns Markdown; the headings carry the anchors other pages link to: a variable's name
in lower case (``#ticketbot_answer_mode``), a command's words joined by ``-``
(``#ticketbot-answers-check``).
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import typer

from ..common.setting import Declared, declared
from ..exitcodes import CONTRACT
from ..helpdesks.registry import KINDS
from ..settings.fields import DeclaredSettings
from ..settings.variables import OTHER_VARS


def every_setting() -> list[Declared]:
    """Every declared setting: the helpdesk choice, each kind's, then ticketbot's own."""
    own = declared(DeclaredSettings)
    desks = [row for kind in KINDS.values() for row in declared(kind.settings)]
    return own[:1] + desks + own[1:]


def settings_reference() -> str:
    """The settings page's generated part: a section per variable, in declaration order."""
    lines: list[str] = []
    first_kind = next(iter(KINDS))
    for row in every_setting():
        default = f"`{first_kind}`" if row.field == "helpdesk" else _default(row.default)
        lines += [
            f"### `{row.variable}`",
            "",
            row.help,
            "",
            f"- default: {default}",
            f"- applies to: {row.applies}",
        ]
        if row.secret:
            lines.append("- secret: masked in every log line, message and `ticketbot config`")
        lines.append("")
    for variable, help_text in OTHER_VARS.items():
        lines += [f"### `{variable}`", "", help_text, "", "- applies to: every command", ""]
    return "\n".join(lines).rstrip() + "\n"


def _default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return f"`{','.join(map(str, value))}`"
    if isinstance(value, float) and value.is_integer():
        return f"`{int(value)}`"
    if isinstance(value, Path):
        return f"`{value.as_posix()}`"
    return f"`{value}`"


# Typer's commands are Click's (vendored by Typer 0.29 as ``typer._click``, imported from Click
# before): read by their attributes, as both have them.
Command = Any
Parameter = Any


def commands(group: Command, prefix: str = "ticketbot") -> Iterator[tuple[str, Command]]:
    """``(full name, command)`` for ``group`` and every command under it, in --help's order."""
    yield prefix, group
    if hasattr(group, "list_commands"):
        ctx = typer.Context(group, info_name=prefix)
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if command is not None and not command.hidden:
                yield from commands(command, f"{prefix} {name}")


def cli_reference(root: Command) -> str:
    """The commands page's generated part: each command's help, usage and options."""
    lines: list[str] = []
    for name, command in commands(root):
        anchor = name.replace(" ", "-")
        depth = "#" * min(2 + name.count(" ") - (1 if name.count(" ") else 0), 4)
        lines += [f"{depth} `{name}` {{#{anchor}}}", ""]
        text = (command.help or command.short_help or "").strip()
        if text:
            lines += [_plain(text), ""]
        usage = " ".join(_usage_pieces(command))
        lines += ["```text", f"{name} {usage}".rstrip(), "```", ""]
        options = [p for p in command.params if not getattr(p, "hidden", False)]
        if options:
            lines += ["| option | what it does | default |", "|---|---|---|"]
            lines += [_option_row(p) for p in options]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _usage_pieces(command: Command) -> Iterable[str]:
    if any(_is_option(p) for p in command.params):
        yield "[OPTIONS]"
    for param in command.params:
        if not _is_option(param):
            name = (param.name or "ARG").upper()
            yield name if param.required else f"[{name}]"
    if hasattr(command, "list_commands"):
        yield "COMMAND [ARGS]..."


def _is_option(param: Parameter) -> bool:
    return bool(param.param_type_name == "option")


def _option_row(param: Parameter) -> str:
    if not _is_option(param):
        names = f"`{(param.name or 'ARG').upper()}`"
    else:
        names = ", ".join(f"`{opt}`" for opt in (*param.opts, *param.secondary_opts))
    help_text = _plain(getattr(param, "help", None) or "").replace("\n", " ")
    return f"| {names} | {help_text.replace('|', '&#124;')} | {_param_default(param)} |"


def _param_default(param: Parameter) -> str:
    value = param.default
    if isinstance(getattr(param, "show_default", None), str):
        # An option whose absence means a default decided later (``--since``: 24h on a first
        # run) says it with ``show_default``, as --help shows it.
        return f"`{param.show_default}`"
    if _is_option(param) and param.is_flag and not param.secondary_opts:
        return ""
    if value is None or callable(value) or value == () or param.required:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _plain(text: str) -> str:
    """Click's help text as Markdown: its ``\\b`` no-rewrap markers dropped."""
    return "\n".join(line for line in text.splitlines() if line.strip() != "\b")


def exit_codes_reference() -> str:
    """The exit codes page's generated part: a table per group of commands."""
    lines: list[str] = []
    for commands_named, codes in CONTRACT:
        lines += [f"### {commands_named}", "", "| code | meaning |", "|---|---|"]
        lines += [f"| {int(code)} | {meaning} |" for code, meaning in codes]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def http_api_reference(spec: dict[str, Any]) -> str:
    """serve's HTTP API page's generated part, from its OpenAPI description: each route's
    summary, headers and answers, then the schemas."""
    lines: list[str] = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            lines += [f"### `{method.upper()} {path}`", "", operation.get("summary", ""), ""]
            if operation.get("security"):
                lines += ["Needs the bearer token (`Authorization: Bearer ...`).", ""]
            headers = [p for p in operation.get("parameters", []) if p.get("in") == "header"]
            if headers:
                lines += ["| header | required |", "|---|---|"]
                lines += [
                    f"| `{p['name']}` | {'yes' if p.get('required') else 'no'} |" for p in headers
                ]
                lines.append("")
            lines += ["| status | meaning |", "|---|---|"]
            lines += [
                f"| {status} | {answer.get('description', '')} |"
                for status, answer in operation.get("responses", {}).items()
            ]
            lines.append("")
    schemas = spec.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", ""]
        for name, schema in schemas.items():
            lines += [f"### {name}", "", "```json", json.dumps(schema, indent=2), "```", ""]
    return "\n".join(lines).rstrip() + "\n"


# Settings a feature may read that no one variable sets: the composed ones.
COMPOSED = {"desks": "each helpdesk's own settings"}


def feature_map() -> str:
    """The architecture page's map of the features (``features.registry``), in the run's order:
    each feature's folder, what it is (its package's first sentence), what its descriptor
    declares and the settings it reads."""
    import importlib
    import re
    from dataclasses import fields

    from ..features.registry import FEATURES

    variables = {row.field: row.variable for row in declared(DeclaredSettings)}
    lines = [
        "| order | folder | what it is | it declares | the settings it reads |",
        "|---|---|---|---|---|",
    ]
    for at, feature in enumerate(FEATURES, start=1):
        package = importlib.import_module(f"ticket_processor.{feature.name}")
        about = " ".join((package.__doc__ or "").split())
        about = re.split(r"[:.](?:\s|$)", about, maxsplit=1)[0].replace("``", "`")
        declares = [
            what
            for what, has in (
                ("per-ticket steps", feature.steps is not None),
                ("an after-run pass", feature.run_pass is not None),
                ("triage API fields", bool(feature.extras.api_fields)),
                ("help-centre index entries", feature.extras.index_source is not None),
                ("what `kb sync` reads", feature.kb_sync is not None),
                ("a look at every ticket read", feature.sees is not None),
                ("agents' approvals of its changes", feature.approver is not None),
                ("encrypted state files", bool(feature.sealed_files)),
                ("a helpdesk field of its own", feature.own_field is not None),
                ("scores in `eval`", bool(feature.evals) or feature.scores_file is not None),
                ("what `learn` fits", feature.learner is not None),
                ("what `revert` undoes", feature.revert is not None),
                ("a part of `report`", feature.report is not None),
                ("the dashboard's sender of reviewed drafts", feature.reviewer is not None),
            )
            if has
        ]
        read = [
            f"[`{variables[one.name]}`](../reference/settings.md#{variables[one.name].lower()})"
            if one.name in variables
            else COMPOSED.get(one.name, f"`{one.name}`")
            for one in fields(feature.values)
        ]
        lines.append(
            f"| {at} | `{feature.name}/` | {about} | {', '.join(declares)} | "
            f"{', '.join(read) or '-'} |"
        )
    return "\n".join(lines) + "\n"
