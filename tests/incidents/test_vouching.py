"""Who an incident's reports come from (``incidents.vouching``), on plain data: the customers
the helpdesk vouches for, asked once per requester; the addresses first seen in the burst; the
burst's shape; and which new incidents are held as suggestions."""

from __future__ import annotations

import numpy as np

from ticket_processor.errors import TicketBotError
from ticket_processor.incidents.plan import LinkPlan, LinkWrite, PlannedIncident, Sighting
from ticket_processor.incidents.policy import IncidentPolicy
from ticket_processor.incidents.vouching import (
    Customers,
    Vouching,
    burst_shape,
    hold_unvouched,
    vouch,
)
from ticket_processor.incidents.window import Row, Window

POLICY = IncidentPolicy()
NOW = 1_800_000_000


def _incident(requesters: list[int], *, known: bool = False) -> PlannedIncident:
    return PlannedIncident(
        key=None, known=known, title="Checkout error 502", members=[100 + r for r in requesters],
        requesters=requesters, first_seen=NOW - 600, subjects=[],
        centre=np.zeros(512, np.int8),
    )  # fmt: skip


# Ten reports of one fault, each in words of its own.
WORDS = (
    "checkout error 502", "cannot pay at all", "payment page broken", "Kasse zeigt Fehler",
    "erreur au paiement", "site down when paying", "order will not go through",
    "card step fails", "pago no funciona", "afrekenen lukt niet",
)  # fmt: skip


def _sighting(requester: int, address: str, organization: int | None = None) -> Sighting:
    return Sighting(
        100 + requester, "Checkout error 502", WORDS[requester % 10], requester,
        NOW - 600, "bug", True, address=address, organization=organization,
    )  # fmt: skip


def _window(earlier: list[int]) -> Window:
    """The window with one ticket of each ``earlier`` requester from yesterday."""
    window = Window()
    rows = [Row(10 + r, r, NOW - 86400, "bug", False, 0) for r in earlier]
    window.add(rows, np.ones((len(rows), 512), np.float32))
    return window


def test_a_requester_is_asked_once_and_a_failed_look_up_is_no_word() -> None:
    asked: list[int] = []

    def known(requester: int) -> bool | None:
        asked.append(requester)
        if requester == 3:
            raise TicketBotError("the helpdesk did not answer")
        return requester == 1

    customers = Customers(known)
    assert [customers.known(r) for r in (1, 2, 3, 1, 2, 3, -7)] == [True, False, False] * 2 + [
        False
    ]
    assert asked == [1, 2, 3]  # a requester-less ticket (-id) is never asked about


def test_first_seen_addresses_of_one_domain_and_pattern_are_held() -> None:
    requesters = list(range(1, 11))
    sightings = {100 + r: _sighting(r, f"x{r}@mail.test") for r in requesters}
    reading = vouch(
        _incident(requesters), sightings, _window([]), Customers(lambda r: False), NOW - 3600
    )
    assert (reading.vouched, reading.first_seen, reading.requesters) == (0, 10, 10)
    assert reading.shape == (
        "10 first-seen addresses on one domain, mail.test",
        "10 first-seen addresses of one pattern, x<n>@mail.test",
    )
    assert not reading.links(POLICY)
    assert "0 of its 10 requesters are customers the helpdesk knows" in reading.why(POLICY)


def test_known_customers_and_an_organisation_vouch_and_earlier_requesters_are_not_first_seen() -> (
    None
):
    requesters = list(range(1, 11))
    sightings = {100 + r: _sighting(r, f"p{r}@home{r}.example") for r in requesters}
    sightings[110] = _sighting(10, "buyer@acme.example", organization=77)
    customers = Customers(lambda r: r <= 5)
    reading = vouch(_incident(requesters), sightings, _window([6, 7]), customers, NOW - 3600)
    # 1-5 solved before and 10 of a company vouched; 6 and 7 wrote yesterday; 8 and 9 are new.
    assert (reading.vouched, reading.first_seen) == (6, 2)
    assert reading.shape == ()  # two addresses of two domains say nothing
    assert reading.links(POLICY)


def test_mostly_first_seen_is_held_even_with_enough_known_customers() -> None:
    assert not Vouching(requesters=13, vouched=6, first_seen=7).links(POLICY)
    assert Vouching(requesters=12, vouched=6, first_seen=6).links(POLICY)
    assert not Vouching(requesters=8, vouched=4, first_seen=0).links(POLICY)


def test_near_identical_texts_are_said() -> None:
    texts = ["checkout fails with error 502 on order 1", "checkout fails with error 502 on order 2"]
    assert burst_shape([], texts) == []  # two are a coincidence
    assert burst_shape([], [*texts, "checkout fails with error 502 on order 3"]) == [
        "3 near-identical texts"
    ]
    assert burst_shape([], ["checkout fails", "die Kasse zeigt Fehler 502"]) == []


def test_only_the_unvouched_new_incident_is_suggested_and_a_known_one_is_left() -> None:
    held, kept, joined = _incident([1, 2]), _incident([3, 4]), _incident([5], known=True)
    plan = LinkPlan(
        [held, kept, joined],
        [LinkWrite("member", 101, 0, routing={"priority": "urgent"}), LinkWrite("member", 103, 1),
         LinkWrite("member", 105, 2), LinkWrite("flag", 109, earlier=108)],
    )  # fmt: skip
    readings = {id(held): Vouching(10, 0, 10), id(kept): Vouching(10, 9, 1)}
    done, judged = hold_unvouched(plan, {}, POLICY, lambda i: readings[id(i)])
    assert [i.suggested for i in done.incidents] == [True, False, False]
    assert "first seen in this burst" in done.incidents[0].why
    assert done.incidents[0].routing == {}
    assert [(w.action, w.ticket_id) for w in done.writes] == [
        ("suggest", 101), ("member", 103), ("member", 105), ("flag", 109)
    ]  # fmt: skip
    assert len(judged) == 2  # the known incident is not read again
