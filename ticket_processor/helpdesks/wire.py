"""What one helpdesk's HTTP looks like to the shared transport (``transport.py``), and how an
answer is read: the ``Wire`` each kind fills (``helpdesks/<kind>/wire.py``), the successful
answer it shapes, the status table that words its errors, and the header and body readers
every answer goes through. No I/O of its own.
"""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, Generic, NamedTuple, TypeVar

import requests

from ..errors import HelpdeskError

T = TypeVar("T")

# A helpdesk whose wire documents no write limit: its announced request limit, else this.
WRITES_UNKNOWN = 50
# ticketbot's own sandboxes say so; ``seed`` writes samples only there without --yes.
SANDBOX_HEADER = "X-Ticketbot-Sandbox"


class HelpdeskResponse(NamedTuple):
    """A successful answer: the JSON body (a dict, a list, or None when empty) and headers."""

    body: Any
    headers: Mapping[str, str]
    status_code: int = 200

    @property
    def sandbox(self) -> str | None:
        """``zendesk`` / ``freshdesk`` when a ticketbot sandbox answered, else None."""
        return self.headers.get(SANDBOX_HEADER)


@dataclass(frozen=True)
class StatusRule:
    """What one status becomes: the error class and its message.

    ``message`` is a ``str.format`` template with ``{where}`` (``GET /api/v2/...``),
    ``{status}``, ``{detail}`` (the error body in one line, credentials masked) and ``{host}``
    (the base URL the request went to, credentials masked).
    """

    error: type[HelpdeskError]
    message: str
    # The message when the answer is not the helpdesk's own (``Wire.own_answer``): a server at
    # a wrong address (another web app, a proxy) answered; ``{host}`` names it. None: the
    # status is worded one way.
    foreign: str | None = None


# Status -> rule for the statuses a helpdesk words its own way. 429 (rate limit, its
# ``Retry-After`` handed to the throttle), 5xx and any other status are the same everywhere
# and handled by the transport.
StatusTable = Mapping[int, StatusRule]


@dataclass(frozen=True)
class Wire(Generic[T]):
    """What one helpdesk's HTTP looks like, beyond auth and base URL; ``T``: a good answer."""

    name: str  # in messages: "Zendesk"
    url_settings: str  # where the address is configured: "ZENDESK_URL / ZENDESK_SUBDOMAIN"
    statuses: StatusTable
    describe: Callable[[Any], str]  # an error body in one line (masked by the transport)
    details: Callable[[Any], dict[str, object] | None]  # a refused record's field reasons
    shape: Callable[[HelpdeskResponse, str], T]  # a good answer as the adapter reads it
    rate_limit_headers: tuple[str, str]  # (limit, remaining) per window
    request_id_headers: tuple[str, ...] = ("X-Request-Id",)
    # The account's write requests a minute, as documented, from the request limit its answers
    # announce (None before the first): what the shared write budget keeps every process to.
    write_limit: Callable[[int | None], int] = lambda announced: announced or WRITES_UNKNOWN
    # Whether an error answer (the request's ``where``, its JSON body) can be the helpdesk's
    # own; when not, a rule's ``foreign`` message says so, naming the address and its setting.
    own_answer: Callable[[str, Any], bool] = lambda where, body: True

    def request_id(self, headers: Mapping[str, str]) -> str | None:
        return next((headers[h] for h in self.request_id_headers if headers.get(h)), None)


def names_a_record(where: str) -> bool:
    """Whether ``where`` (``GET /api/v2/tickets/5.json``) asks for one record by its id: a 404
    there may be the helpdesk saying the record is gone, whatever its body. A path that names
    none (a list, ``groups.json``, the export) is one the helpdesk's API always has."""
    path = where.partition(" ")[2].partition("?")[0]
    return any(part.split(".")[0].isdigit() for part in path.split("/"))


def retry_after_seconds(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds: helpdesks send an integer, HTTP also allows a date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now())


def int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(float(headers[name]))  # a decimal such as "50.0" still paces
    except (KeyError, ValueError):
        return None


def decode_json(response: requests.Response) -> Any:
    """A JSON answer's body, decoded as ``Response.json()`` does but holding the answer once:
    its bytes are let go as soon as they are text (a 1,000-ticket export page is megabytes,
    and was held as bytes, as text and decoded at once). ``ValueError`` when it is not JSON."""
    content = response.content
    declared = (response.encoding or "utf-8").lower().replace("_", "-")
    if declared not in ("utf-8", "utf8") or content[:3] == codecs.BOM_UTF8:
        return response.json()  # another charset, or a BOM: requests' own reading
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return response.json()  # UTF-16 or -32: requests guesses which
    del content
    response._content = None
    return json.loads(text)


def json_body(response: requests.Response) -> Any:
    """An error answer's JSON body, or ``{}`` when it has none (a proxy's HTML page)."""
    try:
        return response.json() if response.content else {}
    except ValueError:
        return {}
