"""Write ``tests/data/incident_hour_heldout4.jsonl`` and its twin ``..._refund.jsonl``: one more
incident hour nobody tuned on.

    python scripts/write_incident_heldout4.py                  # writes both files (deterministic)
    python scripts/write_incident_heldout4.py --out /tmp/h.jsonl   # the twin beside it, _refund

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; another seed than the other hours'); its last hour is
replaced by one written by an author who did not see the gate, the guards, the grouping or the
fault head:

- 25 customers report ONE new fault, the shopping basket: items do not stay in it (the add
  button does nothing, or the basket empties itself on the next page), in their own words: 15
  in English (several never say "basket" or "cart", a few with typos, some as questions), 5
  short (2 to 4 words), 5 not in English (de, fr, es, it, pt); ``group``: ``outage``;
- 20 customers ask how to cancel an order or a subscription (``request``: ``cancel``), some
  impatient; in the twin, 20 ask about the refund of an item they returned instead
  (``request``: ``refund``), drawn from a random stream of their own so that every other row
  of the two files is the same;
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice, the second message 5 to 40 minutes after the first (``group``:
  ``repeat-<the first message's id>`` on both): two plain reminders, two adding a detail;
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.
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
from write_incident_heldout import labelled_lines, write_twins, wrote_twice

SEED = 4404
WEEK_SEED = 404
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2026, 12, 3, 9, 0, 0, 0, 0, 0))
OUT = Path(__file__).resolve().parents[1] / "tests" / "data" / "incident_hour_heldout4.jsonl"

BASKET = (
    (
        "Can't add anything to my basket",
        "I press Add to basket on the {p} and nothing happens. The little counter stays at 0.",
    ),
    (
        "Cart keeps emptying",
        "Every time I go from the product page to the cart it is empty again. I've added the {p} "
        "four times now.",
    ),
    (
        "is something wrong on your side today?",
        "I pick something, click add, and when I want to pay there's nothing there. Is the site "
        "having problems?",
    ),
    (
        "Items disappear",
        "Hello, the things I choose vanish after a few seconds. I wanted to order a {p} and a "
        "couple of small things for my daughter but I can't get past this.",
    ),
    (
        "shoping cart not working",
        "the shoping cart wont keep my items, it says your basket is empty",
    ),
    (
        "Nothing stays in the bag",
        "I've been trying for half an hour to buy the {p}. Add to bag shows a tick, then the bag "
        "is empty. Tried on my laptop and my phone, same thing.",
    ),
    (
        "Add button broken?",
        "Is the add button broken for everyone or just me? Clicking it on any product does "
        "nothing.",
    ),
    (
        "Website problem",
        "Your website is not letting me buy. I select size and colour, press add, and it spins "
        "forever.",
    ),
    (
        "Basket shows 0 items",
        "Hi, I added the {p} and two other things, the page said added, but the basket icon says "
        "0 and the basket page is empty. Can you check please?",
    ),
    (
        "Lost everything I selected",
        "I spent ages choosing presents and when I opened my basket all of it was gone. Very "
        "annoying. Did something break?",
    ),
    (
        "Why can't I order?",
        "Why does my order disappear before I can pay? I put the {p} in and then it's just gone.",
    ),
    (
        "Error adding to cart",
        "When I click add to cart I get a small red message 'could not update your cart, try "
        "again later'. Tried again later, same.",
    ),
    (
        "can not put products in basket",
        "hi i can not put any product in the baskett since this morning, pls help",
    ),
    (
        "Problem with my order",
        "I want to buy the {p} but the shop forgets what I picked the moment I go to the next "
        "page. Is this a known problem?",
    ),
    (
        "Basket resets",
        "My basket resets to empty whenever I log in. Before logging in I had three items in it.",
    ),
)
BASKET_SHORT = (
    ("basket broken??", ""),
    ("cart empty again", ""),
    ("cant add items", "nothing happens"),
    ("add to bag not working", ""),
    ("items vanish", "from basket"),
)
BASKET_OTHER = (
    (
        "Warenkorb bleibt leer",
        "Ich lege Artikel in den Warenkorb, aber er ist danach immer leer. Was ist da los?",
    ),
    (
        "Panier vide",
        "Quand j'ajoute un article, mon panier reste vide. Je ne peux rien commander.",
    ),
    (
        "No puedo añadir productos",
        "Le doy a añadir y no pasa nada, el carrito sigue vacío. ¿Tienen algún problema hoy?",
    ),
    (
        "Carrello non funziona",
        "Gli articoli spariscono dal carrello appena cambio pagina.",
    ),
    (
        "Carrinho não guarda nada",
        "Adiciono os produtos mas o carrinho fica sempre vazio. Alguém pode ver isto?",
    ),
)
CANCEL = (
    ("How do I cancel?", "How do I cancel order {o}? I ordered the {p} by mistake."),
    ("cancel order", "Please cancel {o}."),
    (
        "Cancel my subscription",
        "I'd like to cancel my monthly subscription. I can't find where to do it in my account.",
    ),
    (
        "CANCEL MY ORDER NOW",
        "I have asked twice already in the chat. Cancel order {o}, I don't want it anymore.",
    ),
    ("Changed my mind", "Hi, can I still cancel the {p}? It hasn't shipped yet I think."),
    ("Stop subscription", "How can I stop the subscription from renewing next month?"),
    (
        "Cancellation",
        "Good morning, I would like to cancel my recent order ({o}). What are the steps? Thank "
        "you.",
    ),
    ("cancel??", "how do i cancel an order, there is no button"),
    (
        "Please cancel before it ships",
        "Ordered the wrong size of the {p}. Please cancel order {o} before it leaves the "
        "warehouse, I'll order again.",
    ),
    (
        "End my membership",
        "I want to end my membership and not be charged again. How do I do that?",
    ),
    ("Cancel", "cancel my order {o} asap. thanks"),
    (
        "Where is the cancel option?",
        "Your help page says I can cancel from My orders but the option isn't there for {o}.",
    ),
    (
        "Don't want the {p} anymore",
        "Found it cheaper elsewhere. How do I cancel? Order {o}.",
    ),
    (
        "still waiting - cancel",
        "Sent a message an hour ago and nobody answered. I just want to cancel order {o}. How "
        "hard can it be?",
    ),
    ("unsubscribe from the box", "How do I cancel the subscription box? Don't want the next one."),
    ("Cancel order placed today", "I placed an order this morning, can it be cancelled?"),
    ("Bestellung stornieren", "Wie kann ich meine Bestellung {o} stornieren? Danke."),
    ("Annulation abonnement", "Comment résilier mon abonnement mensuel ?"),
    ("Cancelar pedido", "Quiero cancelar el pedido {o}, ¿cómo lo hago?"),
    ("Annullare ordine", "Vorrei annullare l'ordine {o}, è ancora possibile?"),
)
REFUND = (
    (
        "Refund for returned {p}",
        "I returned the {p} last week and haven't had my money back. When will I?",
    ),
    ("refund", "returned order {o}, where is the refund"),
    (
        "Money back?",
        "Hi, my return arrived at your warehouse on Monday according to the courier. When does "
        "the refund reach my card?",
    ),
    (
        "Still no refund!!",
        "Two weeks since I sent back the {p}. Still nothing. This is taking far too long.",
    ),
    (
        "Return of order {o}",
        "Could you confirm you received my return for order {o} and that the refund is being "
        "processed?",
    ),
    ("How long for a refund?", "How many days does a refund take once you get the item back?"),
    (
        "Returned item - refund to PayPal?",
        "I paid with PayPal. Will the refund for the {p} I returned go back there?",
    ),
    ("where's my money", "sent the {p} back ages ago, refund please"),
    (
        "Refund amount wrong",
        "You refunded my return of order {o} but not the shipping cost. Is the rest coming?",
    ),
    (
        "Reimbursement for return",
        "Good afternoon, I'd like to know when I will be reimbursed for the {p} I returned.",
    ),
    ("Return refund status", "What's the status of the refund for order {o}? Returned it on time."),
    (
        "Partial refund?",
        "I returned one item out of three from order {o}. Will that one be refunded separately?",
    ),
    ("refund pending", "the app says refund pending for a week now. why?"),
    (
        "Returned parcel",
        "You have had my returned parcel for ten days. Please refund me or tell me what's wrong.",
    ),
    ("Refund please", "I returned the {p}, it was faulty. Please refund."),
    ("Return label used - refund?", "Used your return label for {o}. When do I get the money?"),
    ("Rückerstattung", "Ich habe den Artikel zurückgeschickt, wann bekomme ich mein Geld?"),
    ("Remboursement", "J'ai renvoyé la commande {o}, quand serai-je remboursé ?"),
    ("Reembolso", "Devolví el artículo hace una semana. ¿Cuándo me lo reembolsan?"),
    ("Rimborso", "Ho reso l'articolo, quando ricevo il rimborso?"),
)
NOISE = (
    ("Damaged on arrival", "The {p} arrived with a cracked corner. Order {o}. What now?"),
    (
        "Charged the wrong amount",
        "My card shows 89.90 for order {o} but the order confirmation says 79.90.",
    ),
    (
        "Forgot my password",
        "How do I change my password? I don't remember the old one.",
    ),
    (
        "Order late",
        "Order {o} should have arrived on Friday. Still nothing. Can you check with the courier?",
    ),
    ("Wrong colour sent", "I ordered the {p} in green and got it in grey."),
    (
        "Missing part",
        "The {p} came without the charger that the product page says is included.",
    ),
    ("Newsletter too often", "You send me three newsletters a week, can I get fewer?"),
    (
        "Invoice missing",
        "I didn't get an invoice with order {o}, I need it for my employer.",
    ),
    (
        "Loyalty points not added",
        "My points for order {o} never showed up in my account.",
    ),
    ("Courier left parcel outside", "The driver left my {p} in the rain by the gate. It's wet."),
)
# Each pair: the first message and the second about the same product and order; the first two
# second messages only ask again, the last two add a detail.
TWICE = (
    (
        ("Delivery date", "When will order {o} be delivered? I'm away from Thursday."),
        ("any news??", "any news?? order {o}"),
    ),
    (
        (
            "Question about the {p}",
            "Do you have the {p} in another colour? Want to buy it as a gift.",
        ),
        ("Re: Question about the {p}", "Hello? Still waiting for an answer about the {p}."),
    ),
    (
        (
            "Gift wrapping",
            "Can you gift wrap order {o}? I forgot to tick the box.",
        ),
        (
            "Re: Gift wrapping",
            "Forgot to say: please leave the price tag off the {p}, it's for my mother.",
        ),
    ),
    (
        ("Invoice address", "Please change the name on the invoice for order {o}."),
        (
            "invoice name for {o}",
            "Sorry, the name should be Kessler Consulting GmbH, with our VAT number DE123456789.",
        ),
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


def held_out_hour(burst: str) -> list[tuple[Spec, str | None]]:
    """The last hour's tickets with the request burst ``burst`` (``cancel`` or ``refund``), each
    with its ``group`` (``repeat-?N`` until ids are known)."""
    rng = random.Random(SEED)
    start, end = NOW - HOUR + 60, NOW - 60
    customers = iter(range(3000, 10**6))
    rows: list[tuple[Spec, str | None]] = []

    def one(r: random.Random, template: tuple[str, str], label: str, group: str | None) -> None:
        subject, body = _fill(r, template)
        at = r.randint(start, end)
        rows.append((Spec(subject, body, _customer(r, next(customers)), at, "open", label), group))

    for template in (*BASKET, *BASKET_SHORT, *BASKET_OTHER):
        one(rng, template, "outage", "outage")
    for template in NOISE:
        one(rng, template, "noise", None)
    for _ in range(8):
        one(rng, rng.choice(_PAYMENT), "payment", None)
    for _ in range(30):
        one(rng, rng.choice(_ORDINARY), "ordinary", None)
    rows += wrote_twice(rng, TWICE, (start, end), 2900, 40 * 60)
    # The requests last, from their own stream: the twin files differ in these rows alone.
    requests = random.Random(SEED + 1)
    for template in CANCEL if burst == "cancel" else REFUND:
        one(requests, template, burst, None)
    return rows


def lines(burst: str) -> list[str]:
    rows: list[tuple[Spec, str | None]] = [(spec, None) for spec in week()]
    rows.extend(held_out_hour(burst))
    return labelled_lines(rows, burst)


def main(argv: list[str] | None = None) -> int:
    return write_twins(lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
