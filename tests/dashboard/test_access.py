"""The dashboard's access rules, as values: who may listen where, who is signed in, which
write passes the CSRF and origin checks."""

from __future__ import annotations

import pytest

from ticket_processor.dashboard.access import (
    SESSION_COOKIE,
    Access,
    check_listen,
    is_loopback,
    same_origin,
)
from ticket_processor.errors import ConfigError


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "[::1]", "localhost", "127.8.0.1"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.5", "::", "example.com"])  # noqa: S104  # noqa: S104
def test_hosts_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(ConfigError, match="TICKETBOT_DASHBOARD_TOKEN"):
        check_listen(host, token=None, proxy_header=None, review=False)
    check_listen(host, token="t" * 32, proxy_header=None, review=False)


def test_a_short_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="at least 16"):
        check_listen("127.0.0.1", token="short", proxy_header=None, review=True)


def test_the_review_queue_needs_a_way_to_sign_in() -> None:
    with pytest.raises(ConfigError, match="--review"):
        check_listen("127.0.0.1", token=None, proxy_header=None, review=True)
    check_listen("127.0.0.1", token=None, proxy_header="X-Forwarded-User", review=True)


def test_sign_in_by_bearer_cookie_or_proxy_header() -> None:
    access = Access(token="secret-token", proxy_header="X-Forwarded-User", review=True)
    assert access.identify({}, {}) is None
    assert access.identify({"authorization": "Bearer wrong"}, {}) is None
    bearer = access.identify({"authorization": "Bearer secret-token"}, {})
    assert bearer is not None
    assert bearer.kind == "bearer"
    cookie = access.new_session()
    assert "secret-token" not in cookie
    session = access.identify({}, {SESSION_COOKIE: cookie})
    assert session is not None
    assert session.kind == "session"
    assert access.identify({}, {SESSION_COOKIE: cookie[:-2] + "00"}) is None
    proxy = access.identify({"x-forwarded-user": "lea"}, {})
    assert proxy is not None
    assert proxy.name == "lea"
    # A session of another server start (another key) is not one of ours.
    assert Access(token="secret-token", review=True).identify({}, {SESSION_COOKIE: cookie}) is None


def test_read_only_loopback_needs_no_sign_in_but_a_loopback_host() -> None:
    access = Access(token=None)
    assert access.identify({}, {}) is not None
    assert access.host_ok("127.0.0.1:8780")
    assert access.host_ok("localhost")
    assert not access.host_ok("attacker.example:8780")  # DNS rebinding


def test_csrf_token_is_bound_to_the_sign_in() -> None:
    access = Access(token="secret-token", review=True)
    one = access.identify({}, {SESSION_COOKIE: access.new_session()})
    two = access.identify({}, {SESSION_COOKIE: access.new_session()})
    assert one is not None
    assert two is not None
    assert access.csrf_ok(one, access.csrf_token(one))
    assert not access.csrf_ok(one, access.csrf_token(two))
    assert not access.csrf_ok(one, "")


def test_origin_must_be_the_dashboards_own() -> None:
    access = Access(token="secret-token", review=True)
    browser = access.identify({}, {SESSION_COOKIE: access.new_session()})
    bearer = access.identify({"authorization": "Bearer secret-token"}, {})
    assert browser is not None
    assert bearer is not None
    host = {"host": "127.0.0.1:8780"}
    assert same_origin({**host, "origin": "http://127.0.0.1:8780"}, browser)
    assert not same_origin({**host, "origin": "http://evil.example"}, browser)
    assert not same_origin({**host, "origin": "null"}, browser)
    assert same_origin({**host, "referer": "http://127.0.0.1:8780/review"}, browser)
    assert not same_origin(host, browser)  # a browser's write names its origin
    assert same_origin(host, bearer)  # a script with the token is not a browser
