"""``ticketbot fields check``: validate ``fields.toml`` against the helpdesk, show what each
entry resolves to, and the running summary's field (``TICKETBOT_SUMMARY_FIELD``) when one is
set. Exit 0 when every field and option exists, 2 when one does not or the summary's field is
not a text field (the message names the entry and lists what the helpdesk has), 1 when the
helpdesk cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ..triage.fields import ResolvedField

fields_app = typer.Typer(help="Entities into the helpdesk's own fields (fields.toml).")


def describe(resolved: ResolvedField) -> str:
    field = resolved.field
    head = f'"{resolved.rule.name}" -> {field.kind} field "{field.title}" ({field.key})'
    if resolved.rule.pattern is not None:
        return f"{head}: the first whole match of {resolved.rule.pattern.text}"
    options = "; ".join(f"{value} <- {', '.join(names)}" for value, names in resolved.terms)
    return f"{head}: {options}"


@fields_app.command("check")
def check(
    file: Annotated[
        Path | None, typer.Argument(help="The fields file. Default: TICKETBOT_FIELDS.")
    ] = None,
) -> None:
    """Validate the fields file (and the summary's field) against the helpdesk's fields."""
    from ..errors import ConfigError
    from ..features.registry import own_fields
    from ..run.connect import connect
    from ..triage.fieldbook import load_fields, read_fields_file
    from .common import exit_codes, load

    console = Console(highlight=False, soft_wrap=True)
    settings = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        path = file or settings.fields_file
        own = own_fields(settings)
        if path is None and not own:
            raise ConfigError(
                "no fields file: give one or set TICKETBOT_FIELDS=fields.toml "
                "(or TICKETBOT_SUMMARY_FIELD)"
            )
        # The file first: a broken one is refused (exit 2) before any request to the helpdesk.
        if path is not None:
            read_fields_file(path, setting=None if file else "TICKETBOT_FIELDS")
        helpdesk = connect(settings)
        try:
            resolved = (
                load_fields(path, helpdesk, setting=None if file else "TICKETBOT_FIELDS")
                if path is not None
                else ()
            )
            # One request for the helpdesk's fields, only when a feature writes one of its own.
            fields = helpdesk.ticket_fields() if own else ()
            written = [(field, field.resolve(fields)) for field in own]
            where = helpdesk.base_url
        finally:
            helpdesk.close()
        for field, found in written:
            console.print(escape(field.describe(found)))
        if path is None:
            return
        for entry in resolved:
            console.print(escape(describe(entry)))
        console.print(
            f"{len(resolved)} field(s) in {escape(str(path))} resolve against {escape(where)}."
        )
