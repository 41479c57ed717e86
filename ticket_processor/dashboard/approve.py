"""The ticket page's approval of a proposed change (``actions``): an agent signed in to the
dashboard presses Approve beside a proposal; the change becomes approved, and the next run makes
it, as it does an approval by tag. A write like the review queue's: signed in, with the page's
CSRF token, from the dashboard's own origin; the approver is who signed in."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, quote_plus

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from .access import Access, Identity, same_origin

MAX_APPROVAL_BYTES = 4 * 1024
_ACTION = re.compile(r"^[a-z][a-z0-9_]{0,47}$")

# (ticket, action, approver) -> the status the change had (None: no such proposal).
Approve = Callable[[int, str, str], str | None]


async def _form(request: Request) -> dict[str, str] | None:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_APPROVAL_BYTES:
            return None
    return dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


def approve_endpoint(
    approve: Approve | None, access: Access, identity_of: Callable[[Request], Identity]
) -> Callable[[Request], Awaitable[Response]]:
    """``POST /tickets/{id}/approve`` (form: ``csrf``, ``action``)."""

    async def post(request: Request) -> Response:
        if approve is None:
            return PlainTextResponse("no actions are configured", status_code=404)
        who = identity_of(request)
        form = await _form(request)
        if form is None:
            return PlainTextResponse("the form is too large", status_code=413)
        if not who.signed_in or not access.csrf_ok(who, form.get("csrf", "")):
            return PlainTextResponse("refused: missing or wrong CSRF token", status_code=403)
        if not same_origin(request.headers, who):
            return PlainTextResponse("refused: the request comes from another origin", 403)
        ticket_id, action = int(request.path_params["ticket_id"]), form.get("action", "")
        if not _ACTION.fullmatch(action):
            return PlainTextResponse("refused: no such action", status_code=400)
        found = await run_in_threadpool(approve, ticket_id, action, who.name or who.kind)
        if found == "proposed":
            told, refused = f"{action} approved: the next run makes it", False
        elif found is None:
            told, refused = f"ticket {ticket_id} has no proposed {action}", True
        else:
            told, refused = f"{action} is {found}, not waiting for an approval", True
        target = f"{request.scope.get('root_path', '')}/tickets/{ticket_id}?done={quote_plus(told)}"
        return RedirectResponse(target + ("&refused=1" if refused else ""), status_code=303)

    return post


def approve_route(
    approve: Approve | None, access: Access, identity_of: Callable[[Request], Identity]
) -> Route:
    return Route(
        "/tickets/{ticket_id:int}/approve",
        approve_endpoint(approve, access, identity_of),
        methods=["POST"],
    )
