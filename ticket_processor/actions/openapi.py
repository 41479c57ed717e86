"""An action's call taken from an operation of an OpenAPI description the team points to
(``openapi = "shop-openapi.json"`` and ``operation = "<operationId>"``) instead of a method and
URL: the method, the path, its parameters and whether it takes a JSON body are read from the
description once, at start-up, and become the plain call the rest of the actions make.

No maintained library that resolves an operation into a request is a dependency (the ones
installed validate schemas), so this reads the subset such a call needs and refuses the rest
with the reason: the operation found by its ``operationId``; its parameters and its path's,
local ``#/components/parameters/`` references followed; ``path``, ``query`` and ``header``
parameters in their default style; a JSON request body. The base URL is the action's
``base_url`` (a shop's own, ``{env:SHOPIFY_SHOP_URL}``) or the description's first server, its
variables at their defaults. A parameter's value is the action's ``params`` entry (a template:
``{order}``, ``any``) or, for a path parameter, the input of its own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import requests

METHODS = ("get", "post", "put", "patch", "delete")
DEFAULT_STYLE = {"path": "simple", "query": "form", "header": "simple"}
MAX_DESCRIPTION_BYTES = 20_000_000


class OperationError(ValueError):
    """Why an operation cannot be made into a call (a ``ValueError``: the file's checks
    report it as the action's key)."""


@dataclass(frozen=True)
class ResolvedCall:
    method: str
    url: str  # a template: ``{order_id}``, ``{env:SHOPIFY_SHOP_URL}`` kept for the caller
    headers: dict[str, str]
    takes_body: bool
    body_required: bool


def read_description(where: str, base: Path | None) -> dict[str, Any]:
    """The description at ``where``: a file (relative to ``base``, the actions file's folder)
    or an ``http(s)`` URL, in JSON (YAML where PyYAML is installed)."""
    try:
        if where.startswith(("https://", "http://")):
            answer = requests.get(where, timeout=(5, 15))
            answer.raise_for_status()
            raw = answer.content
        else:
            path = Path(where) if base is None or Path(where).is_absolute() else base / where
            raw = path.read_bytes()
    except (OSError, requests.RequestException) as exc:
        raise OperationError(f"cannot read the OpenAPI description {where!r}: {exc}") from None
    if len(raw) > MAX_DESCRIPTION_BYTES:
        raise OperationError(f"the OpenAPI description {where!r} is over 20 MB")
    return _decoded(raw, where)


def _decoded(raw: bytes, where: str) -> dict[str, Any]:
    try:
        found: Any = orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            import yaml
        except ImportError:
            raise OperationError(
                f"the OpenAPI description {where!r} is not JSON; convert it to JSON "
                "(or install PyYAML to read YAML)"
            ) from None
        try:
            found = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise OperationError(f"{where!r} is neither JSON nor YAML: {exc}") from None
    if not isinstance(found, dict) or not isinstance(found.get("paths"), dict):
        raise OperationError(f"{where!r} is no OpenAPI description (it has no paths)")
    return found


def resolve(
    description: Mapping[str, Any],
    operation_id: str,
    *,
    base_url: str | None,
    params: Mapping[str, str],
) -> ResolvedCall:
    """The call ``operation_id`` makes, with ``params`` for its parameters."""
    path, item, method, operation = _find(description, operation_id)
    listed: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = _parameter(description, raw)
        listed[(str(parameter.get("name")), str(parameter.get("in")))] = parameter  # op wins
    unknown = sorted(set(params) - {name for name, _ in listed})
    if unknown:
        raise OperationError(f"params.{unknown[0]} is not a parameter of {operation_id}")
    query: list[str] = []
    headers: dict[str, str] = {}
    for (name, where), parameter in listed.items():
        style = parameter.get("style", DEFAULT_STYLE.get(where))
        if where not in DEFAULT_STYLE or style != DEFAULT_STYLE[where]:
            raise OperationError(
                f"{operation_id}: parameter {name!r} ({where}, style {style}) is not read; "
                "only path, query and header parameters in their default style are"
            )
        if where == "path":
            path = path.replace(f"{{{name}}}", params.get(name, f"{{{name}}}"))
        elif name in params and where == "query":
            query.append(f"{quote(name, safe='')}={params[name]}")
        elif name in params:
            headers[name] = params[name]
        elif parameter.get("required"):
            raise OperationError(f"{operation_id}: give params.{name}: it is required")
    body = operation.get("requestBody")
    if isinstance(body, dict) and "$ref" in body:
        body = _local(description, str(body["$ref"]), "#/components/requestBodies/")
    takes_body = isinstance(body, dict)
    if takes_body and "application/json" not in (body or {}).get("content", {}):
        raise OperationError(f"{operation_id}: its request body is not JSON, which is not read")
    url = _base(description, item, operation, base_url).rstrip("/") + path
    return ResolvedCall(
        method.upper(),
        url + ("?" + "&".join(query) if query else ""),
        headers,
        takes_body,
        bool(takes_body and (body or {}).get("required")),
    )


def _find(
    description: Mapping[str, Any], operation_id: str
) -> tuple[str, Mapping[str, Any], str, Mapping[str, Any]]:
    seen: list[str] = []
    for path, item in description["paths"].items():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and "operationId" in operation:
                seen.append(str(operation["operationId"]))
                if operation["operationId"] == operation_id:
                    return str(path), item, method, operation
    listed = ", ".join(sorted(seen)[:12]) or "none"
    raise OperationError(f"operation {operation_id!r} is not in the description (it has {listed})")


def _parameter(description: Mapping[str, Any], raw: object) -> Mapping[str, Any]:
    if isinstance(raw, dict) and "$ref" in raw:
        raw = _local(description, str(raw["$ref"]), "#/components/parameters/")
    if not isinstance(raw, dict) or "name" not in raw or "in" not in raw:
        raise OperationError(f"a parameter without a name or an 'in': {raw!r}")
    return raw


def _local(description: Mapping[str, Any], ref: str, prefix: str) -> Any:
    """A local reference under ``prefix``; any other is refused."""
    if not ref.startswith(prefix):
        raise OperationError(f"cannot follow $ref {ref!r}: only local {prefix}… references are")
    found = description.get("components", {}).get(prefix.split("/")[2], {}).get(ref[len(prefix) :])
    if found is None:
        raise OperationError(f"$ref {ref!r} leads nowhere in the description")
    return found


def _base(
    description: Mapping[str, Any],
    item: Mapping[str, Any],
    operation: Mapping[str, Any],
    base_url: str | None,
) -> str:
    if base_url:
        return base_url
    servers = operation.get("servers") or item.get("servers") or description.get("servers")
    if not servers or not isinstance(servers[0], dict) or "url" not in servers[0]:
        raise OperationError("the description names no server: give base_url")
    url = str(servers[0]["url"])
    for name, variable in (servers[0].get("variables") or {}).items():
        url = url.replace(f"{{{name}}}", str(variable.get("default", "")))
    if not url.startswith(("https://", "http://")):
        raise OperationError(f"the description's server {url!r} is not a full URL: give base_url")
    return url
