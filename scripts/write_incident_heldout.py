"""Write ``tests/data/incident_hour_heldout.jsonl``: an incident hour nobody tuned the grouping on.

    python scripts/write_incident_heldout.py                  # writes the file (deterministic)
    python scripts/write_incident_heldout.py --out /tmp/h.jsonl

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved); its last hour is replaced by one written apart from
the grouping, the fault head and every earlier hour, by an author who did not read them:

- 25 customers report ONE new fault, the parcel-tracking page failing, in their own words: 15
  in English (some never say "tracking": "the page that should show the delivery status"), 5
  short ("tracking broken??"), 5 not in English (de, fr, es, it, nl); ``group``: ``outage``;
- 20 customers ask for the refund of an item they returned (``request``: ``refund``), each in
  other words, 5 of them not in English;
- 10 fault-ish tickets about other, unrelated things (a damaged parcel, one wrong charge, one
  login problem, a rejected discount code...), each alone;
- 4 customers who write twice about one matter of their own, the second message 5 to 30 minutes
  after the first (``group``: ``repeat-<the first message's id>`` on both);
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.

The file's shape is the other hours' (``id, subject, body, requester, created_at, status,
group, request``), for ``ticketbot eval --grouping``. Deterministic for the seed.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sys
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import partial
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from support.incident_hours import hour
from support.incident_scenario import (
    _ORDINARY,
    _PAYMENT,
    _PRODUCTS,
    HOUR,
    Spec,
    _customer,
    _fill,
    iso,
)

SEED = 2026
# A fixed "now", so that the file is the same on every run.
NOW = calendar.timegm((2026, 11, 25, 15, 0, 0, 0, 0, 0))
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "incident_hour_heldout.jsonl"

TRACKING = (
    (
        "Tracking page error",
        "I clicked Track my parcel in my account and it just shows an error page. Order {o}.",
    ),
    (
        "Can't track my order",
        "The tracking link in your shipping email gives me 'Something went wrong'. Tried twice.",
    ),
    (
        "Where is my parcel?",
        "I wanted to see where my {p} is but the page that should show the delivery status only "
        "says error 502.",
    ),
    (
        "delivery status not loading",
        "the page with the delivery progress keeps spinning and then fails",
    ),
    (
        "Shipment tracking broken",
        "Hi, your shipment tracking seems to be down. I get an error for every order I try, "
        "including {o} and an older one.",
    ),
    (
        "Error when following my delivery",
        "I'm expecting the {p} today and want to know when the driver comes, but the "
        "follow-your-delivery page only shows a red error box.",
    ),
    (
        "Track order button broken",
        "Pressing Track order in the app opens a blank screen that says we couldn't load this "
        "page.",
    ),
    ("Is tracking down?", "Tracking not working for me since about half an hour ago."),
    (
        "Can't see when my package arrives",
        "Hello, the link 'See delivery details' in the email you sent me this morning leads to an "
        "error. I need to know if someone has to be home. Thanks.",
    ),
    (
        "Tracking number invalid?",
        "Your site says 'unable to retrieve shipment information' for my tracking number. Order "
        "{o} was shipped yesterday according to your email.",
    ),
    (
        "Problem with the shipping page",
        "Every time I open the shipping status of my order the page crashes with an internal "
        "error. Tried Firefox and my phone.",
    ),
    (
        "Order status error",
        "In my account, clicking on the status of order {o} gives an error instead of the map "
        "with the courier.",
    ),
    ("Parcel tracker broken", "Your parcel tracker is broken, it just says service unavailable."),
    (
        "help - where is my {p}",
        "I can't find out where my {p} is, the page you send me to just errors out. Has it even "
        "left the warehouse?",
    ),
    (
        "Tracking error 500",
        "Getting an error 500 on the tracking page. Please fix, I have three parcels on the way.",
    ),
)
TRACKING_SHORT = (
    ("tracking broken??", ""),
    ("track parcel error", "doesnt load"),
    ("Tracking down?", ""),
    ("cant see my delivery", "error page"),
    ("where's my package page broken", ""),
)
TRACKING_OTHER = (
    (
        "Sendungsverfolgung geht nicht",
        "Wenn ich meine Sendung verfolgen will, kommt nur eine Fehlermeldung.",
    ),
    (
        "Suivi de colis impossible",
        "La page de suivi de mon colis affiche une erreur, je ne sais pas quand il arrive.",
    ),
    ("No puedo ver dónde está mi pedido", "El enlace de seguimiento del envío da error."),
    ("Tracciamento non funziona", "La pagina per seguire la spedizione mostra un errore."),
    ("Track & trace werkt niet", "Bij het volgen van mijn pakket krijg ik een foutmelding."),
)
REFUND = (
    (
        "Returned item - no money yet",
        "I sent back the {p} on {d} and the money still isn't in my account. When will you "
        "refund it?",
    ),
    ("refund?", "returned order {o}, still waiting for my refund"),
    (
        "When do I get my money back",
        "Hello, the {p} went back to you last week with your return label. How long until the "
        "refund shows up on my card?",
    ),
    (
        "Return received?",
        "Can you confirm you got my return for order {o} and that the refund is on its way?",
    ),
    (
        "Money for the {p} I sent back",
        "The {p} wasn't what I expected so I returned it {n} days ago. Not reimbursed yet.",
    ),
    ("Reimbursement", "Please reimburse me for the returned {p}, order {o}."),
    (
        "Still no refund",
        "It's been {n} days since I returned my parcel and nothing. Where is my refund?",
    ),
    (
        "Credit for returned goods",
        "I returned two items from order {o}. Will the refund go back to PayPal or as store "
        "credit?",
    ),
    (
        "Refund status for order {o}",
        "Hi, what's the status of my refund? The courier confirmed delivery of the return on {d}.",
    ),
    ("returned the {p}", "when will the money come back to me"),
    (
        "Haven't been paid back",
        "I sent the {p} back with the prepaid label. You have had it for a week. Please pay me "
        "back.",
    ),
    (
        "Refund timing",
        "How many days does it take to process a refund after you receive a returned item? Mine "
        "was order {o}.",
    ),
    (
        "My return",
        "Hi there, I returned the {p} and just want to know when I will see the refund. Thanks!",
    ),
    ("refund please", "Sent the {p} back, need the refund asap"),
    (
        "Return processed?",
        "Your website says my return for order {o} is complete but I haven't seen any money. Is "
        "the refund delayed?",
    ),
    (
        "Geld zurück für Rücksendung",
        "Ich habe die Bestellung {o} zurückgeschickt. Wann wird mir der Betrag erstattet?",
    ),
    (
        "Remboursement de mon retour",
        "J'ai retourné le colis il y a {n} jours, toujours pas de remboursement.",
    ),
    (
        "Reembolso de la devolución",
        "Devolví el pedido {o} la semana pasada. ¿Cuándo recibiré el reembolso?",
    ),
    ("Rimborso reso", "Ho restituito l'articolo, quando arriva il rimborso?"),
    (
        "Terugbetaling retour",
        "Ik heb mijn bestelling teruggestuurd. Wanneer krijg ik mijn geld terug?",
    ),
)
NOISE = (
    ("Parcel arrived damaged", "The box was crushed and the {p} inside is broken. Order {o}."),
    (
        "Wrong charge on my card",
        "I was charged 49.99 twice for order {o}, please take the second charge back.",
    ),
    (
        "Can't log in",
        "The site says my password is wrong, but I'm sure it's right. Can you reset it for me?",
    ),
    (
        "Discount code rejected",
        "The code WELCOME10 from your newsletter says invalid when I enter it.",
    ),
    (
        "Wrong item delivered",
        "I ordered the {p} but got something completely different in the box.",
    ),
    ("Item missing from parcel", "Order {o} arrived but the {p} is missing from the box."),
    ("App crashes on wishlist", "The app closes itself every time I open my wishlist. iPhone 13."),
    (
        "Unsubscribe link broken",
        "The unsubscribe link at the bottom of your newsletter gives a 404.",
    ),
    (
        "Invoice shows wrong address",
        "The invoice for order {o} has my old address on it, can you correct it?",
    ),
    ("Gift card balance wrong", "My gift card should have 25 euros left but your site says 0."),
)
# Each pair: the first message and the second, about the same product and order (a garment
# for the exchange of sizes).
CLOTHES = ("rain jacket", "trail shoes", "wool sweater")
TWICE = (
    (
        (
            "Invoice with VAT number",
            "Could you send me an invoice for order {o} with our company VAT number on it?",
        ),
        (
            "Re: Invoice with VAT number",
            "Just following up, I still need that invoice for order {o}, our accountant is "
            "waiting.",
        ),
    ),
    (
        ("Exchange for a bigger size", "The {p} is too small, can I exchange it for one size up?"),
        (
            "Exchange {p}",
            "Sorry, forgot to add: the order number is {o}. Still hoping to swap the {p} for a "
            "larger one.",
        ),
    ),
    (
        ("Gift message", "Can you add a gift message to order {o}? It is a birthday present."),
        ("gift message for {o}", "The message should say: Happy birthday Mia! Is it too late?"),
    ),
    (
        (
            "Change colour of order {o}",
            "Can I still change the colour of the {p} in order {o} to black?",
        ),
        ("colour change", "Any news? I'd really like the black {p} instead, order {o}."),
    ),
)


def week() -> list[Spec]:
    """``incident_hours.hour``'s background week alone (its own hour and its repeat customers'
    first messages dropped)."""
    return [
        spec
        for spec in hour(1000, now=NOW)
        if spec.created_at <= NOW - 2 * HOUR and spec.label != "repeat_first"
    ]


def heldout_hour(rng: random.Random) -> list[tuple[Spec, str | None]]:
    """The last hour's tickets, each with its ``group`` (``repeat-?`` until ids are known)."""
    start, end = NOW - HOUR + 60, NOW - 60
    customers = iter(range(2000, 10**6))
    rows: list[tuple[Spec, str | None]] = []

    def one(template: tuple[str, str], label: str, group: str | None) -> None:
        subject, body = _fill(rng, template)
        at = rng.randint(start, end)
        rows.append(
            (Spec(subject, body, _customer(rng, next(customers)), at, "open", label), group)
        )

    for template in (*TRACKING, *TRACKING_SHORT, *TRACKING_OTHER):
        one(template, "outage", "outage")
    for template in REFUND:
        one(template, "refund", None)
    for template in NOISE:
        one(template, "noise", None)
    for _ in range(8):
        one(rng.choice(_PAYMENT), "payment", None)
    for _ in range(30):
        one(rng.choice(_ORDINARY), "ordinary", None)
    rows += wrote_twice(rng, TWICE, (start, end), 1900, 30 * 60, CLOTHES)
    return rows


def wrote_twice(
    rng: random.Random,
    twice: tuple[tuple[tuple[str, str], tuple[str, str]], ...],
    span: tuple[int, int],
    first_customer: int,
    within: int,
    sizes: tuple[str, ...] = (),
) -> list[tuple[Spec, str | None]]:
    """The customers who wrote twice: each pair's two messages from one requester, the second
    5 minutes to ``within`` seconds after the first, inside ``span`` (the hour's start and
    end), both with ``group`` ``repeat-?N`` until ids are known. A pair that speaks of a size
    names one of ``sizes`` (clothes) where there are any."""
    start, end = span
    rows: list[tuple[Spec, str | None]] = []
    for number, (first, second) in enumerate(twice):
        email = _customer(rng, first_customer + number)
        products = sizes if sizes and "size" in first[1] else _PRODUCTS
        product, order = rng.choice(products), str(rng.randint(100000, 999999))
        at_first = rng.randint(start, end - within)
        at_second = at_first + rng.randint(5 * 60, within)
        for template, at, label in (
            (first, at_first, "repeat_first"),
            (second, at_second, "repeat"),
        ):
            subject, body = _fill(rng, template, p=product, o=order)
            rows.append((Spec(subject, body, email, at, "open", label), f"repeat-?{number}"))
    return rows


def lines() -> list[str]:
    rng = random.Random(SEED)
    rows: list[tuple[Spec, str | None]] = [(spec, None) for spec in week()]
    rows.extend(heldout_hour(rng))
    return labelled_lines(rows, "refund")


def labelled_lines(
    rows: list[tuple[Spec, str | None]], request: str, reporting: Collection[str] = ()
) -> list[str]:
    """The hour file's lines, oldest first, ids from 1: each row's ``group`` with its repeats'
    placeholder (``repeat-?N``) made the first message's id, and ``request`` on the rows of
    that request burst's label. ``reporting``: the placeholders of the customers who wrote
    twice about the outage itself; their rows carry ``"reports": "outage"``, so that a run
    linking them to the incident is not counted as linking other tickets.
    ``write_incident_heldout2.py`` writes its hour with it too."""
    rows = sorted(rows, key=lambda row: row[0].created_at)
    first_ids: dict[str, int] = {}
    for index, (spec, group) in enumerate(rows):
        if group is not None and group.startswith("repeat-?") and spec.label == "repeat_first":
            first_ids[group] = index + 1
    out = []
    for index, (spec, group) in enumerate(rows):
        row: dict[str, object] = {
            "id": index + 1,
            "subject": spec.subject,
            "body": spec.body,
            "requester": spec.email,
            "created_at": iso(spec.created_at),
            "status": spec.status,
            "group": group,
            "request": request if spec.label == request else None,
        }
        if group is not None and group.startswith("repeat-?"):
            row["group"] = f"repeat-{first_ids[group]}"
            if group in reporting:
                row["reports"] = "outage"
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def write(make: Callable[[], list[str]], out: Path, argv: list[str] | None, doc: str | None) -> int:
    """The scripts' command line: ``--out`` (default ``out``), then the file written."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--out", type=Path, default=out, help=f"where to write ({out.name})")
    args = parser.parse_args(argv)
    text = make()
    args.out.write_text("\n".join(text) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(text)} tickets")
    return 0


def write_twins(
    make: Callable[[str], list[str]], out: Path, argv: list[str] | None, doc: str | None
) -> int:
    """An hour with a request burst and its twin: ``--out`` (default ``out``) gets the
    ``cancel`` burst, ``<stem>_refund`` beside it the ``refund`` one (``make(burst)``)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--out", type=Path, default=out, help=f"where to write ({out.name})")
    first: Path = parser.parse_args(argv).out
    twin = first.with_name(f"{first.stem}_refund{first.suffix}")
    for burst, path in (("cancel", first), ("refund", twin)):
        write(partial(make, burst), path, ["--out", str(path)], doc)
    return 0


Template = tuple[str, str]


@dataclass(frozen=True)
class ShopHour:
    """A held-out hour of the shop's shape, as the later authors wrote theirs: the background
    week on a seed of its own, and in the last hour the outage's reports, the unrelated faults,
    the hour's payment and ordinary traffic, the customers who wrote twice and the request
    burst (drawn from its own random stream, so that the twin files differ in those rows
    alone). Each customer range keeps an hour's requesters apart from the others'."""

    now: int
    seed: int
    week_seed: int
    outage: tuple[Template, ...]
    noise: tuple[Template, ...]
    twice: tuple[tuple[Template, Template], ...]
    cancel: tuple[Template, ...]
    refund: tuple[Template, ...]
    customers: int  # the first of the hour's requesters
    burst_customers: int  # the first of the request burst's
    twice_customers: int  # the first of those who wrote twice
    twice_reporting: tuple[int, ...] = ()  # which of ``twice`` report the outage itself

    def week(self) -> list[Spec]:
        """``incident_hours.hour``'s background week alone (its own hour and its repeat
        customers' first messages dropped)."""
        return [
            spec
            for spec in hour(1000, now=self.now, seed=self.week_seed)
            if spec.created_at <= self.now - 2 * HOUR and spec.label != "repeat_first"
        ]

    def last_hour(self, burst: str) -> list[tuple[Spec, str | None]]:
        """The last hour's tickets with the request ``burst`` (``cancel`` or ``refund``), each
        with its ``group`` (``repeat-?`` until ids are known)."""
        start, end = self.now - HOUR + 60, self.now - 60
        rng = random.Random(self.seed)
        burst_rng = random.Random(self.seed + 1)
        customers = iter(range(self.customers, 10**6))
        burst_customers = iter(range(self.burst_customers, 10**6))
        rows: list[tuple[Spec, str | None]] = []

        def one(template: Template, label: str, group: str | None) -> None:
            subject, body = _fill(rng, template)
            at = rng.randint(start, end)
            rows.append(
                (Spec(subject, body, _customer(rng, next(customers)), at, "open", label), group)
            )

        for template in self.outage:
            one(template, "outage", "outage")
        for template in self.noise:
            one(template, "noise", None)
        for _ in range(8):
            one(rng.choice(_PAYMENT), "payment", None)
        for _ in range(30):
            one(rng.choice(_ORDINARY), "ordinary", None)
        rows += wrote_twice(rng, self.twice, (start, end), self.twice_customers, 40 * 60)
        for template in self.cancel if burst == "cancel" else self.refund:
            subject, body = _fill(burst_rng, template)
            at = burst_rng.randint(start, end)
            email = _customer(burst_rng, next(burst_customers))
            rows.append((Spec(subject, body, email, at, "open", burst), None))
        return rows

    def lines(self, burst: str) -> list[str]:
        rows: list[tuple[Spec, str | None]] = [(spec, None) for spec in self.week()]
        rows.extend(self.last_hour(burst))
        return labelled_lines(rows, burst, {f"repeat-?{n}" for n in self.twice_reporting})


def main(argv: list[str] | None = None) -> int:
    return write(lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
