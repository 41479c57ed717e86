"""A setting declared once: its variable, default, one-line help, where it applies and, for an
error, a hint. ``setting(...)`` is a pydantic ``Field`` that carries them, so the settings models
(``settings.Settings`` and each helpdesk's ``HelpdeskSettings``) are the only list of variables:
reading them, ``ticketbot config``, the near-miss warnings and the docs' settings page
(``docs/reference/settings.md``, generated) all read the models' fields.

pydantic-settings reads a model from the environment too; it is not used because what ticketbot
adds around the reading is most of the work (a ``.env`` checked line by line and never expanded,
the environment over the file, a warning for each name that sets nothing, a refusal when
``OPENAI_BASE_URL`` is misspelt, every helpdesk kind's model composed under one choice): with
it, all of that would stay and a second source of truth for the variables' names would come in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo

# Where a setting applies, in the words of the commands that read it.
EVERY_COMMAND = "every command"
RUNS = "run, backfill, serve"


def setting(
    default: Any,
    *,
    env: str,
    help: str,
    applies: str = RUNS,
    hint: str | None = None,
    **constraints: Any,
) -> Any:
    """A model field read from the variable ``env``: ``help`` is its one line in the docs and in
    ``ticketbot config --describe``; ``hint`` is added to a validation error's message."""
    extra: dict[str, Any] = {"env": env, "applies": applies}
    if hint:
        extra["hint"] = hint
    return Field(default, description=help, json_schema_extra=extra, **constraints)


@dataclass(frozen=True)
class Declared:
    """One declared setting, as the docs and ``config --describe`` show it."""

    variable: str
    field: str
    help: str
    applies: str
    default: Any
    secret: bool


def declared(model: type[BaseModel]) -> list[Declared]:
    """Every setting ``model`` declares with ``setting()``, in declaration order: the model's
    own fields first, then those it takes from a base (a long declaration split in two)."""
    rows = []
    fields = model.model_fields
    inherited = {
        name
        for base in model.__mro__[1:]
        if isinstance(base, type) and issubclass(base, BaseModel) and base is not BaseModel
        for name in base.model_fields
    }
    ordered = [n for n in fields if n not in inherited] + [n for n in fields if n in inherited]
    for name in ordered:
        info = fields[name]
        extra = _extra(info)
        if "env" not in extra:
            continue
        rows.append(
            Declared(
                variable=str(extra["env"]),
                field=name,
                help=info.description or "",
                applies=str(extra.get("applies", "")),
                default=info.get_default(call_default_factory=True),
                secret="Secret" in repr(info.annotation),
            )
        )
    return rows


def declared_variables(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> variable, for every setting ``model`` declares."""
    return {row.field: row.variable for row in declared(model)}


def declared_hints(model: type[BaseModel]) -> dict[str, str]:
    """Variable -> the hint its validation error adds, where one is declared."""
    hints = {}
    for info in model.model_fields.values():
        extra = _extra(info)
        if "env" in extra and extra.get("hint"):
            hints[str(extra["env"])] = str(extra["hint"])
    return hints


def _extra(info: FieldInfo) -> Mapping[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, Mapping) else {}
