"""The triage API's request and answer, and the server's OpenAPI description.

``POST /api/v1/triage`` takes ``{subject, description, language?}`` and answers what a run
would decide for that text — category, subcategory, urgency, sentiment, language, confidence at
the top level; per field the calibrated confidence and whether a run would apply it, suggest
it or abstain; the help-centre articles it would suggest; the route it would take; what each
per-ticket step adds (a field the step declares); the reply draft when drafts are on — without
reading or writing the helpdesk. The text is redacted before any engine sees it, as in a run
(``triage.prepare``). ``language``, when given, is the caller's word for the text's language
and is answered as given; otherwise the engine's.

The OpenAPI description (``/openapi.json``) is written here, its schemas generated from these
pydantic models, so the description and the answers cannot drift apart.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from .. import __version__
from ..features.registry import step_extras
from ..helpdesks.registry import KINDS
from ..models import ArticleVisibility
from ..run.served import Analysed
from ..steps.extras import StepExtras
from .limits import MAX_BODY

MAX_API_BODY = 64 * 1024  # bytes of JSON; a ticket's text beyond it is cut by prepare anyway


class TriageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: Annotated[str, Field(max_length=2_000)]
    description: Annotated[str, Field(max_length=60_000)]
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$")] | None = None


class ApprovalRequest(BaseModel):
    """An agent's approval of a proposed change (``POST /api/v1/actions/approve``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ticket_id: int
    action: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
    # The agent, as the change's note and the audit store name them: plain characters only.
    approver: Annotated[str, Field(pattern=r"^[A-Za-z0-9@._+ -]{1,64}$")]


class FieldAnswer(BaseModel):
    value: str | None
    confidence: float | None = None
    decision: str  # apply | suggest | abstain


class ArticleAnswer(BaseModel):
    article_id: int
    title: str
    url: str
    # Who may read it: everyone, signed_in (may be quoted to the customer) or internal
    # (staff-only, restricted or unknown: for the agent, never for the customer).
    visibility: ArticleVisibility
    score: float | None = None


class RouteAnswer(BaseModel):
    routes: list[str]
    group: str | None = None
    group_id: int | None = None
    assignee: str | None = None
    tags: list[str] = Field(default_factory=list)
    escalate: bool = False


class TriageHead(BaseModel):
    # The answer's fields every run has (a comment, not a docstring: pydantic would put a
    # docstring in the description); ``TriageAnswer`` adds the steps' own after them.
    category: str
    subcategory: str | None
    urgency: str
    sentiment: str
    language: str
    confidence: float
    summary: str
    engine: str
    fallback: bool
    fields: dict[str, FieldAnswer]
    articles: list[ArticleAnswer]
    route: RouteAnswer


@cache
def _answer_model(extras: tuple[StepExtras, ...]) -> type[TriageHead]:
    fields: dict[str, Any] = {n: kind for one in extras for n, kind in one.api_fields.items()}
    fields["answer"] = (str | None, None)
    return create_model("TriageAnswer", __base__=TriageHead, **fields)


def answer_model() -> type[TriageHead]:
    """The answer: the fields every run has, then each feature's (``features.registry``: a
    step's field is typed in the description as in the answer, and named by its feature
    alone), then the reply draft a run would note (TICKETBOT_REPLY_DRAFT). Made once for the
    features' list (read when asked, so the list is the run's)."""
    return _answer_model(tuple(step_extras()))


def triage_answer(found: Analysed, language: str | None) -> BaseModel:
    triage = found.triage
    analysis = triage.analysis
    values: dict[str, str | None] = {
        "category": analysis.category,
        "subcategory": analysis.subcategory,
        "urgency": analysis.urgency.value,
        "sentiment": analysis.sentiment.value,
    }
    fields = {}
    for name, value in values.items():
        decision = found.decisions.get(name)
        fields[name] = FieldAnswer(
            value=value,
            confidence=triage.field_confidence.get(name),
            # Uncalibrated (no per-field confidence): the field applies as before.
            decision=decision or "apply",
        )
    model = answer_model()
    steps = {name: found.steps[name] for name in model.model_fields if name in found.steps}
    return model(
        category=analysis.category,
        subcategory=analysis.subcategory,
        urgency=analysis.urgency.value,
        sentiment=analysis.sentiment.value,
        language=(language or analysis.language).lower(),
        confidence=analysis.confidence,
        summary=analysis.summary,
        engine=triage.engine,
        fallback=triage.fallback,
        fields=fields,
        articles=[
            ArticleAnswer(
                article_id=s.article_id,
                title=s.title,
                url=s.url,
                visibility=s.visibility,
                score=s.score,
            )
            for s in found.suggestions
        ],
        route=RouteAnswer(**found.route),
        **steps,
        answer=analysis.reply_draft,
    )


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _delivery(source: str, headers: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": f"A {source} webhook delivery (a ticket created, or a customer's reply)",
        "parameters": headers,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Delivery"}}},
        },
        "responses": {
            "200": {
                "description": "Stored (or stored already: a retry); triaged within seconds",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}
                },
            },
            "400": _error(
                "Malformed body, an event other than created, reply or updated, or "
                "(Zendesk) a timestamp more than 5 minutes off"
            ),
            "401": _error("Missing or wrong signature / shared secret"),
            "404": _error(
                "This installation's helpdesk is another one (the answer names it and its route)"
            ),
            "413": _error(f"Body over {MAX_BODY} bytes"),
            "429": _error("Rate limited (Retry-After says when to try again)"),
            "503": _error("TICKETBOT_SERVE_SECRET is not set"),
        },
    }


def _header(name: str, required: bool) -> dict[str, Any]:
    return {"name": name, "in": "header", "required": required, "schema": {"type": "string"}}


def _webhook_paths() -> dict[str, Any]:
    """``/webhooks/<kind>`` for each registered kind that takes webhooks, with its headers."""
    paths: dict[str, Any] = {}
    for kind in KINDS.values():
        receiver = kind.webhook_receiver()
        if receiver is not None:
            headers = [_header(name, required) for name, required in receiver.headers]
            paths[f"/webhooks/{kind.name}"] = {"post": _delivery(receiver.label, headers)}
    return paths


def _approve_path() -> dict[str, Any]:
    """``POST /api/v1/actions/approve``'s description (``actions``)."""
    return {
        "post": {
            "summary": "Approve a proposed change (actions); the next run makes it",
            "security": [{"bearer": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ApprovalRequest"}}
                },
            },
            "responses": {
                "202": {"description": "Approved: the next run makes the change"},
                "400": _error("Not JSON, or not the request's shape"),
                "401": _error("No or wrong bearer token"),
                "404": _error("No such proposal, or no actions configured"),
                "409": _error("The change is not waiting for an approval"),
                "503": _error("No token configured (TICKETBOT_SERVE_TOKEN)"),
            },
        }
    }


def openapi() -> dict[str, Any]:
    """The server's OpenAPI 3.1 description."""
    schemas: dict[str, Any] = {
        "TriageRequest": TriageRequest.model_json_schema(
            ref_template="#/components/schemas/{model}"
        ),
        "ApprovalRequest": ApprovalRequest.model_json_schema(
            ref_template="#/components/schemas/{model}"
        ),
        "Error": {
            "type": "object",
            "properties": {"error": {"type": "string"}},
            "required": ["error"],
        },
        "Accepted": {
            "type": "object",
            "properties": {"accepted": {"type": "boolean"}, "duplicate": {"type": "boolean"}},
            "required": ["accepted", "duplicate"],
        },
        "Delivery": {
            "type": "object",
            "properties": {
                "ticket_id": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
                "event": {"type": "string", "enum": ["created", "reply", "updated"]},
            },
            "required": ["ticket_id"],
        },
    }
    answer = answer_model().model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(answer.pop("$defs", {}))
    schemas["TriageAnswer"] = answer
    return {
        "openapi": "3.1.0",
        "info": {"title": "ticketbot serve", "version": __version__},
        "paths": {
            "/api/v1/triage": {
                "post": {
                    "summary": "What a run would decide for a ticket's text (nothing written)",
                    "security": [{"bearer": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/TriageRequest"}
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The analysis",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/TriageAnswer"}
                                }
                            },
                        },
                        "400": _error("Not JSON, or not the request's shape"),
                        "401": _error("No or wrong bearer token"),
                        "413": _error(f"Body over {MAX_API_BODY} bytes"),
                        "429": _error("Rate limited"),
                        "503": _error("Not ready yet (models loading), or no token configured"),
                    },
                }
            },
            "/api/v1/actions/approve": _approve_path(),
            **_webhook_paths(),
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "alive"}}}
            },
            "/readyz": {
                "get": {
                    "summary": "Readiness: models loaded and the health checks not unhealthy. "
                    "Without a token: ready, status and (not ready) reason only; with the "
                    "bearer token: the health checks too",
                    "responses": {
                        "200": {
                            "description": "ready (with the token: the health checks, and an "
                            "escalation channel that is stalled named under "
                            "escalation_channels.stalled, with why and since when)"
                        },
                        "401": _error("A bearer token that is not TICKETBOT_SERVE_TOKEN"),
                        "503": {"description": "not ready"},
                    },
                }
            },
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics",
                    "responses": {"200": {"description": "text exposition format"}},
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
