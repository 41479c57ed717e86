"""The Starlette application: the routes, and what every request goes through.

Every webhook and API request is rate limited per source before its body is read, its body is
read against a size cap and a deadline (a trickled body is cut off: ``BODY_DEADLINE``), and a
refusal is answered with a JSON ``{"error": ...}``, counted by reason, logged with it (never
with a secret, a signature or the body) and said on the terminal in one line. A delivery to
another helpdesk's route is refused by naming this installation's helpdesk before anything
is read: a webhook pointed at the wrong route is a set-up mistake, not a forged signature. A
delivery is believed (``deliveries``), stored (``queue``, fsync'd) and only then answered 200;
nothing else happens in the request: the worker does the triage. The triage API answers from
the run's chain, in a worker thread.

``/readyz`` answers anyone with the verdict alone (ready or not, and why only where the why is
one of serve's own fixed sentences); the health checks behind it name the helpdesk's agent,
its address and the state's paths, so they are in the answer only with the API's bearer
token (``ticketbot health`` on the host says the same).
"""

from __future__ import annotations

import asyncio
import hmac
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..helpdesks.deliveries import Refused, WebhookReceiver
from ..helpdesks.registry import KINDS
from ..run.served import ServedTriage
from .api import MAX_API_BODY, ApprovalRequest, TriageRequest, openapi, triage_answer
from .limits import MAX_BODY, SourceLimits
from .metrics import CONTENT_TYPE, ServeMetrics
from .queue import DeliveryQueue

BODY_DEADLINE = 5.0  # seconds a request's body may take to arrive
READY_CHECK_TTL = 15.0  # seconds a readiness verdict (the health checks) is reused
# Seconds ``/readyz`` (and the ``ticketbot_ready`` gauge) waits for the health checks: a
# helpdesk failing every request keeps the checks retrying for seconds (5 to 6 on the sandboxes).
# The checks go on behind; their verdict answers the next probe.
READY_TIMEOUT = 2.0

Emit = Callable[..., object]
Tell = Callable[[str], None]

# Refusals said on the terminal, at most this many a minute: a flood of forged deliveries must
# not bury the terminal (every refusal is still logged and counted).
TOLD_REFUSALS_PER_MINUTE = 20


@dataclass
class Readiness:
    """Whether the server can work: the models loaded, and the health checks' verdict."""

    status: str = "loading"  # loading | ready | failed
    reason: str = "loading the models"
    checks: Callable[[], dict[str, Any]] | None = None  # the health checks, as JSON
    timeout: float = READY_TIMEOUT
    _verdict: tuple[float, dict[str, Any]] | None = field(default=None, repr=False)
    _pending: Future[dict[str, Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def verdict(self, now: float) -> dict[str, Any] | None:
        """The health checks' verdict, reused for ``READY_CHECK_TTL`` seconds; checks that
        take longer than ``timeout`` are judged unhealthy now (they go on, for the next)."""
        checks = self.checks
        if checks is None:
            return None
        with self._lock:
            if self._verdict is not None and now - self._verdict[0] <= READY_CHECK_TTL:
                return self._verdict[1]
            pending = self._pending
            if pending is None:
                pending = self._pending = Future()
                threading.Thread(
                    target=_check, args=(checks, pending), name="serve-ready", daemon=True
                ).start()
        try:
            found = pending.result(timeout=self.timeout)
        except FutureTimeout:
            return {
                "status": "unhealthy",
                "checks": [
                    {
                        "name": "health checks",
                        "status": "unhealthy",
                        "reason": f"no verdict within {self.timeout:g} s (a helpdesk or an "
                        "LLM endpoint that does not answer?)",
                    }
                ],
            }
        with self._lock:
            if self._pending is pending:
                self._pending = None
                self._verdict = (now, found)
        return found


def _check(checks: Callable[[], dict[str, Any]], into: Future[dict[str, Any]]) -> None:
    try:
        into.set_result(checks())
    except Exception as exc:  # noqa: BLE001 - a check that breaks is a verdict, not a 500
        failed = {"name": "health checks", "status": "unhealthy", "reason": type(exc).__name__}
        into.set_result({"status": "unhealthy", "checks": [failed]})


@dataclass
class ServeState:
    """What the handlers share: set up by the server before the first request."""

    queue: DeliveryQueue
    metrics: ServeMetrics
    limits: SourceLimits
    emit: Emit
    secret: str | None
    token: str | None
    readiness: Readiness = field(default_factory=Readiness)
    served: ServedTriage | None = None
    helpdesk: str | None = None  # this installation's kind: its route alone takes deliveries
    # An agent's approval of a proposed change (``actions``): (ticket, action, approver) -> the
    # status the change had (None: no such proposal); None: no actions configured.
    approve: Callable[[int, str, str], str | None] | None = None
    tell: Tell = field(default=lambda line: None, repr=False)  # a line on the terminal
    _told: list[float] = field(default_factory=list, repr=False)  # when refusals were said
    _untold: int = field(default=0, repr=False)

    def tell_refused(self, line: str, now: float) -> None:
        """One line on the terminal per refused delivery, at most
        ``TOLD_REFUSALS_PER_MINUTE`` a minute; how many went unsaid is said with the next."""
        self._told[:] = [t for t in self._told if now - t < 60]
        if len(self._told) >= TOLD_REFUSALS_PER_MINUTE:
            self._untold += 1
            return
        if self._untold:
            line += f" ({self._untold} more refused before this, in the log)"
            self._untold = 0
        self._told.append(now)
        self.tell(line)


def _state(request: Request) -> ServeState:
    state: ServeState = request.app.state.serve
    return state


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


async def read_body(request: Request, cap: int) -> bytes:
    """The body, at most ``cap`` bytes, within ``BODY_DEADLINE`` seconds; ``Refused`` if not."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise Refused(400, "malformed", "Content-Length is not a number")
        if int(declared) > cap:
            raise Refused(413, "oversized", f"body of {declared} bytes, over {cap}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(BODY_DEADLINE):
            async for chunk in request.stream():
                size += len(chunk)
                if size > cap:
                    raise Refused(413, "oversized", f"body over {cap} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise Refused(408, "slow", f"body not sent within {BODY_DEADLINE:.0f} s") from None
    return b"".join(chunks)


def _refuse(state: ServeState, source: str, refused: Refused, request: Request) -> JSONResponse:
    state.metrics.refused.labels(source, refused.reason).inc()
    if source != "api":
        state.metrics.received.labels(source, "refused").inc()
    client = request.client.host if request.client else None
    state.emit(
        "delivery_refused" if source != "api" else "api_refused",
        level="warning",
        webhook=source,
        status=refused.status,
        reason=refused.reason,
        detail=refused.detail,
        client=client,
    )
    if source != "api":
        state.tell_refused(
            f"serve: refused a delivery to /webhooks/{source} from {client or 'unknown'}: "
            f"{refused.status} {refused.detail}",
            time.monotonic(),
        )
    headers = {"WWW-Authenticate": "Bearer"} if source == "api" and refused.status == 401 else {}
    return _error(refused.status, refused.detail, headers)


def other_helpdesk(source: str, installed: str | None) -> Refused | None:
    """A delivery to another helpdesk's route: refused by naming this installation's (its
    signature check would only say that the other helpdesk's header is missing)."""
    if installed is None or source == installed:
        return None
    label = KINDS[installed].label if installed in KINDS else installed
    other = KINDS[source].label if source in KINDS else source
    return Refused(
        404,
        "wrong_helpdesk",
        f"this installation's helpdesk is {label}, not {other}: point the webhook at "
        f"/webhooks/{installed}",
    )


async def _webhook(request: Request, source: str, receiver: WebhookReceiver) -> Response:
    state = _state(request)
    try:
        wrong = other_helpdesk(source, state.helpdesk)
        if wrong is not None:
            raise wrong
        if state.secret is None:
            raise Refused(503, "not_configured", "TICKETBOT_SERVE_SECRET is not set")
        # The body is bounded (MAX_BODY, BODY_DEADLINE) and the signature checked before the
        # source's rate is spent: an unsigned flood must not spend what genuine deliveries need.
        body = await read_body(request, MAX_BODY)
        delivery = receiver.verify(request.headers, body, secret=state.secret, now=time.time())
    except Refused as refused:
        return _refuse(state, source, refused, request)
    wait = state.limits.take(source)
    if wait is not None:
        state.metrics.refused.labels(source, "rate_limited").inc()
        state.metrics.received.labels(source, "refused").inc()
        state.tell_refused(
            f"serve: refused a delivery to /webhooks/{source}: 429 rate limited (the helpdesk "
            f"may send it again after {int(wait)} s)",
            time.monotonic(),
        )
        return _error(429, "rate limited", {"Retry-After": str(int(wait))})
    try:
        stored = await run_in_threadpool(state.queue.store, delivery)
    except Exception as exc:  # noqa: BLE001 - not stored: the helpdesk must send it again
        state.emit(
            "delivery_not_stored",
            level="error",
            webhook=source,
            ticket_id=delivery.ticket_id,
            error_type=type(exc).__name__,
            error=str(exc)[:300],
        )
        state.metrics.received.labels(source, "not_stored").inc()
        return _error(503, "the delivery could not be stored; send it again")
    state.metrics.received.labels(source, "accepted").inc()
    if not stored:
        state.metrics.duplicates.labels(source).inc()
    state.emit(
        "delivery_stored",
        webhook=source,
        ticket_id=delivery.ticket_id,
        delivery_event=delivery.event,
        duplicate=not stored,
    )
    return JSONResponse({"accepted": True, "duplicate": not stored})


def webhook_routes() -> list[Route]:
    """``/webhooks/<kind>`` for each registered kind that takes webhooks (``receiver``)."""
    routes = []
    for kind in KINDS.values():
        receiver = kind.webhook_receiver()
        if receiver is not None:
            routes.append(
                Route(f"/webhooks/{kind.name}", _endpoint(kind.name, receiver), methods=["POST"])
            )
    return routes


def _endpoint(source: str, receiver: WebhookReceiver) -> Callable[[Request], Awaitable[Response]]:
    async def webhook(request: Request) -> Response:
        return await _webhook(request, source, receiver)

    return webhook


async def triage(request: Request) -> Response:
    state = _state(request)
    response = await _triage(request, state)
    state.metrics.api.labels(str(response.status_code)).inc()
    return response


async def _triage(request: Request, state: ServeState) -> Response:
    try:
        if state.token is None:
            raise Refused(503, "not_configured", "TICKETBOT_SERVE_TOKEN is not set")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            raise Refused(401, "unauthorized", "a bearer token (TICKETBOT_SERVE_TOKEN) is needed")
        if not hmac.compare_digest(given.strip().encode(), state.token.encode()):
            # Said apart from a missing one: a caller who sent a token looks for a typo, not
            # for the header (the token itself is never echoed).
            raise Refused(401, "unauthorized", "the bearer token is not TICKETBOT_SERVE_TOKEN")
        # Only calls with the token spend the API's rate: the header is checked first.
        wait = state.limits.take("api")
        if wait is not None:
            state.metrics.refused.labels("api", "rate_limited").inc()
            return _error(429, "rate limited", {"Retry-After": str(int(wait))})
        body = await read_body(request, MAX_API_BODY)
        try:
            asked = TriageRequest.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise Refused(400, "malformed", _shape_error(exc)) from None
    except Refused as refused:
        return _refuse(state, "api", refused, request)
    served = state.served
    if served is None:
        return _error(503, f"not ready: {state.readiness.reason}", {"Retry-After": "5"})
    try:
        found = await run_in_threadpool(served.analyse, asked.subject, asked.description)
    except Exception as exc:  # noqa: BLE001 - one line in the log, never a traceback with text
        state.emit("api_failed", level="error", error_type=type(exc).__name__)
        return _error(500, "the analysis failed; see the server's log")
    answer = triage_answer(found, asked.language)
    return JSONResponse(answer.model_dump(mode="json"))


async def approve_action(request: Request) -> Response:
    """``POST /api/v1/actions/approve``: an agent approves a proposed change (behind the
    token); the next run carries it out, as it does a tag's approval."""
    state = _state(request)
    try:
        if state.token is None:  # as the triage API: no token could be right, so none is asked
            raise Refused(503, "not_configured", "TICKETBOT_SERVE_TOKEN is not set")
        if not _token_given(request, state):
            raise Refused(401, "unauthorized", "a bearer token (TICKETBOT_SERVE_TOKEN) is needed")
        body = await read_body(request, MAX_API_BODY)
        try:
            asked = ApprovalRequest.model_validate(orjson.loads(body))
        except (orjson.JSONDecodeError, ValidationError) as exc:
            raise Refused(400, "malformed", _shape_error(exc)) from None
    except Refused as refused:
        return _refuse(state, "api", refused, request)
    if state.approve is None:
        return _error(404, "no actions are configured (TICKETBOT_ACTIONS)")
    approver = asked.approver
    found = await run_in_threadpool(state.approve, asked.ticket_id, asked.action, approver)
    if found is None:
        return _error(404, f"ticket {asked.ticket_id} has no proposed {asked.action}")
    if found != "proposed":
        return _error(409, f"the change is {found}, not waiting for an approval")
    state.emit("action_approved", ticket_id=asked.ticket_id, action=asked.action, approver=approver)
    said = {"ticket_id": asked.ticket_id, "action": asked.action, "status": "approved"}
    return JSONResponse(said, status_code=202)


def _shape_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "body"
        return f"{where}: {first.get('msg', 'invalid')}"
    return "the body is not JSON"


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "alive"})


UNCONFIGURED = (
    "neither TICKETBOT_SERVE_SECRET nor TICKETBOT_SERVE_TOKEN is set: every webhook delivery and "
    "API call is refused (503); set them and restart serve"
)


def judge_readiness(state: ServeState) -> tuple[bool, dict[str, Any]]:
    """The one readiness judgement: ``/readyz``'s answer and the ``ticketbot_ready`` gauge.
    Blocks at most the readiness timeout (the health checks); call it off the event loop."""
    readiness = state.readiness
    if state.secret is None and state.token is None:
        # Ready to serve nothing is not ready: a load balancer would send traffic to be refused.
        return False, {"ready": False, "status": "not_configured", "reason": UNCONFIGURED}
    if readiness.status != "ready":
        return False, {"ready": False, "status": readiness.status, "reason": readiness.reason}
    verdict = readiness.verdict(time.monotonic())
    health = verdict or {"status": "healthy", "checks": []}
    ready = health.get("status") != "unhealthy"
    body: dict[str, Any] = {
        "ready": ready,
        "status": "ready" if ready else "unhealthy",
        "health": health,
    }
    # A stalled escalation channel is said, not judged: the triage goes on without it (its
    # deliveries wait in the outbox), and a load balancer must keep sending the deliveries.
    served = state.served
    stalled = served.escalations.stalled() if served is not None else {}
    if stalled:
        body["escalation_channels"] = {"stalled": stalled}
    return ready, body


# The reasons a readiness verdict may give anyone: serve's own sentences, which name no person,
# address or path (a load failure's reason, or a health check's, may name all three).
_PLAIN_STATUSES = ("loading", "not_configured")
DETAIL_HINT = (
    "the checks are in the answer with the API's token (Authorization: Bearer "
    "TICKETBOT_SERVE_TOKEN), or run `ticketbot health` on this host"
)


def bare_readiness(body: dict[str, Any]) -> dict[str, Any]:
    """What ``/readyz`` tells a caller without the token: ready or not, and where to look."""
    bare: dict[str, Any] = {"ready": body["ready"], "status": body["status"]}
    if body["status"] in _PLAIN_STATUSES:
        bare["reason"] = body["reason"]
    elif not body["ready"]:
        bare["reason"] = DETAIL_HINT
    return bare


def _token_given(request: Request, state: ServeState) -> bool:
    """Whether the request carries the API's token; ``Refused`` when it carries another (a
    monitor configured with a typo'd token hears so rather than getting less)."""
    given = request.headers.get("authorization")
    if given is None:
        return False
    scheme, _, value = given.partition(" ")
    if (
        state.token is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(value.strip().encode(), state.token.encode())
    ):
        raise Refused(401, "unauthorized", "the bearer token is not TICKETBOT_SERVE_TOKEN")
    return True


async def readyz(request: Request) -> Response:
    state = _state(request)
    try:
        detailed = _token_given(request, state)
    except Refused as refused:
        return _refuse(state, "api", refused, request)
    ready, body = await run_in_threadpool(judge_readiness, state)
    return JSONResponse(
        body if detailed else bare_readiness(body), status_code=200 if ready else 503
    )


async def metrics(request: Request) -> Response:
    body = await run_in_threadpool(_state(request).metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE)


async def openapi_json(request: Request) -> Response:
    return JSONResponse(openapi())


def build_app(
    state: ServeState,
    lifespan: Callable[[Starlette], AbstractAsyncContextManager[None]] | None = None,
) -> Starlette:
    app = Starlette(
        routes=[
            *webhook_routes(),
            Route("/api/v1/triage", triage, methods=["POST"]),
            Route("/api/v1/actions/approve", approve_action, methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics, methods=["GET"]),
            Route("/openapi.json", openapi_json, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.serve = state
    # The gauge says what ``/readyz`` says, judged the same way when it is scraped.
    state.metrics.ready.set_function(lambda: 1.0 if judge_readiness(state)[0] else 0.0)
    return app
