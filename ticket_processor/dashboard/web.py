"""The dashboard as a Starlette app: its routes, its guard, its pages.

``build_app`` returns an ASGI app that ``ticketbot dashboard`` serves and ``serve`` may mount.
Nothing slow happens before the first request: the store is opened then (``LazyStore``), in a
worker thread, and every query runs in one too. Pages are rendered on the server from the
package's templates with autoescaping on, so a ticket's subject is always text; the only links
built from data are the helpdesk's ticket links, and only when they are http(s).

Routes: ``/`` the overview (``?partial=1``: its body, which the page's script fetches to refresh
itself), ``/tickets`` the list, ``/tickets/{id}`` a ticket (POST ``…/ratings``: an agent's
rating, ``rating``), ``/review`` the queue (GET; POST accepts or corrects), ``/login`` and
``/logout``, ``/events`` the live updates (``live``), ``/static/…`` the CSS, script and icon,
``/healthz`` (no store, no sign-in: for a load balancer).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlsplit

import jinja2
import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..audit import overview as audit_overview
from ..audit import queries as audit_queries
from ..audit.overview import Overview
from ..audit.store import AuditStore, AuditStoreError
from ..errors import TicketBotError
from . import charts, pending, queries
from .access import SESSION_COOKIE, SESSION_SECONDS, Access, Identity, same_origin
from .approve import Approve, approve_route
from .filters import DECISIONS, MAX_TICKET_ID, SORTS, ListQuery
from .forms import read_form, root_of
from .from_helpdesk import BUSY, HelpdeskRead, SummaryShown, shown_of
from .kept_reads import KeptReads
from .live import LiveFeed
from .qa_view import ConversationRead, QaView
from .rating import RatingDesk, rate_targets, ticket_ratings
from .review import Refusal, ReviewDesk
from .signals import Signals, run_outcomes
from .sla_clocks import ticket_clocks
from .spam import GateWork, gate_work

HERE = Path(__file__).parent
# Browsers get nothing from elsewhere and run nothing inline: the shipped files only.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}
REFRESH_SECONDS = 30


class LazyStore:
    """The audit store, opened (and upgraded) on first use, in a worker thread, once."""

    def __init__(self, open_store: Callable[[], AuditStore]) -> None:
        self._open = open_store
        self._store: AuditStore | None = None
        self._lock = threading.Lock()

    def get(self) -> AuditStore:
        """The store, opened anew when a run set its file aside and made a new one there (the
        pool's connections would go on reading and writing the file set aside)."""
        with self._lock:
            if self._store is not None and self._store.replaced():
                self._store.close()
                self._store = None
            if self._store is None:
                self._store = self._open()
            return self._store

    def read(self, work: Callable[[sa.Connection, str], Any]) -> Any:
        """``work(connection, account)`` on a connection of the store, read-only. A store that
        fails under the read (its file damaged, or replaced by a run that set a damaged one
        aside; the database gone) is closed and the page says it is out of reach: the next
        request opens it again, so the dashboard comes back with the store, no restart."""
        store = self.get()
        try:
            with store.engine.connect() as conn:
                return work(conn, store.account)
        except AuditStoreError:  # its file damaged (the engine says so, with what to do)
            self._forget(store)
            raise
        except sa.exc.DBAPIError as exc:
            self._forget(store)
            said = str(exc.orig).strip().splitlines() or [type(exc.orig).__name__]
            raise AuditStoreError(
                f"the audit store {store.where} could not be read: {said[0]}"
            ) from None

    def _forget(self, store: AuditStore) -> None:
        with self._lock:
            if self._store is store:
                self._store = None
        store.close()

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


@dataclass
class DashboardConfig:
    """What the app is handed: no settings, only values (the command builds them)."""

    open_store: Callable[[], AuditStore]
    access: Access
    review: ReviewDesk | None = None
    # The ticket's internal notes and its running summary field's value as the helpdesk holds
    # them, one read (None: not shown).
    helpdesk: HelpdeskRead | None = None
    # Whether a summary field is configured here (TICKETBOT_SUMMARY_FIELD): the page shows it.
    summary_field: bool = False
    # The open incidents and the categories rising today, read at each overview (None: none).
    signals: Callable[[datetime], Signals] | None = None
    # The runs' tag prefix (TICKETBOT_TAG_PREFIX): the overview finds the spam gate's verdicts
    # by their tags.
    tag_prefix: str = "ai_"
    title: str = "ticketbot"
    live_clients: int = 200  # pages listening at /events at once (``live``)
    # The taxonomy's categories: a "wrong category" rating may name the right one.
    categories: tuple[str, ...] = ()
    approve: Approve | None = None  # an agent's approval of a proposed change (``actions``)
    qa: ConversationRead | None = None  # a solved ticket's QA section (None: off)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # every value is escaped unless a template says otherwise
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = lambda m: f"{m:%Y-%m-%d %H:%M}" if m else "–"
    env.filters["pct"] = lambda v: "–" if v is None else f"{v:.0%}"
    env.filters["conf"] = lambda v: "–" if v is None else f"{v:.2f}"
    env.filters["safe_url"] = _safe_url
    return env


def _safe_url(url: object) -> str | None:
    """A link from data only when it is http(s): ``javascript:`` and the like stay text."""
    if not isinstance(url, str):
        return None
    return url if urlsplit(url.strip()).scheme in ("http", "https") else None


class Guard:
    """ASGI middleware: security headers on every answer; the sign-in and ``Host`` rules."""

    OPEN = ("/login", "/static/", "/healthz")

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        request = Request(scope)
        root = scope.get("root_path", "")
        path = scope["path"]
        path = path[len(root) :] if root and path.startswith(root) else path
        if not self.access.host_ok(request.headers.get("host", "")):
            await PlainTextResponse("unknown host", status_code=421)(scope, receive, with_headers)
            return
        identity = self.access.identify(request.headers, request.cookies)
        if identity is None and not path.startswith(self.OPEN):
            if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
                response: Response = RedirectResponse(root + "/login", status_code=303)
            else:
                response = PlainTextResponse(
                    "sign in: Authorization: Bearer <TICKETBOT_DASHBOARD_TOKEN>",
                    status_code=401,
                    headers={"www-authenticate": "Bearer"},
                )
            await response(scope, receive, with_headers)
            return
        scope.setdefault("state", {})["identity"] = identity
        await self.app(scope, receive, with_headers)


class _Pages:
    """The dashboard's pages over one store, each a handler the routes name."""

    def __init__(self, config: DashboardConfig) -> None:
        self.config = config
        self.store = LazyStore(config.open_store)
        self.env = _templates()
        self.access = config.access
        self.live = LiveFeed(self.store.read, max_clients=config.live_clients)
        self.rating = RatingDesk(self.store, self.access, config.categories)
        self.qa = QaView(config.qa)
        # What a ticket's page shows of the helpdesk, read at most once a minute per ticket.
        self.helpdesk_view = KeptReads(
            lambda ticket_id: shown_of(config.helpdesk, config.summary_field, ticket_id),
            over_budget=(
                None  # nothing read from a helpdesk: nothing to spare
                if config.helpdesk is None
                else lambda ticket_id: (
                    ([], BUSY),
                    SummaryShown(error=BUSY) if config.summary_field else None,
                )
            ),
        )

    def identity_of(self, request: Request) -> Identity:
        found = request.scope.get("state", {}).get("identity")
        return found if isinstance(found, Identity) else Identity("anonymous", "")

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        who = self.identity_of(request)
        html = self.env.get_template(template).render(
            title=self.config.title,
            review_on=self.config.review is not None,
            signed_in=who.signed_in,
            can_sign_out=who.kind == "session",
            csrf=self.access.csrf_token(who),
            approve_on=self.config.approve is not None,
            path=_route_path(request),
            base=request.scope.get("root_path", ""),
            refresh=REFRESH_SECONDS,
            **context,
        )
        return HTMLResponse(html, status_code=status)

    async def overview(self, request: Request) -> Response:
        now = self.config.now()

        def read(conn: sa.Connection, account: str) -> tuple[Overview, int, GateWork]:
            since = now - timedelta(hours=charts.OVERVIEW_HOURS)
            return (
                audit_overview.overview(conn, account, since=since),
                pending.waiting_count(conn, account=account),
                gate_work(conn, account, since=since, prefix=self.config.tag_prefix),
            )

        figures, waiting, spam = await run_in_threadpool(self.store.read, read)
        found = (
            Signals()
            if self.config.signals is None
            else await run_in_threadpool(self.config.signals, now)
        )
        ends = [
            (r.run_id, r.started_at, r.mode == "serve") for r in figures.last_runs if not r.status
        ]
        context = {
            "o": figures,
            "waiting": waiting,
            "signals": found,
            "ends": run_outcomes(ends, found.holders),
            "spam": spam,
            "hours_chart": charts.hours_chart(charts.hours(figures, now=now)),
            "agreement_chart": charts.agreement_chart(figures.agreement),
            "calibration_chart": charts.calibration_chart(charts.calibration_points(figures)),
            "now": now,
        }
        if request.query_params.get("partial") == "1":
            return self.page(request, "overview_body.html", **context)
        return self.page(request, "overview.html", **context)

    async def ticket_list(self, request: Request) -> Response:
        query = ListQuery.parse(request.query_params)

        def read(
            conn: sa.Connection, account: str
        ) -> tuple[queries.TicketList, dict[str, list[str]]]:
            return (
                queries.ticket_list(conn, query, account=account),
                queries.filter_values(conn, account=account),
            )

        found, values = await run_in_threadpool(self.store.read, read)
        pages = max(1, -(-found.total // query.per_page))
        return self.page(
            request,
            "tickets.html",
            query=query,
            found=found,
            values=values,
            decisions=DECISIONS,
            sorts=list(SORTS),
            pages=pages,
        )

    async def ticket_page(self, request: Request) -> Response:
        ticket_id = int(request.path_params["ticket_id"])
        if ticket_id > MAX_TICKET_ID:  # no ticket has it, and the store's column cannot hold it
            return self.page(request, "missing.html", status=404, ticket_id=ticket_id)
        helpdesk = request.query_params.get("helpdesk") or None
        found, rated, clocks = await run_in_threadpool(
            self.store.read,
            lambda conn, account: (
                audit_queries.ticket_history(conn, account, ticket_id, helpdesk=helpdesk),
                ticket_ratings(conn, account, ticket_id, helpdesk),
                ticket_clocks(conn, account, ticket_id, helpdesk),
            ),
        )
        history = queries.ticket_page(found)
        if history is None:
            return self.page(request, "missing.html", status=404, ticket_id=ticket_id)
        waiting: list[pending.PendingSuggestion] = []
        if self.config.review is not None:
            latest = history.newest  # a decision a later one replaced cannot be reviewed
            done = {r.field for r in found.reviews if r.decision_id == latest["id"]}
            waiting = [
                s
                for name in pending.REVIEW_FIELDS
                if name not in done and (s := pending.pending_of(latest, name)) is not None
            ]
        (notes, notes_error), summary = await run_in_threadpool(self.helpdesk_view, ticket_id)
        qa = await run_in_threadpool(self.qa, ticket_id)
        return self.page(
            request,
            "ticket.html",
            notes=notes,
            notes_error=notes_error,
            summary=summary,
            qa=qa,
            message=request.query_params.get("done", "")[:300],
            refused=request.query_params.get("refused") == "1",
            h=history,
            pending=waiting,
            choices=self.config.review.choices if self.config.review else {},
            rate=rate_targets(history),
            ratings=rated,
            clocks=clocks,
            categories=self.config.categories,
        )

    async def review_queue(self, request: Request) -> Response:
        if self.config.review is None:
            return self.page(request, "missing.html", status=404, ticket_id=None)
        message = request.query_params.get("done", "")[:300]

        def read(conn: sa.Connection, account: str) -> tuple[list[Any], list[Any], int]:
            return (
                pending.review_queue(conn, account=account),
                pending.drafted_answers(conn, account=account),
                # The overview's "suggestions waiting": with no field to review here, they
                # are triages held back whole, which wait in the ticket list.
                pending.waiting_count(conn, account=account),
            )

        items, answers, waiting = await run_in_threadpool(self.store.read, read)
        return self.page(
            request,
            "review.html",
            items=items,
            answers=answers,
            waiting=waiting,
            choices=self.config.review.choices,
            message=message,
            refused=request.query_params.get("refused") == "1",
        )

    async def review_post(self, request: Request) -> Response:
        desk = self.config.review
        if desk is None:
            return PlainTextResponse("the review queue is off", status_code=404)
        who = self.identity_of(request)
        form = await read_form(request)
        if form is None:
            return PlainTextResponse("the form is too large", status_code=413)
        if not who.signed_in or not self.access.csrf_ok(who, form.get("csrf", [""])[0]):
            return PlainTextResponse("refused: missing or wrong CSRF token", status_code=403)
        if not same_origin(request.headers, who):
            return PlainTextResponse("refused: the request comes from another origin", 403)
        requests = desk.requests_from(form)
        if not requests:
            return RedirectResponse(root_of(request) + "/review?done=nothing+chosen", 303)
        results = await run_in_threadpool(desk.apply_all, self.store.get(), requests, who.name)
        self.helpdesk_view.forget()  # the page after it shows the notes just written
        told = "; ".join(results)[:300]
        back = form.get("back", ["/review"])[0]
        back = back if back.startswith("/") and not back.startswith("//") else "/review"
        target = (
            root_of(request) + back + ("&" if "?" in back else "?") + "done=" + quote_plus(told)
        )
        if any(isinstance(r, Refusal) for r in results):
            target += "&refused=1"  # shown as a failure, not in the box of a success
        return RedirectResponse(target, status_code=303)

    async def login(self, request: Request) -> Response:
        if request.method == "GET":
            return self.page(request, "login.html", error="", can_sign_in=self.access.can_sign_in)
        form = await read_form(request)
        given = (form or {}).get("token", [""])[0]
        if not self.access.token_matches(given):
            return self.page(
                request,
                "login.html",
                status=401,
                error="That token is not the dashboard's.",
                can_sign_in=self.access.can_sign_in,
            )
        response = RedirectResponse(root_of(request) + "/", status_code=303)
        response.set_cookie(
            SESSION_COOKIE,
            self.access.new_session(),
            max_age=SESSION_SECONDS,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
        return response

    async def logout(self, request: Request) -> Response:
        form = await read_form(request)
        who = self.identity_of(request)
        if not self.access.csrf_ok(who, (form or {}).get("csrf", [""])[0]):
            return PlainTextResponse("refused: missing or wrong CSRF token", status_code=403)
        response = RedirectResponse(root_of(request) + "/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def healthz(self, request: Request) -> Response:
        return PlainTextResponse("ok")


def build_app(config: DashboardConfig) -> Starlette:
    """The dashboard's ASGI app over the store ``config.open_engine`` opens (on first use)."""
    pages = _Pages(config)
    routes = [
        Route("/", pages.overview),
        Route("/tickets", pages.ticket_list),
        Route("/tickets/{ticket_id:int}", pages.ticket_page),
        Route("/tickets/{ticket_id:int}/ratings", pages.rating.post, methods=["POST"]),
        approve_route(config.approve, pages.access, pages.identity_of),
        Route("/review", pages.review_queue, methods=["GET"]),
        Route("/review", pages.review_post, methods=["POST"]),
        Route("/login", pages.login, methods=["GET", "POST"]),
        Route("/logout", pages.logout, methods=["POST"]),
        Route("/healthz", pages.healthz),
        Route("/events", pages.live.respond),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield  # nothing before listening: the store opens on the first request
        await pages.live.close()
        pages.store.close()

    async def unavailable(request: Request, exc: Exception) -> Response:
        # The store out of reach (its error names it, never its password): say so, no trace.
        return pages.page(request, "unavailable.html", status=503, reason=str(exc))

    app = Starlette(
        routes=routes, lifespan=lifespan, exception_handlers={TicketBotError: unavailable}
    )
    app.add_middleware(Guard, access=pages.access)
    return app


def _route_path(request: Request) -> str:
    root, path = root_of(request), request.url.path
    return path[len(root) :] if root and path.startswith(root) else path
