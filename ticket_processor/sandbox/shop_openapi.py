"""The OpenAPI description of the shop stand-in's orders and refunds endpoints (Shopify's Admin
REST paths, version 2024-10), served at ``/openapi.json`` and shipped as
``docs/examples/shopify-openapi.json``, so a team tries an action declared by an operation
(``openapi`` and ``operation`` in ``actions.toml``) against the stand-in. Shopify publishes no
OpenAPI description of its REST API; this one says what the stand-in answers."""

from __future__ import annotations

from typing import Any

VERSION = "2024-10"

_ORDER_ID = {
    "name": "order_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer"},
    "description": "The order's id (not its name, #1001).",
}
_ERRORS = {"description": "Shopify's error body", "content": {"application/json": {}}}


def _answer(description: str, key: str) -> dict[str, Any]:
    return {
        "200": {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object", "required": [key]}}},
        },
        "401": _ERRORS,
        "404": _ERRORS,
        "429": {**_ERRORS, "headers": {"Retry-After": {"schema": {"type": "number"}}}},
    }


def _json_body(key: str) -> dict[str, Any]:
    schema = {"type": "object", "required": [key], "properties": {key: {"type": "object"}}}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def shop_openapi() -> dict[str, Any]:
    """The description, as a dict (``orjson.dumps`` writes it)."""
    api = f"/admin/api/{VERSION}"
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Shopify Admin REST API (ticketbot's stand-in): orders and refunds",
            "version": VERSION,
        },
        "servers": [
            {
                "url": "https://{shop}.myshopify.com",
                "variables": {"shop": {"default": "your-shop"}},
            }
        ],
        "components": {
            "securitySchemes": {
                "accessToken": {"type": "apiKey", "in": "header", "name": "X-Shopify-Access-Token"}
            },
            "parameters": {"OrderId": _ORDER_ID},
        },
        "security": [{"accessToken": []}],
        "paths": {
            f"{api}/orders.json": {
                "get": {
                    "operationId": "listOrders",
                    "summary": "Orders, filtered by name, e-mail and status",
                    "parameters": [
                        {"name": "name", "in": "query", "schema": {"type": "string"}},
                        {"name": "email", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["open", "closed", "any"]},
                        },
                    ],
                    "responses": _answer("The orders", "orders"),
                },
                "post": {
                    "operationId": "createOrder",
                    "requestBody": _json_body("order"),
                    "responses": _answer("The order made", "order"),
                },
            },
            f"{api}/orders/{{order_id}}.json": {
                "parameters": [{"$ref": "#/components/parameters/OrderId"}],
                "get": {"operationId": "getOrder", "responses": _answer("The order", "order")},
                "put": {
                    "operationId": "updateOrder",
                    "summary": "Set the order's tags (all of them) or its note",
                    "requestBody": _json_body("order"),
                    "responses": _answer("The order as it is now", "order"),
                },
            },
            f"{api}/orders/{{order_id}}/refunds.json": {
                "parameters": [{"$ref": "#/components/parameters/OrderId"}],
                "get": {
                    "operationId": "listRefunds",
                    "responses": _answer("The order's refunds", "refunds"),
                },
                "post": {
                    "operationId": "createRefund",
                    "summary": "Refund the order (an Idempotency-Key seen before: the same one)",
                    "parameters": [
                        {"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}
                    ],
                    "requestBody": _json_body("refund"),
                    "responses": _answer("The refund made", "refund"),
                },
            },
        },
    }
