"""Freshdesk on the wire: its auth, status table, error bodies, headers and ``Link`` paging.

Everything else (session, retries, pacing, the whole-call deadline, "outcome unknown" for
writes) is the shared ``helpdesks.transport.HelpdeskTransport``; ``FreshdeskTransport`` only
fills in what is Freshdesk's. Auth is HTTP basic with the API key as user name (the password is
ignored: we send ``X``); the key lives in the session's auth only, and any server text we quote
has it masked. Lists are bare JSON arrays; the next page is the ``Link: <…>; rel="next"``
header.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from requests.utils import parse_header_links

from ...errors import (
    AuthError,
    ConflictError,
    HelpdeskError,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
)
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ..transport import HelpdeskTransport
from ..wire import HelpdeskResponse, StatusRule, Wire, names_a_record
from ..write_budget import HelpdeskWriteBudget


def freshdesk_base_url(domain: str) -> str:
    """``acme`` or ``acme.freshdesk.com`` (or a full URL) as ``https://acme.freshdesk.com``."""
    value = domain.strip().rstrip("/")
    if "://" in value:
        return value
    if "." not in value:
        value = f"{value}.freshdesk.com"
    return f"https://{value}"


def describe(body: Any) -> str:
    """Freshdesk's error body in one line: code, description, message, the first field errors."""
    if not isinstance(body, dict) or not body:
        return "no error description"
    parts = [str(body[k]) for k in ("code", "description", "message") if body.get(k)]
    errors = body.get("errors")
    if isinstance(errors, list):
        for item in errors[:5]:
            if isinstance(item, dict):
                parts.append(f"{item.get('field')}: {item.get('message')} ({item.get('code')})")
    return "; ".join(parts) if parts else "no error description"


def details(body: Any) -> dict[str, object] | None:
    """A refused record's ``errors`` list (field, message, code), as ``{"errors": [...]}``."""
    errors = body.get("errors") if isinstance(body, dict) else None
    return {"errors": errors} if isinstance(errors, list) else {}


def own_answer(where: str, body: Any) -> bool:
    """Whether an error answer can be Freshdesk's: its errors are JSON with ``code``,
    ``description``, ``message`` or ``errors``, but a missing record is a 404 with no body at
    all; so a 404 without Freshdesk's words is Freshdesk's only on a path that names a record.
    On any other (the groups, the ticket list) another server at the address answered."""
    if isinstance(body, Mapping) and any(
        key in body for key in ("code", "description", "message", "errors")
    ):
        return True
    return names_a_record(where)


URL_SETTINGS = "FRESHDESK_URL / FRESHDESK_DOMAIN"
# What a server that is not Freshdesk's API makes of a request: where to fix the address.
NOT_FRESHDESK = (
    "{host} is not Freshdesk's API: it answered {where} with {status} and no Freshdesk error; "
    f"check {URL_SETTINGS} (a Freshdesk account's API is at https://DOMAIN.freshdesk.com)"
)


def _answer(answer: HelpdeskResponse, where: str) -> HelpdeskResponse:
    """Freshdesk's answers are read with their headers (paging, sandbox): kept whole."""
    return answer


# Freshdesk's documented ticket updates a minute per plan, keyed by the plan's credits a minute
# for the whole account (``X-RateLimit-Total``): Trial, Growth, Pro, Enterprise. Notes count
# against the budget too (ticketbot writes a note and an update per ticket).
UPDATES_BY_TOTAL = {50: 50, 200: 80, 400: 160, 700: 280}


def write_limit(announced: int | None) -> int:
    """The plan's update limit for the account total it announces (before any answer: the
    smallest plan's); a total between plans gets the smaller plan's."""
    if not announced:
        return min(UPDATES_BY_TOTAL.values())
    fitting = [updates for total, updates in UPDATES_BY_TOTAL.items() if total <= announced]
    return max(fitting) if fitting else announced


WIRE: Wire[HelpdeskResponse] = Wire(
    name="Freshdesk",
    url_settings=URL_SETTINGS,
    statuses={
        400: StatusRule(RecordInvalidError, "Freshdesk refused {where} (400: {detail})"),
        401: StatusRule(AuthError, "Freshdesk rejected the API key (401): check FRESHDESK_API_KEY"),
        403: StatusRule(
            AuthError,
            "Freshdesk refused {where} (403: {detail}): the agent behind "
            "FRESHDESK_API_KEY lacks a permission this needs",
        ),
        404: StatusRule(
            NotFoundError,
            "Freshdesk at {host} found nothing at {where} (404)",
            foreign=NOT_FRESHDESK,
        ),
        409: StatusRule(ConflictError, "Freshdesk refused {where} (409: {detail})"),
        422: StatusRule(RecordInvalidError, "Freshdesk refused {where} (422: {detail})"),
        # Freshdesk implements every method it documents: a 501 is another server's, and not
        # a server error to wait out (the same request meets the same server).
        501: StatusRule(HelpdeskError, NOT_FRESHDESK),
    },
    describe=describe,
    details=details,
    shape=_answer,
    rate_limit_headers=("X-RateLimit-Total", "X-RateLimit-Remaining"),
    write_limit=write_limit,
    own_answer=own_answer,
)


class FreshdeskTransport(HelpdeskTransport[HelpdeskResponse]):
    """The shared transport with Freshdesk's auth and wire; ``request`` returns body + headers."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str,
        timeout: tuple[float, float] = (5.0, 30.0),
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
        deadline: float | None = None,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is empty: set FRESHDESK_API_KEY")
        super().__init__(
            base_url,
            WIRE,
            auth=(api_key, "X"),
            secrets=(api_key,),
            timeout=timeout,
            deadline=deadline,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
            max_bytes=max_bytes,
            write_budget=write_budget,
        )

    def next_page(self, headers: Mapping[str, str]) -> str | None:
        """The path and query of the ``rel="next"`` link, if it points at our Freshdesk."""
        links = parse_header_links(headers.get("Link", "")) if headers.get("Link") else []
        url = next((link.get("url") for link in links if link.get("rel") == "next"), None)
        return self.local_path(url)

    def pages(self, path: str, params: Mapping[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page of a list endpoint (a bare JSON array), following ``Link`` to the end."""
        answer = self.request("GET", path, params=params)
        while True:
            if not isinstance(answer.body, list):
                raise HelpdeskServerError(
                    f"Freshdesk answered GET {path} with something that is not a list",
                    status_code=200,
                    request_id=WIRE.request_id(answer.headers),
                )
            yield answer.body
            following = self.next_page(answer.headers)
            if following is None:
                return
            answer = self.request("GET", following)  # the link carries the parameters
