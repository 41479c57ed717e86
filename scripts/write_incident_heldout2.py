"""Write ``tests/data/incident_hour_heldout2.jsonl``: a second incident hour nobody tuned on.

    python scripts/write_incident_heldout2.py                  # writes the file (deterministic)
    python scripts/write_incident_heldout2.py --out /tmp/h.jsonl

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; another seed and "now" than the other hours'); its last
hour is replaced by one written by an author who did not see the grouping, the fault head or
their tuning:

- 25 customers report ONE new fault, the shop's mobile app closing itself at start since
  today's update, in their own words: 15 in English (several never say "app" or "crash": "it
  shuts straight away", "since this morning's update I can't get past the logo"), 5 short
  ("app keeps crashing!!"), 5 not in English (de, fr, es, it, nl); some with typos;
  ``group``: ``outage``;
- 20 customers ask how to change the delivery address of an order (``request``: ``address``),
  each in other words, some impatient;
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice about one matter of their own, the second message 5 to 30 minutes
  after the first (``group``: ``repeat-<the first message's id>`` on both);
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.

The file's shape is the other hours' (``id, subject, body, requester, created_at, status,
group, request``), for ``ticketbot eval --grouping``. Deterministic for the seeds.
"""

from __future__ import annotations

import calendar
import random
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))

from support.incident_hours import hour
from support.incident_scenario import (
    _ORDINARY,
    _PAYMENT,
    HOUR,
    Spec,
    _customer,
    _fill,
)
from write_incident_heldout import labelled_lines, write, wrote_twice

SEED = 4711
WEEK_SEED = 23
# A fixed "now", so that the file is the same on every run.
NOW = calendar.timegm((2026, 11, 24, 10, 0, 0, 0, 0, 0))
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "incident_hour_heldout2.jsonl"

CRASH = (
    (
        "App closes as soon as I open it",
        "Since I installed the update this morning your app closes as soon as I open it. I see "
        "the logo for a second and then I'm back on my home screen. Android 14.",
    ),
    (
        "Can't get past the logo",
        "Since this morning's update I can't get past the logo, it just shuts. I wanted to "
        "check order {o}.",
    ),
    (
        "Crash on startup",
        "Hi, the iPhone app crashes on startup every single time since the new version. "
        "Reinstalled it, same thing.",
    ),
    (
        "Updated and now nothing works",
        "My phone updated your app overnight and now it won't start at all. It flashes white and "
        "closes. Can I use the website in the meantime?",
    ),
    (
        "shop app wont open",
        "the shop app wont open anymore after the update today, it just dissapears straight away",
    ),
    (
        "Problem with the new version",
        "Hello, the new version from today doesn't work on my Samsung. I tap the icon, it goes "
        "black and then I'm back where I started. I wanted to buy the {p} in the sale.",
    ),
    (
        "Keeps shutting down",
        "Every time I try to open it, it shuts down by itself. Was fine yesterday before the "
        "update.",
    ),
    (
        "Cannot start the application",
        "Good morning, I am unable to start your application since it was updated. It says "
        "'Shop has stopped' and offers to close the app. Tried restarting my phone.",
    ),
    (
        "App freezes then quits",
        "After the update, opening the app shows the splash screen, freezes for a moment and "
        "then quits. I have an order ({o}) I want to follow.",
    ),
    (
        "Is the app down?",
        "Is something wrong on your side? My wife's phone and mine both close the app right "
        "after launching it since this morning.",
    ),
    (
        "Crashing after update version 8.2",
        "Version 8.2 crashes immediately on my Pixel 7. Version 8.1 was fine. Please fix, I use "
        "it for all my orders.",
    ),
    (
        "Can't open my account on the phone",
        "I want to look at my orders on my phone but the thing closes before anything loads. "
        "Since the update it never opens.",
    ),
    (
        "Kicked out instantly",
        "I get kicked out instantly whenever I start your app. Cleared the cache, still the "
        "same. iOS 18.",
    ),
    (
        "new update broken",
        "hi, the update you released today seems broken, the app opens and closes again within "
        "a second. tried on two phones",
    ),
    (
        "Unable to use the app to buy the {p}",
        "I was about to order the {p} from your app but it won't launch any more since I "
        "updated it this morning. It just vanishes. Do I have to wait for a fix?",
    ),
)
CRASH_SHORT = (
    ("app keeps crashing!!", ""),
    ("App won't open", "since update"),
    ("crashes on start", ""),
    ("cant open app after update", "closes right away"),
    ("App broken?", "quits immediately"),
)
CRASH_OTHER = (
    (
        "App stürzt beim Start ab",
        "Seit dem Update heute früh schließt sich die App sofort wieder, sobald ich sie öffne.",
    ),
    (
        "L'application se ferme toute seule",
        "Depuis la mise à jour de ce matin, l'appli se ferme dès que je la lance.",
    ),
    (
        "La app no abre",
        "Desde la actualización de hoy la aplicación se cierra nada más abrirla.",
    ),
    (
        "L'app si chiude all'avvio",
        "Dopo l'aggiornamento di stamattina l'app si chiude appena la apro.",
    ),
    (
        "App sluit meteen af",
        "Sinds de update van vanochtend gaat de app direct weer dicht als ik hem open.",
    ),
)
ADDRESS = (
    (
        "Wrong address on my order",
        "I just noticed order {o} is going to my old flat. How can I change the delivery address?",
    ),
    ("change address", "need to change the shipping address for order {o}"),
    (
        "Moved last week",
        "Hello, I moved last week and forgot to update my details before ordering the {p}. Can "
        "it still be sent to my new place?",
    ),
    (
        "Deliver to my office instead",
        "Could my order {o} be delivered to my work address instead of home? Nobody is home "
        "during the day.",
    ),
    (
        "Typo in the street name",
        "I made a typo in the street name when I ordered, it says Linden Stret instead of "
        "Lindenstraße. Can you correct it before it ships?",
    ),
    (
        "Where do I edit the delivery details?",
        "I can't find where to edit where my parcel goes. Order {o}, placed this morning.",
    ),
    (
        "Please send it to my parents",
        "Can you send the {p} to my parents' address instead? It's a present for them.",
    ),
    (
        "Address change - urgent",
        "Need to change the address on order {o} TODAY please, it ships tomorrow and I won't "
        "be there. Second time asking.",
    ),
    (
        "New address for order {o}",
        "Hi, the apartment number is missing from my address, flat 4B. Please add it or tell me "
        "how I can.",
    ),
    (
        "Can I still change where it goes?",
        "The {p} hasn't shipped yet according to my account. Is it possible to switch it to a "
        "different address?",
    ),
    (
        "shipping to the wrong city",
        "ugh, my order went in with my holiday address. how do i change it to my home one?",
    ),
    (
        "Update delivery address",
        "Please update the delivery address of order {o}. I've been waiting for an answer for "
        "an hour, this is quite urgent.",
    ),
    ("Change of address", "How do I change the address for an order I already paid for?"),
    (
        "Redirect my parcel",
        "Can my parcel be redirected to a pickup point near my new home? Order {o}.",
    ),
    (
        "Ship to a different address",
        "I ordered the {p} for my sister and it should go to her, not me. Can this be changed?",
    ),
    (
        "Lieferadresse ändern",
        "Ich bin umgezogen. Wie kann ich die Lieferadresse für Bestellung {o} noch ändern?",
    ),
    (
        "Changer l'adresse de livraison",
        "Bonjour, je me suis trompé d'adresse pour ma commande {o}. Comment la modifier ?",
    ),
    (
        "Cambiar dirección de envío",
        "¿Puedo cambiar la dirección de entrega de mi pedido? Todavía no ha salido.",
    ),
    (
        "Cambio indirizzo",
        "Vorrei cambiare l'indirizzo di consegna dell'ordine {o}, è ancora possibile?",
    ),
    (
        "Adres wijzigen",
        "Hoe kan ik het bezorgadres van mijn bestelling nog aanpassen? Ik ben verhuisd.",
    ),
)
NOISE = (
    (
        "Broken on arrival",
        "The {p} arrived today with a cracked front and it doesn't switch on. Order {o}.",
    ),
    (
        "Charged the wrong amount",
        "My card was charged 89 EUR for order {o} but the total at checkout was 69. Please check.",
    ),
    (
        "How do I change my password?",
        "I'd like to set a new password for my account, where do I do that on the website?",
    ),
    (
        "Order late",
        "Order {o} was due on {d} and still hasn't arrived. The courier site says nothing new.",
    ),
    ("Missing screws", "The {p} came without the screws needed to put it together."),
    (
        "Voucher not applied",
        "I entered my birthday voucher but the discount isn't shown on the invoice for order {o}.",
    ),
    (
        "Newsletter every day",
        "I get your newsletter three times a day now, can you send it less often?",
    ),
    ("Wrong colour", "Ordered the {p} in grey and received a red one."),
    (
        "Product page error",
        "The page for the {p} on your website shows the wrong price, 0.00, can I still buy it?",
    ),
    (
        "Courier left parcel outside",
        "The courier left my parcel in the rain outside the door and the box is soaked.",
    ),
)
# Each pair: a customer's first message and their second about the same order and product.
TWICE = (
    (
        ("Invoice for order {o}", "Could you send me the invoice for order {o} as a PDF?"),
        (
            "Re: Invoice for order {o}",
            "Sorry, I should add: it needs my company name on it, Weber Design. Thanks.",
        ),
    ),
    (
        (
            "Two of the same in my basket",
            "I think I ordered the {p} twice by accident, order {o}. Can you remove one?",
        ),
        ("order {o} again", "Just checking you saw my message about the double {p}?"),
    ),
    (
        (
            "Question about the {p}",
            "Does the {p} come with a warranty, and for how long?",
        ),
        ("warranty", "Forgot to say: I bought the {p} in order {o}, two months ago."),
    ),
    (
        ("Gift wrapping", "Can you gift wrap order {o}? It is for my mother."),
        ("Re: Gift wrapping", "And please leave out the receipt from the parcel. Thank you!"),
    ),
)


def week() -> list[Spec]:
    """``incident_hours.hour``'s background week alone (its own hour and its repeat customers'
    first messages dropped)."""
    return [
        spec
        for spec in hour(1000, now=NOW, seed=WEEK_SEED)
        if spec.created_at <= NOW - 2 * HOUR and spec.label != "repeat_first"
    ]


def heldout_hour(rng: random.Random) -> list[tuple[Spec, str | None]]:
    """The last hour's tickets, each with its ``group`` (``repeat-?`` until ids are known)."""
    start, end = NOW - HOUR + 60, NOW - 60
    customers = iter(range(3000, 10**6))
    rows: list[tuple[Spec, str | None]] = []

    def one(template: tuple[str, str], label: str, group: str | None) -> None:
        subject, body = _fill(rng, template)
        at = rng.randint(start, end)
        rows.append(
            (Spec(subject, body, _customer(rng, next(customers)), at, "open", label), group)
        )

    for template in (*CRASH, *CRASH_SHORT, *CRASH_OTHER):
        one(template, "outage", "outage")
    for template in ADDRESS:
        one(template, "address", None)
    for template in NOISE:
        one(template, "noise", None)
    for _ in range(8):
        one(rng.choice(_PAYMENT), "payment", None)
    for _ in range(30):
        one(rng.choice(_ORDINARY), "ordinary", None)
    rows += wrote_twice(rng, TWICE, (start, end), 2900, 30 * 60)
    return rows


def lines() -> list[str]:
    rng = random.Random(SEED)
    rows: list[tuple[Spec, str | None]] = [(spec, None) for spec in week()]
    rows.extend(heldout_hour(rng))
    return labelled_lines(rows, "address")


def main(argv: list[str] | None = None) -> int:
    return write(lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
