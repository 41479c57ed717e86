"""The tickets of an outage hour on a shop's helpdesk, with what each one is (for the checks).

``scenario(n_ordinary, now)`` gives a week of ordinary tickets, solved (``n_ordinary``, spread
over the last seven days; a steady share of them ask how to cancel an order, ask about payment,
or report a one-off checkout problem, so the window knows those kinds' normal rates), then the
last hour: a checkout outage reported by 25 different customers, each of the week's where it has
enough (six of the reports not in English),
ordinary tickets, other payment questions, 20 customers asking how to cancel an order, four
customers writing a second time about the same thing (their first ticket open, a day or an
hour earlier) and one customer writing a second time about something else.
Every ticket has a ``label``: ``outage``, ``cancel``, ``payment``, ``ordinary``, ``repeat``
(a second ticket; ``repeat_of`` names the first's index), ``repeat_first``, ``other_thing``.
Deterministic for a seed.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import requests

from ticket_processor.helpdesks.servicenow.sandbox.seed import add_user

HOUR = 3600
DAY = 86400

_NAMES = (
    "Anna Berg",
    "Luis Ortega",
    "Mei Chen",
    "Tom Baker",
    "Sara Nilsson",
    "Omar Haddad",
    "Julia Novak",
    "Peter Sims",
    "Aiko Tanaka",
    "Lena Vogel",
    "Marc Dubois",
    "Nina Rossi",
    "Jonas Weber",
    "Priya Nair",
    "Carlos Mendes",
    "Eva Horvat",
    "Ravi Shah",
    "Kim Larsen",
)
_PRODUCTS = (
    "rain jacket",
    "trail shoes",
    "yoga mat",
    "coffee grinder",
    "desk lamp",
    "backpack",
    "wool sweater",
    "phone case",
    "water bottle",
    "headphones",
    "kettle",
    "travel mug",
)
_ORDINARY = (
    (
        "Where is my order {o}?",
        "Hi, I ordered a {p} last {d} and the tracking has not moved "
        "for three days. Can you check where parcel {o} is?",
    ),
    (
        "Wrong size delivered",
        "The {p} I received in order {o} is a size M, I ordered L. How do I exchange it?",
    ),
    (
        "Refund for returned {p}",
        "I sent back the {p} two weeks ago (order {o}) and I still have not received my refund.",
    ),
    (
        "Change delivery address",
        "Can I still change the delivery address of order {o}? I moved last {d}.",
    ),
    (
        "Discount code not accepted",
        "The code SPRING{n} says it is not valid for the {p}. The "
        "newsletter said it applies to everything.",
    ),
    ("{p} arrived damaged", "My {p} arrived with a broken part. Photos attached. Order {o}."),
    (
        "Do you ship to Norway?",
        "I would like to buy a {p}, do you deliver to Norway and how long does it take?",
    ),
    (
        "Password reset email never arrives",
        "I asked for a password reset three times since {d} and no email came, not even in spam.",
    ),
    ("Is the {p} waterproof?", "Before I buy: is the {p} waterproof or only water resistant?"),
    (
        "Invoice with company name",
        "Could you send an invoice for order {o} with my company's name and VAT number on it?",
    ),
    (
        "Missing item in order {o}",
        "The parcel came but the {p} was not in it, only the other items.",
    ),
    ("Gift wrapping", "Can you gift wrap the {p} and add a card? It is for a birthday on {d}."),
    ("Loyalty points missing", "I did not get loyalty points for order {o}."),
    ("Unsubscribe from newsletter", "Please stop sending me the newsletter, I get three a week."),
    ("Back in stock?", "When will the {p} be back in stock in blue?"),
    (
        "Courier left parcel outside",
        "The courier left order {o} outside my door in the rain on {d}, the {p} box is soaked.",
    ),
)
_CANCEL = (
    (
        "How do I cancel my order?",
        "Hi, I placed order {o} an hour ago and I changed my mind. How can I cancel it?",
    ),
    ("Cancel order {o}", "Please cancel my order {o}, I ordered the wrong {p}."),
    ("Cancellation", "Is it still possible to cancel order {o}? It has not shipped yet I think."),
    (
        "I want to cancel my purchase",
        "I bought a {p} by mistake today, how do I cancel the order before it ships?",
    ),
    (
        "Can I cancel?",
        "How can I cancel an order I placed this morning? I can't find a button in my account.",
    ),
)
_PAYMENT = (
    (
        "Which payment methods do you accept?",
        "Can I pay with PayPal or only by card? I want to buy a {p}.",
    ),
    ("Pay by invoice?", "Is it possible to pay by invoice for a company order?"),
    (
        "Charged in the wrong currency",
        "My card statement shows the {p} charged in dollars instead of euros, order {o}.",
    ),
    ("Klarna instalments", "Do you offer paying in instalments with Klarna for the {p}?"),
    (
        "Double charge on my card",
        "I see two charges for order {o} on my card statement. Please refund one.",
    ),
)
_CHECKOUT_ONE_OFF = (
    ("Coupon field missing at checkout", "At checkout I don't see where to enter my coupon."),
    ("Checkout asks for phone number", "Why is a phone number required at checkout?"),
)
_OUTAGE_EN = (
    (
        "Checkout error 502",
        "I try to pay for my {p} and the checkout page shows 'Error 502 - "
        "upstream unavailable'. Tried three times.",
    ),
    (
        "Cannot complete my order",
        "The checkout fails every time with error 502 when I click Pay. My cart has a {p} in it.",
    ),
    (
        "Payment page broken",
        "Your checkout is broken: after entering my card I get Error 502 "
        "upstream unavailable and no order is placed.",
    ),
    (
        "Error 502 at checkout",
        "Checkout does not work, it says error 502 upstream unavailable. Is your site down?",
    ),
    (
        "Can't pay - checkout error",
        "Every time I press 'Place order' the checkout shows a 502 "
        "error. I want to buy the {p} today.",
    ),
    (
        "checkout not working",
        "checkout keeps failing with 'upstream unavailable' error 502, cannot place my order",
    ),
)
_OUTAGE_OTHER = (
    (
        "Fehler 502 an der Kasse",
        "Beim Bezahlen zeigt die Kasse 'Error 502 - upstream "
        "unavailable'. Ich kann meine Bestellung nicht abschließen.",
    ),
    (
        "Error 502 en el pago",
        "No puedo completar mi pedido: al pagar aparece 'Error 502 - "
        "upstream unavailable' en la página de pago.",
    ),
    (
        "Erreur 502 au paiement",
        "Impossible de finaliser ma commande, la page de paiement "
        "affiche 'Error 502 - upstream unavailable'.",
    ),
    (
        "Erro 502 no checkout",
        "Não consigo finalizar a compra, o checkout mostra 'Error 502 - "
        "upstream unavailable' quando clico em pagar.",
    ),
    (
        "Fout 502 bij afrekenen",
        "Afrekenen lukt niet, ik krijg 'Error 502 - upstream unavailable' als ik wil betalen.",
    ),
    (
        "Errore 502 al pagamento",
        "Non riesco a completare l'ordine, il pagamento mostra 'Error 502 - upstream unavailable'.",
    ),
)
# A customer's second ticket about the same thing, and about something else.
_REPEATS = (
    (
        (
            "Refund for returned {p}",
            "I returned the {p} (order {o}) two weeks ago, where is my refund?",
        ),
        (
            "Still no refund!",
            "I wrote yesterday about my refund for the returned {p}, order {o}. "
            "Still nothing. Please answer.",
        ),
    ),
    (
        (
            "Wrong size delivered",
            "Order {o}: I got the {p} in size S instead of M. How do I exchange it?",
        ),
        (
            "Exchange for order {o}?",
            "Following up: the {p} in order {o} is the wrong size (S, "
            "not M). How do I get it exchanged?",
        ),
    ),
    (
        ("Missing item in order {o}", "The {p} was missing from my parcel, order {o}."),
        (
            "Where is the missing {p}?",
            "I reported that the {p} was missing from order {o}. "
            "Nobody answered. Will you send it?",
        ),
    ),
    (
        (
            "Password reset email never arrives",
            "I cannot log in, the password reset email never arrives.",
        ),
        (
            "Still can't log in",
            "The password reset email still does not arrive, I asked for it "
            "again this morning. I cannot log in to my account.",
        ),
    ),
)
_OTHER_THING = (
    ("Do you ship to Norway?", "Do you deliver the {p} to Oslo?"),
    ("Discount code not accepted", "My code SPRING10 is refused for the {p}."),
)


@dataclass
class Spec:
    """One ticket to put in a helpdesk."""

    subject: str
    body: str
    email: str
    created_at: int
    status: str  # "solved" or "open"
    label: str
    repeat_of: int | None = None  # index of the earlier ticket, for a repeat
    reports: str | None = None  # a repeat's: the group it also reports ("outage")


def _fill(rng: random.Random, template: tuple[str, str], **fixed: str) -> tuple[str, str]:
    values = {
        "o": fixed.get("o", str(rng.randint(100000, 999999))),
        "p": fixed.get("p", rng.choice(_PRODUCTS)),
        "d": rng.choice(("Monday", "Tuesday", "Thursday", "Friday", "weekend")),
        "n": str(rng.choice((10, 15, 20))),
    }
    return template[0].format(**values), template[1].format(**values)


def _customer(rng: random.Random, n: int) -> str:
    first, last = rng.choice(_NAMES).lower().split()
    return f"{first}.{last}{n}@example.com"


class Hour:
    """A scenario's specs as they are added: each with a new customer, the random draws in the
    order the scenarios were first written with (their figures are pinned to them)."""

    def __init__(self, rng: random.Random, now: int) -> None:
        self.rng, self.now = rng, now
        self.specs: list[Spec] = []
        self._customers = iter(range(10**6))

    def add(self, template: tuple[str, str], label: str, at: int, status: str, **kw: str) -> int:
        subject, body = _fill(self.rng, template, **kw)
        customer = _customer(self.rng, next(self._customers))
        self.specs.append(Spec(subject, body, customer, at, status, label))
        return len(self.specs) - 1

    def recent(self) -> int:
        """A moment in the last hour."""
        return self.rng.randint(self.now - HOUR + 60, self.now - 60)

    def week(self, n_ordinary: int, *, cancel: str = "cancel") -> None:
        """The week before the hour: ``n_ordinary`` solved tickets, a steady share of them
        asking how to cancel (labelled ``cancel``), about payment or a one-off checkout fault."""
        rng = self.rng
        for _ in range(n_ordinary):
            at = rng.randint(self.now - 7 * DAY, self.now - 2 * HOUR)
            draw = rng.random()
            if draw < 0.10:
                self.add(rng.choice(_CANCEL), cancel, at, "solved")
            elif draw < 0.16:
                self.add(rng.choice(_PAYMENT), "payment", at, "solved")
            elif draw < 0.17:
                self.add(rng.choice(_CHECKOUT_ONE_OFF), "ordinary", at, "solved")
            else:
                self.add(rng.choice(_ORDINARY), "ordinary", at, "solved")

    def rest_of_hour(self) -> list[Spec]:
        """The hour's payment questions, ordinary tickets, second tickets and a customer
        writing about something else; then every spec, oldest first (``repeat_of`` follows)."""
        rng, specs, now, recent = self.rng, self.specs, self.now, self.recent
        for _ in range(8):
            self.add(rng.choice(_PAYMENT), "payment", recent(), "open")
        for _ in range(30):
            self.add(rng.choice(_ORDINARY), "ordinary", recent(), "open")
        for number, (first, second) in enumerate(_REPEATS):
            email = _customer(rng, 900 + number)
            product, order = rng.choice(_PRODUCTS), str(rng.randint(100000, 999999))
            at_first = now - DAY if number % 2 == 0 else now - HOUR + 120
            subject, body = _fill(rng, first, p=product, o=order)
            specs.append(Spec(subject, body, email, at_first, "open", "repeat_first"))
            earlier = len(specs) - 1
            subject, body = _fill(rng, second, p=product, o=order)
            at_second = max(recent(), at_first + 600)
            specs.append(Spec(subject, body, email, at_second, "open", "repeat", earlier))
        email = _customer(rng, 950)
        subject, body = _fill(rng, _OTHER_THING[0])
        specs.append(Spec(subject, body, email, now - HOUR + 180, "open", "ordinary"))
        subject, body = _fill(rng, _OTHER_THING[1])
        at = max(recent(), now - HOUR + 780)
        specs.append(Spec(subject, body, email, at, "open", "other_thing"))
        by_time = sorted(range(len(specs)), key=lambda i: specs[i].created_at)
        position = {old: new for new, old in enumerate(by_time)}
        ordered = [specs[i] for i in by_time]
        for spec in ordered:
            if spec.repeat_of is not None:
                spec.repeat_of = position[spec.repeat_of]
        return known_reporters(ordered)


def scenario(n_ordinary: int = 1000, *, now: int, seed: int = 7) -> list[Spec]:
    """The week and the outage hour, oldest first by ``created_at`` (see the module's text)."""
    rng = random.Random(seed)
    built = Hour(rng, now)
    built.week(n_ordinary)
    outage = [rng.choice(_OUTAGE_EN) for _ in range(19)] + list(_OUTAGE_OTHER)
    for template in outage:
        built.add(template, "outage", built.recent(), "open")
    for _ in range(20):
        built.add(rng.choice(_CANCEL), "cancel", built.recent(), "open")
    return built.rest_of_hour()


def known_reporters(specs: list[Spec]) -> list[Spec]:
    """The outage reported by customers the helpdesk knows, as a shop's outage is: the n-th
    report's requester is the n-th customer of the week (a ticket solved before), while there
    are such customers. ticketbot links an incident only from customers the helpdesk vouches
    for (``incidents.vouching``); no random draw is taken, so the texts stay as they were."""
    week = iter(dict.fromkeys(s.email for s in specs if s.status == "solved"))
    for spec in specs:
        if spec.label == "outage":
            spec.email = next(week, spec.email)
    return specs


def history_ticket(now: int) -> Spec:
    """A solved ticket from eight days before ``now``: the helpdesk's own past, the week of
    history an incident needs to be linked rather than suggested (``IncidentPolicy.link_after``;
    the scenario's week starts a few minutes short of it)."""
    return Spec(
        "Where is my invoice?",
        "Please send me last month's invoice.",
        "early@customer.example",
        now - 8 * DAY,
        "solved",
        "ordinary",
    )


def solved_before(emails: list[str], now: int) -> list[Spec]:
    """A ticket of each of these customers, solved eight days before ``now``: customers the
    helpdesk knows (``Helpdesk.requester_known``), whose reports an incident counts
    (``incidents.vouching``)."""
    return [
        Spec("Where is my invoice?", "Please send me last month's invoice.", e, now - 8 * DAY,
             "solved", "ordinary")
        for e in emails
    ]  # fmt: skip


def iso(moment: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment))


def load_zendesk(sandbox: Any, specs: list[Spec]) -> list[int]:
    """Import every ticket through Zendesk's Ticket Import API (``create_many``, 100 a job)."""
    base = f"{sandbox.url}/api/v2"
    ids: list[int] = []
    with requests.Session() as session:
        session.auth = (f"{sandbox.config.email}/token", sandbox.config.token)
        for start in range(0, len(specs), 100):
            chunk = specs[start : start + 100]
            tickets = [
                {
                    "subject": s.subject,
                    "requester": {"email": s.email, "name": s.email.split("@")[0]},
                    "status": s.status,
                    "created_at": iso(s.created_at),
                    "updated_at": iso(s.created_at),
                    "comments": [{"value": s.body, "created_at": iso(s.created_at)}],
                }
                for s in chunk
            ]
            answer = session.post(
                f"{base}/imports/tickets/create_many.json", json={"tickets": tickets}, timeout=10
            )
            answer.raise_for_status()
            job = answer.json()["job_status"]
            deadline = time.monotonic() + 30
            while job["status"] != "completed" and time.monotonic() < deadline:
                time.sleep(0.01)
                job = session.get(f"{base}/job_statuses/{job['id']}.json", timeout=10).json()[
                    "job_status"
                ]
            results = sorted(job["results"], key=lambda r: r["index"])
            ids += [int(r["id"]) for r in results]
    assert len(ids) == len(specs)
    return ids


def load_freshdesk(sandbox: Any, specs: list[Spec]) -> list[int]:
    """Freshdesk has no import API: each ticket is made in the sandbox's store with the
    sandbox's clock set to its ``created_at`` (so ``created_at`` and ``updated_at`` are its
    own), then the clock goes back to the real one."""
    config = sandbox.config
    real = config.clock
    ids: list[int] = []
    try:
        for spec in specs:
            config.clock = lambda at=spec.created_at: float(at)
            ticket = sandbox.store.create(
                {
                    "subject": spec.subject,
                    "description": spec.body,
                    "email": spec.email,
                    "status": 4 if spec.status == "solved" else 2,
                }
            )
            ids.append(int(ticket["id"]))
    finally:
        config.clock = real
    return ids


def load_servicenow(sandbox: Any, specs: list[Spec]) -> list[int]:
    """Each incident inserted in the sandbox's store as its caller at its ``created_at`` (an
    import set's way, past the Table API, which stamps a record with now); a solved one is
    Resolved."""
    ids: list[int] = []
    for spec in specs:
        name = spec.email.split("@")[0]
        caller = add_user(sandbox.store, spec.email, name, spec.email)
        fields = {
            "short_description": spec.subject,
            "description": spec.body,
            "caller_id": caller,
            "contact_type": "self-service",
            "state": "2",
        }
        if spec.status == "solved":
            fields |= {"state": "6", "close_code": "Solution provided", "close_notes": "Solved"}
        made = sandbox.store.insert("incident", fields, spec.email, at=float(spec.created_at))
        ids.append(int("".join(c for c in made["number"] if c.isdigit())))
    return ids


# Each helpdesk's loader, by kind (the tests' ``desk_kind``).
LOADERS = {"zendesk": load_zendesk, "freshdesk": load_freshdesk, "servicenow": load_servicenow}
