"""ServiceNow's HTTP as the adapter speaks it, against the sandbox: OAuth 2's client
credentials and password grants and a token refreshed once after it expired, credentials
refused (401) and a role or ACL missing (403) said plainly, a data policy's 403 failing one
record only, a 429's ``Retry-After`` waited out on the injected clock, a record an ACL hides
settled as gone, and the probe knowing the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.clock import FakeClock

from ticket_processor.errors import AuthError, NotFoundError, RecordInvalidError
from ticket_processor.helpdesks.servicenow.adapter import ServiceNowHelpdesk
from ticket_processor.helpdesks.servicenow.sandbox.config import ServiceNowConfig
from ticket_processor.helpdesks.servicenow.sandbox.desk import ServiceNowDesk
from ticket_processor.helpdesks.servicenow.sandbox.serving import serve_in_thread
from ticket_processor.helpdesks.servicenow.wire import BearerAuth, ServiceNowTransport
from ticket_processor.models import Analysis, Triage, WriteOutcome
from ticket_processor.passes.planner import ChangePlanner
from ticket_processor.passes.types import RunOptions
from ticket_processor.resilience.pacing import RateLimitThrottle
from ticket_processor.resilience.retry import Retrier, RetryPolicy
from ticket_processor.sandbox.desks import NewTicket

START = 1_795_000_040.0


@pytest.fixture
def sn() -> Iterator[ServiceNowDesk]:
    clock = FakeClock(START)
    with serve_in_thread(ServiceNowConfig(seed=5, clock=clock)) as running:
        yield ServiceNowDesk(running)


def transport(
    sn: ServiceNowDesk, auth: tuple[str, str] | BearerAuth, clock: FakeClock | None = None
) -> ServiceNowTransport:
    wait = (clock or FakeClock(START)).sleep
    return ServiceNowTransport(
        sn.url,
        auth=auth,
        timeout=(2.0, 5.0),
        retrier=Retrier(RetryPolicy(attempts=4), sleep=wait),
        throttle=RateLimitThrottle(clock=clock or FakeClock(START), sleep=wait),
        sleep=wait,
    )


def basic(sn: ServiceNowDesk) -> tuple[str, str]:
    return (sn.sandbox.config.user, sn.sandbox.config.password)


def test_the_client_credentials_grant_reads_and_a_token_expired_is_fetched_again_once(
    sn: ServiceNowDesk,
) -> None:
    config = sn.sandbox.config
    bearer = BearerAuth(sn.url, config.client_id, config.client_secret)
    desk = ServiceNowHelpdesk(transport(sn, bearer), table="incident", marker="ai_processed")
    assert desk.probe().ok
    assert len(desk.groups()) > 0
    assert bearer.fetched == 1
    clock = config.clock
    assert isinstance(clock, FakeClock)
    clock.advance(config.token_seconds + 1)  # the access token has expired
    assert len(desk.groups()) > 0
    assert bearer.fetched == 2  # one new token, the request sent again


def test_the_password_grant_signs_in_as_the_user(sn: ServiceNowDesk) -> None:
    config = sn.sandbox.config
    bearer = BearerAuth(
        sn.url,
        config.client_id,
        config.client_secret,
        username=config.user,
        password=config.password,
    )
    desk = ServiceNowHelpdesk(transport(sn, bearer), table="incident", marker="ai_processed")
    probe = desk.probe()
    assert probe.ok, probe.detail
    assert probe.sandbox
    assert probe.account["user_name"] == config.user


def test_a_refused_oauth_client_is_said_plainly(sn: ServiceNowDesk) -> None:
    bearer = BearerAuth(sn.url, sn.sandbox.config.client_id, "not-the-secret")
    desk = ServiceNowHelpdesk(transport(sn, bearer), table="incident", marker="ai_processed")
    probe = desk.probe()
    assert not probe.ok
    assert probe.refused
    assert "SERVICENOW_CLIENT_SECRET" in probe.detail
    assert "not-the-secret" not in probe.detail


def test_a_wrong_password_is_a_401_naming_the_settings(sn: ServiceNowDesk) -> None:
    desk = ServiceNowHelpdesk(
        transport(sn, (sn.sandbox.config.user, "wrong")), table="incident", marker="ai_processed"
    )
    probe = desk.probe()
    assert probe.refused
    assert "SERVICENOW_PASSWORD" in probe.detail


def test_a_record_an_acl_hides_is_a_403_naming_the_roles_and_left_out_of_lists(
    sn: ServiceNowDesk,
) -> None:
    (ticket,) = sn.create([NewTicket("Invoice", "Charged twice")])
    sys_id = sn.sandbox.sandbox.record_of("incident", ticket) or ""
    sn.sandbox.store.hide(sys_id)
    http = transport(sn, basic(sn))
    with pytest.raises(AuthError, match="itil"):
        http.request("GET", f"/api/now/table/incident/{sys_id}")
    desk = ServiceNowHelpdesk(http, table="incident", marker="ai_processed")
    assert desk.tickets([ticket]) == []
    with pytest.raises(NotFoundError):
        desk.notes(ticket)


def _write(desk: ServiceNowHelpdesk, ids: list[int]) -> list[WriteOutcome]:
    planner = ChangePlanner(RunOptions(prefix="ai_"), run_id="r1")
    found = Triage(
        analysis=Analysis(
            category="billing",
            urgency="high",
            sentiment="neutral",
            language="en",
            summary="A question about an invoice.",
            confidence=0.9,
        ),
        engine="rules",
    )
    outcomes: list[WriteOutcome] = []

    class Journal:
        def begin(self, ticket_ids: object) -> None: ...
        def job_sent(self, job_id: str, ticket_ids: object) -> None: ...
        def end(self, ticket_ids: object, job_ids: object) -> None: ...

    desk.write_batch(
        [planner.plan(t, found) for t in desk.tickets(ids)],
        replan=lambda fresh: planner.plan(fresh, found),
        journal=Journal(),
        report=outcomes.append,
    )
    return outcomes


def test_a_data_policys_refusal_fails_that_record_only(sn: ServiceNowDesk) -> None:
    refused, written = sn.create([NewTicket("A", "one"), NewTicket("B", "two")])
    sn.refuse_updates([refused])
    desk = ServiceNowHelpdesk(transport(sn, basic(sn)), table="incident", marker="ai_processed")
    by_id = {o.ticket_id: o for o in _write(desk, [refused, written])}
    assert isinstance(by_id[refused].error, RecordInvalidError)
    assert by_id[written].error is None


def test_a_429s_retry_after_is_waited_out_on_the_clock(sn: ServiceNowDesk) -> None:
    (ticket,) = sn.create([NewTicket("Invoice", "Charged twice")])
    clock = FakeClock(START)
    sn.sandbox.config.faults = ["429 GET /api/now/table/incident"]
    desk = ServiceNowHelpdesk(
        transport(sn, basic(sn), clock), table="incident", marker="ai_processed"
    )
    assert [t.id for t in desk.tickets([ticket])] == [ticket]
    assert sum(clock.sleeps) >= 1.0  # the sandbox's Retry-After: 1
