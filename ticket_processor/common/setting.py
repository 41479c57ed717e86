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

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, Field
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from ..errors import either, plain_message

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


# The words pydantic reads as true or false, as the docs and ``.env`` write them first.
_BOOLEAN_WORDS = "true or false (also yes/no, on/off, 1/0)"
_NUMBER_ERRORS = {
    "float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number",
    "greater_than", "greater_than_equal", "less_than", "less_than_equal",
}  # fmt: skip


def error_text(model: type[BaseModel], error: ErrorDetails) -> str:
    """What is wrong with one setting's value, in words that say which values it takes.

    pydantic's own messages name its types ("a valid boolean", "a valid number") and say only the
    bound that failed; a reader of ``TICKETBOT_INCIDENTS=maybe`` needs the words it takes, and of
    ``TICKETBOT_CONFIDENCE_THRESHOLD=high`` the whole range. Every setting of ``model`` with that
    type gets the same wording, so a new setting needs nothing here.
    """
    kind = error["type"]
    given = error["input"]
    info = model.model_fields.get(str(error["loc"][0])) if error["loc"] else None
    if kind == "bool_parsing":
        return f"must be {_BOOLEAN_WORDS}, not {given!r}"
    if kind in _NUMBER_ERRORS and info is not None:
        whole = "int" in kind or _is_whole(info)
        return f"must be {'a whole number' if whole else 'a number'}{_range(info)}, not {given!r}"
    if kind == "literal_error" and isinstance(given, str):
        expected = re.findall(r"'([^']*)'", str((error.get("ctx") or {}).get("expected", "")))
        return not_one_of(given, expected)
    if kind == "string_pattern_mismatch":
        return f"{given!r} is not a value it takes"  # a pattern is no help to a reader: the hint is
    return plain_message(str(error["msg"]))


def not_one_of(given: str, accepted: Sequence[str]) -> str:
    """``must be off, draft, send or auto, not 'sned'; did you mean 'send'?``: a value outside
    a setting's few accepted words, named with them, and the one it is a typo of, if any. The
    wording of every such setting, whether its words are a ``Literal`` or known at run time
    (the helpdesks the registry lists)."""
    said = f"must be {either(list(accepted))}, not {given!r}"
    near = difflib.get_close_matches(given.lower(), list(accepted), n=1, cutoff=0.6)
    return f"{said}; did you mean {near[0]!r}?" if near else said


def _is_whole(info: FieldInfo) -> bool:
    text = repr(info.annotation)
    return "int" in text and "float" not in text


def _range(info: FieldInfo) -> str:
    """`` from 0 to 1``, `` above 0 and at most 600``, `` of at least 100``: the field's bounds."""
    bounds: dict[type, Any] = {type(b): b for b in info.metadata}
    ge, gt = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Gt)
    le, lt = bounds.get(annotated_types.Le), bounds.get(annotated_types.Lt)
    if ge is not None and le is not None:
        return f" from {_number(ge.ge)} to {_number(le.le)}"
    low = f"at least {_number(ge.ge)}" if ge is not None else ""
    low = f"above {_number(gt.gt)}" if gt is not None else low
    high = f"at most {_number(le.le)}" if le is not None else ""
    high = f"below {_number(lt.lt)}" if lt is not None else high
    if low and high:
        return f" {low} and {high}"
    return f" of {low}" if low.startswith("at") else f" {low or high}".rstrip()


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _extra(info: FieldInfo) -> Mapping[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, Mapping) else {}
