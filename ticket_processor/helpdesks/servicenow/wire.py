"""ServiceNow on the wire: its auth (basic, or OAuth 2's bearer tokens), status table, error
bodies and the Table API's list paging.

Everything else (session, retries, pacing, the whole-call deadline, "outcome unknown" for
writes) is the shared ``helpdesks.transport.HelpdeskTransport``; ``ServiceNowTransport`` only
fills in what is ServiceNow's. With an OAuth client the session's auth hook (``BearerAuth``)
asks ``/oauth_token.do`` for a token (client credentials without a user name, else the password
grant) and adds it to every request; a 401 (the token expired or was revoked) fetches a new
one once and sends the request again. The token request is a form post, which the shared
request path (JSON bodies) does not send: it is the one request made beside it, bounded by
the same timeouts, its errors translated here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests
import requests.auth

from ...errors import (
    AuthError,
    ConflictError,
    HelpdeskConnectionError,
    HelpdeskError,
    HelpdeskServerError,
    NotFoundError,
    RecordInvalidError,
)
from ...resilience.bounds import HELPDESK_MAX_BYTES
from ...resilience.pacing import RateLimitThrottle
from ...resilience.retry import Retrier
from ..transport import HelpdeskTransport
from ..wire import HelpdeskResponse, StatusRule, Wire, json_body
from ..write_budget import NO_CAP, HelpdeskWriteBudget

TABLE_API = "/api/now/table"
TOKEN_PATH = "/oauth_token.do"  # noqa: S105 - an address, not a secret
PAGE = 100  # records a list request asks for (an instance answers up to 10,000)
URL_SETTINGS = "SERVICENOW_URL / SERVICENOW_INSTANCE"
ROLES = (
    "itil (incidents), sn_customerservice_agent (cases), knowledge (articles); "
    "System Security > Users > the integration user > Roles"
)


def describe(body: Any) -> str:
    """ServiceNow's error body in one line: ``error.message`` and ``error.detail``."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        parts = [str(error[k]) for k in ("message", "detail") if error.get(k)]
        if parts:
            return "; ".join(parts)
    if isinstance(body, dict) and body.get("error_description"):
        return str(body["error_description"])
    return "no error description"


def details(body: Any) -> dict[str, object] | None:
    error = body.get("error") if isinstance(body, dict) else None
    return {"error": error} if isinstance(error, dict) else {}


def own_answer(where: str, body: Any) -> bool:
    """ServiceNow's errors are JSON with ``error``; anything else at the address is not it."""
    return isinstance(body, Mapping) and "error" in body


NOT_SERVICENOW = (
    "{host} is not ServiceNow's API: it answered {where} with {status} and no ServiceNow "
    f"error; check {URL_SETTINGS} (an instance's API is at https://INSTANCE.service-now.com)"
)


def _answer(answer: HelpdeskResponse, where: str) -> HelpdeskResponse:
    return answer


def write_limit(announced: int | None) -> int:
    """The writes a minute the shared write budget keeps to. ServiceNow documents no write
    limit: an instance limits the integration user's requests with its rate limit rules, by
    the hour (``X-RateLimit-Limit``), so a minute gets that hour's sixtieth; with no rule
    announced there is nothing to keep under (the shared default of 50 a minute paced a run's
    label and record writes, a quarter of it with the budget's Redis down, to minutes)."""
    return max(1, announced // 60) if announced else NO_CAP


WIRE: Wire[HelpdeskResponse] = Wire(
    name="ServiceNow",
    url_settings=URL_SETTINGS,
    statuses={
        400: StatusRule(RecordInvalidError, "ServiceNow refused {where} (400: {detail})"),
        401: StatusRule(
            AuthError,
            "ServiceNow rejected the credentials (401): check SERVICENOW_USERNAME and "
            "SERVICENOW_PASSWORD (or SERVICENOW_CLIENT_ID / _SECRET); it said: {detail}",
        ),
        403: StatusRule(
            AuthError,
            "ServiceNow refused {where} (403: {detail}): the integration user lacks a role "
            f"or an ACL this needs: {ROLES}",
        ),
        404: StatusRule(
            NotFoundError,
            "ServiceNow at {host} found nothing at {where} (404)",
            foreign=NOT_SERVICENOW,
        ),
        409: StatusRule(ConflictError, "ServiceNow refused {where} (409: {detail})"),
        # The Table API implements every method ticketbot sends: a 501 is another server's at
        # the address, and not a server error to wait out (the same request meets the same
        # server), as on the other helpdesks.
        501: StatusRule(HelpdeskError, NOT_SERVICENOW),
    },
    describe=describe,
    details=details,
    shape=_answer,
    rate_limit_headers=("X-RateLimit-Limit", "X-RateLimit-Remaining"),
    write_limit=write_limit,
    request_id_headers=("X-Request-Id", "X-Transaction-Id"),
    own_answer=own_answer,
)


class BearerAuth(requests.auth.AuthBase):
    """OAuth 2 bearer tokens from the instance's ``/oauth_token.do``, fetched when first
    needed and again when ``expire`` is called (after a 401). Thread-safe."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        username: str | None = None,
        password: str | None = None,
        timeout: tuple[float, float] = (5.0, 30.0),
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.username = username
        self.password = password
        self.timeout = timeout
        self._token: str | None = None
        self._refresh: str | None = None
        self._lock = threading.Lock()
        self.fetched = 0  # tokens fetched so far (a test reads it)

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        return request

    def token(self) -> str:
        with self._lock:
            if self._token is None:
                self._token = self._fetch()
            return self._token

    def expire(self, used: str | None) -> None:
        """Forget the token ``used`` (a 401 said it is no longer good); a newer one stays."""
        with self._lock:
            if used is None or self._token == used:
                self._token = None

    def _form(self) -> dict[str, str]:
        form = {"client_id": self.client_id, "client_secret": self.client_secret}
        if self._refresh:
            return {**form, "grant_type": "refresh_token", "refresh_token": self._refresh}
        if self.username:
            return {
                **form,
                "grant_type": "password",
                "username": self.username,
                "password": self.password or "",
            }
        return {**form, "grant_type": "client_credentials"}

    def _fetch(self) -> str:
        body = self._post(self._form())
        if body is None and self._refresh:  # the refresh token is no longer good: start over
            self._refresh = None
            body = self._post(self._form())
        if body is None:
            raise AuthError(
                "ServiceNow refused the OAuth grant (401): check SERVICENOW_CLIENT_ID, "
                "SERVICENOW_CLIENT_SECRET (and SERVICENOW_USERNAME / _PASSWORD for the "
                "password grant)",
                status_code=401,
            )
        refresh = body.get("refresh_token")
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self.fetched += 1
        return str(body["access_token"])

    def _post(self, form: dict[str, str]) -> dict[str, Any] | None:
        """The token endpoint's answer, or None when it refused the grant."""
        try:
            answer = requests.post(
                self.base_url + TOKEN_PATH,
                data=form,
                timeout=self.timeout,
                allow_redirects=False,
                headers={"Accept": "application/json"},
            )
        except requests.RequestException as exc:
            raise HelpdeskConnectionError(
                f"could not reach ServiceNow's {TOKEN_PATH} ({type(exc).__name__}): check "
                f"{URL_SETTINGS} and the network"
            ) from None
        if answer.status_code in (400, 401, 403):
            return None
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.status_code >= 300 or not isinstance(body, dict) or not body.get("access_token"):
            raise HelpdeskServerError(
                f"ServiceNow answered POST {TOKEN_PATH} with {answer.status_code} and no token",
                status_code=answer.status_code,
            )
        return body


class ServiceNowTransport(HelpdeskTransport[HelpdeskResponse]):
    """The shared transport with ServiceNow's auth and wire; ``request`` returns body + headers."""

    def __init__(
        self,
        base_url: str,
        *,
        auth: tuple[str, str] | BearerAuth,
        timeout: tuple[float, float] = (5.0, 30.0),
        retrier: Retrier | None = None,
        throttle: RateLimitThrottle | None = None,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 16,
        deadline: float | None = None,
        max_bytes: int | None = HELPDESK_MAX_BYTES,
        write_budget: HelpdeskWriteBudget | None = None,
    ) -> None:
        if isinstance(auth, BearerAuth):
            secrets: tuple[str, ...] = (auth.client_secret, auth.password or "")
            who = auth.username or auth.client_id
        else:
            secrets, who = (auth[1],), auth[0]
        super().__init__(
            base_url,
            WIRE,
            auth=auth,
            secrets=tuple(s for s in secrets if s),
            identities=(who,),
            timeout=timeout,
            deadline=deadline,
            retrier=retrier,
            throttle=throttle,
            sleep=sleep,
            pool_size=pool_size,
            max_bytes=max_bytes,
            write_budget=write_budget,
        )
        self.bearer = auth if isinstance(auth, BearerAuth) else None
        self.user_name = auth.username if isinstance(auth, BearerAuth) else auth[0]

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        replay_safe: bool = True,
        no_retry: tuple[type[HelpdeskError], ...] = (),
        retry: bool = True,
    ) -> HelpdeskResponse:
        """As the shared transport's; with OAuth, a 401 fetches a new token once and tries
        again (an access token lives half an hour on an instance)."""
        used = self.bearer.token() if self.bearer is not None else None
        try:
            return super().request(
                method,
                path,
                params=params,
                json=json,
                replay_safe=replay_safe,
                no_retry=no_retry,
                retry=retry,
            )
        except AuthError as exc:
            if self.bearer is None or exc.status_code != 401:
                raise
            self.bearer.expire(used)
            return super().request(
                method,
                path,
                params=params,
                json=json,
                replay_safe=replay_safe,
                no_retry=no_retry,
                retry=retry,
            )

    def error_for(self, response: requests.Response, where: str) -> HelpdeskError:
        """As the status table says, but a data policy's or a business rule's refusal of one
        record (403 "Operation Failed") is that record's fault, not a missing role: the
        ticket fails and the run goes on."""
        error = super().error_for(response, where)
        if response.status_code == 403 and self.detail(json_body(response)).startswith(
            "Operation Failed"
        ):
            return RecordInvalidError(
                f"ServiceNow refused {where} (403: {self.detail(json_body(response))}): a data "
                "policy or business rule of the instance refuses this change to the record",
                status_code=403,
                request_id=error.request_id,
            )
        return error

    def rows(self, table: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """One list request's records (``result``), each a dict."""
        answer = self.request("GET", f"{TABLE_API}/{table}", params=params)
        return result_rows(answer.body)

    def every(
        self, table: str, query: str, fields: str, *, page: int = PAGE, **extra: str
    ) -> Iterator[dict[str, Any]]:
        """Every record ``query`` matches, ``page`` at a time by offset: for tables ticketbot
        does not write while it reads them (groups, users, articles, journal entries)."""
        offset = 0
        while True:
            params = {
                "sysparm_query": query,
                "sysparm_fields": fields,
                "sysparm_limit": str(page),
                "sysparm_offset": str(offset),
                "sysparm_exclude_reference_link": "true",
                "sysparm_suppress_pagination_header": "true",
                **extra,
            }
            found = self.rows(table, params)
            yield from found
            if len(found) < page:
                return
            offset += len(found)


def result_rows(body: Any) -> list[dict[str, Any]]:
    result = body.get("result") if isinstance(body, dict) else None
    if isinstance(result, dict):
        result = [result]
    return [row for row in result if isinstance(row, dict)] if isinstance(result, list) else []


def result_row(body: Any) -> dict[str, Any]:
    result = body.get("result") if isinstance(body, dict) else None
    return result if isinstance(result, dict) else {}
