"""The team's actions file (``actions.toml``, ``TICKETBOT_ACTIONS``): what each action calls,
when it applies, what it takes and what it may show, parsed and checked once at start-up.

Every problem is a ``ConfigError`` that names the file, the action and the key. Templates use
``{input}`` for a declared input, ``{env:NAME}`` for a setting read from the environment (a
shop's URL) and ``{secret:NAME}`` for a secret (a header only: a secret never goes into a URL or
a body, where a log or an error could carry it); every name a template uses must be declared,
and every ``env``/``secret`` must be set when the run starts.

Inputs come from the ticket, never from what its text claims about who asks: ``order_number``
and ``amount`` are read from the customer's words, ``requester_email`` is the address the
helpdesk holds for the requester, and a change's ``lookup.<output>`` is an output of the lookup
it ``uses`` (which also proves the record is the requester's).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from ..common.atomic import read_config_bytes
from ..errors import ConfigError, StateFileRefused
from ..triage.taxonomy import normalise_cue
from .openapi import OperationError, read_description, resolve

SETTING = "TICKETBOT_ACTIONS"
ENTITY_SOURCES = ("order_number", "amount", "requester_email")
PLACEHOLDER = re.compile(r"\{(?:(env|secret):)?([A-Za-z_][A-Za-z0-9_.]*)\}")
ActionName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]


class Request(BaseModel):
    """The HTTP call: method, URL template, headers (secrets by name), a JSON body template,
    and the header the API reads an idempotency key from (a change's, where it takes one).
    Or an operation of an OpenAPI description (``openapi``, ``operation``, its ``params`` and
    ``base_url``), read at start-up into the method and URL (``actions.openapi``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = "GET"
    url: Annotated[str, Field(min_length=1)]
    openapi: str | None = None
    operation: str | None = None
    base_url: str | None = None
    params: dict[str, str] = Field(default_factory=dict)
    headers: dict[str, str] = Field(default_factory=dict)
    body: dict[str, Any] | None = None
    idempotency_header: str | None = None
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0

    @model_validator(mode="before")
    @classmethod
    def _operation(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or "openapi" not in data:
            if isinstance(data, dict) and ("operation" in data or "params" in data):
                raise ValueError("operation and params go with openapi = <its description>")
            return data
        for key in ("method", "url"):
            if key in data:
                raise ValueError(f"{key}: an operation's {key} comes from its description")
        if not isinstance(data.get("operation"), str) or not isinstance(data["openapi"], str):
            raise ValueError("openapi needs operation = <its operationId>")
        context = info.context if isinstance(info.context, dict) else {}
        read: dict[str, Any] = context.setdefault("descriptions", {})
        where = data["openapi"]
        if where not in read:
            read[where] = read_description(where, context.get("base"))
        params = data.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("params: a table of the operation's parameters")
        call = resolve(read[where], data["operation"], base_url=data.get("base_url"), params=params)
        if call.body_required and not data.get("body"):
            raise ValueError(f"body: operation {data['operation']} takes a JSON body; give it")
        if data.get("body") and not call.takes_body:
            raise ValueError(f"body: operation {data['operation']} takes no body")
        headers = {**call.headers, **(data.get("headers") or {})}
        return {**data, "method": call.method, "url": call.url, "headers": headers}


class Action(BaseModel):
    """One declared action (see the module's text for the templates and the inputs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ActionName
    kind: Literal["lookup", "change"]
    description: str = ""
    # When it applies: the triage's category, or one of the phrases (the taxonomy's cue syntax).
    categories: tuple[str, ...] = ()
    phrases: tuple[str, ...] = ()
    inputs: dict[str, str] = Field(default_factory=dict)
    request: Request
    # Where the record is in the answer (dotted: ``orders.0``), and the record's field that
    # names its owner's e-mail: a lookup shows nothing of a record that is not the requester's.
    record: str = ""
    owner: str | None = None
    # name -> the record's dotted field: what agents see; ``reply_outputs``: what a reply may say.
    outputs: dict[str, str] = Field(default_factory=dict)
    reply_outputs: tuple[str, ...] = ()
    reply: str | None = None
    # The reply when the record lacks a value ``reply`` names (an order not shipped yet has no
    # tracking number): it names only values such a record has.
    reply_fallback: str | None = None
    # "llm": with an LLM configured, the reply is its words, written from the reply_outputs
    # alone and screened as every answer is; the team's template where they fail the screen.
    reply_by: Literal["template", "llm"] = "template"
    # A change: the lookup whose outputs (and owner check) it builds on, its limits (an amount
    # ceiling; how many an approval run makes at most, the rest left for the next run).
    uses: str | None = None
    amount_input: str = "amount"
    max_amount: Annotated[float, Field(gt=0)] | None = None
    max_per_run: Annotated[int, Field(ge=1)] | None = None
    tag: str | None = None  # the approval tag; default ``<prefix>approve_<name>``
    # A change's undo, where the API has one (an order's tags put back; a refund has none):
    # the call ``ticketbot revert`` makes, from the change's inputs and its outputs.
    undo: Request | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Action:
        if not self.categories and not self.phrases:
            raise ValueError("give categories or phrases: when does it apply?")
        for phrase in self.phrases:
            normalise_cue(phrase)
        if self.kind == "lookup" and self.owner is None:
            raise ValueError("owner: name the record's field holding its owner's e-mail")
        if self.kind == "change" and self.uses is None:
            raise ValueError("uses: name the lookup that finds the record to change")
        if self.reply_by == "llm" and self.reply is None:
            raise ValueError("reply_by: 'llm' needs reply, the words sent when the LLM's fail")
        if self.kind == "lookup" and self.undo is not None:
            raise ValueError("undo: a lookup changes nothing; only a change has an undo")
        for name, source in self.inputs.items():
            if source not in ENTITY_SOURCES and not source.startswith("lookup."):
                raise ValueError(
                    f"inputs.{name}: {source!r} is not a source; use one of "
                    f"{', '.join(ENTITY_SOURCES)} or lookup.<output>"
                )
        unknown = sorted(set(self.reply_outputs) - set(self.outputs))
        if unknown:
            raise ValueError(f"reply_outputs: {unknown[0]!r} is not one of the outputs")
        self._check_templates()
        return self

    def _check_templates(self) -> None:
        calls = [("request", self.request, set(self.inputs))]
        if self.undo is not None:  # the undo reads the change's inputs and what it answered
            calls.append(("undo", self.undo, set(self.inputs) | set(self.outputs)))
        for key, request, known in calls:
            found = [(f"{key}.url", request.url)]
            found += [(f"{key}.headers.{k}", v) for k, v in request.headers.items()]
            found += [(f"{key}.body", s) for s in _strings(request.body)]
            for where, text in found:
                for scope, name in PLACEHOLDER.findall(text):
                    if scope == "secret" and ".headers." not in where:
                        raise ValueError(f"{where}: a secret goes in a header only, never {where}")
                    if not scope and name not in known:
                        listed = "inputs or outputs" if key == "undo" else "inputs"
                        raise ValueError(f"{where}: {{{name}}} is not one of the {listed}")
        for key, reply in (("reply", self.reply), ("reply_fallback", self.reply_fallback)):
            for scope, name in PLACEHOLDER.findall(reply or ""):
                if scope or name not in self.reply_outputs:
                    raise ValueError(f"{key}: {{{name}}} is not one of the reply_outputs")

    def settings_named(self) -> dict[str, str]:
        """Every ``{env:NAME}`` and ``{secret:NAME}`` its templates use: name -> scope."""
        texts = [
            text
            for request in (self.request, self.undo)
            if request is not None
            for text in (request.url, *request.headers.values(), *_strings(request.body))
        ]
        return {name: scope for t in texts for scope, name in PLACEHOLDER.findall(t) if scope}

    def approval_tag(self, prefix: str) -> str:
        return self.tag or f"{prefix}approve_{self.name}"


class ActionBook(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    action: tuple[Action, ...] = ()

    @model_validator(mode="after")
    def _names(self) -> ActionBook:
        names = [a.name for a in self.action]
        for action in self.action:
            if names.count(action.name) > 1:
                raise ValueError(f"action {action.name!r} is listed twice")
            if action.uses is not None:
                used = next((a for a in self.action if a.name == action.uses), None)
                if used is None or used.kind != "lookup":
                    raise ValueError(f"{action.name}: uses {action.uses!r}, which is no lookup")
                for name, source in action.inputs.items():
                    wanted = source.removeprefix("lookup.")
                    if source.startswith("lookup.") and wanted not in used.outputs:
                        raise ValueError(
                            f"{action.name}: inputs.{name}: {wanted!r} is not an output of "
                            f"{used.name}"
                        )
        return self

    def named(self, name: str) -> Action | None:
        return next((a for a in self.action if a.name == name), None)


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def parse_actions(text: str, base: Path | None = None) -> ActionBook:
    """An ``actions.toml``'s actions (an OpenAPI description it names read relative to
    ``base``, its folder); every error names the action and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}") from None
    try:
        return ActionBook.model_validate(data, context={"base": base})
    except ValidationError as exc:
        raise ConfigError(_describe(exc, data)) from None
    except OperationError as exc:  # raised outside a validator's reach (not expected)
        raise ConfigError(str(exc)) from None


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    first = exc.errors()[0]
    where = list(first["loc"])
    label = ""
    if len(where) >= 2 and where[0] == "action" and isinstance(where[1], int):
        listed = data.get("action")
        item = listed[where[1]] if isinstance(listed, list) and len(listed) > where[1] else {}
        name = item.get("name") if isinstance(item, dict) else None
        label = f'action "{name}"' if isinstance(name, str) else f"action #{where[1] + 1}"
        where = where[2:]
    key = ".".join(str(part) for part in where)
    message = str(first["msg"]).removeprefix("Value error, ")
    return ": ".join(part for part in (label, key, message) if part)


def load_actions(path: Path, environ: Mapping[str, str] | None = None) -> ActionBook:
    """The actions file at ``path``, checked, its settings present in ``environ`` (default:
    the process's environment); ``ConfigError`` naming ``TICKETBOT_ACTIONS`` otherwise."""
    where = f"{SETTING} ({path})"
    try:
        text = read_config_bytes(path).decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{where} does not exist; fix the path or unset it") from None
    except StateFileRefused as exc:
        raise ConfigError(f"{where}: {exc}; point it at a regular file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read: {exc}") from None
    try:
        book = parse_actions(text, path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    env = os.environ if environ is None else environ
    for action in book.action:
        for name in action.settings_named():
            if not env.get(name):
                raise ConfigError(
                    f"{name} is not set: put it in .env or the environment "
                    f"({where}: action {action.name!r} uses it)"
                )
    return book
