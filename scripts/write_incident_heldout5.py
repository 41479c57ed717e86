"""Write ``tests/data/incident_hour_heldout5.jsonl`` and ``incident_hour_heldout5_refund.jsonl``:
a fifth incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout5.py                    # writes both files (deterministic)
    python scripts/write_incident_heldout5.py --out /tmp/h.jsonl # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the gate, the guards, the grouping and every earlier hour, by an author who did not
read them:

- 25 customers report ONE new fault: every product in the shop shows as out of stock /
  unavailable, so nothing can be ordered (the stock service down), in their own words: 15 in
  English (several never say "stock", a few with typos, some as questions), 5 short (2-4
  words), 5 not in English (de, fr, es, it, pt); ``group``: ``outage``;
- 20 customers ask how to cancel an order or their subscription (``request``: ``cancel``), in
  other words each, some impatient, 4 not in English; in the twin, 20 customers asking about
  the refund of an item they returned instead (``request``: ``refund``);
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice, the second message 5 to 40 minutes after the first (``group``:
  ``repeat-<the first message's id>`` on both): 2 plain repeats, 2 adding a detail;
- the hour's ordinary traffic, as in the other hours: 8 payment questions and 30 ordinary
  tickets drawn from the background's own templates.

Both files are the same hour but for the request burst (its rows draw from their own random
stream, so every other row is the same). Deterministic for the seeds.
"""

from __future__ import annotations

import calendar
import sys
from pathlib import Path

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))
sys.path.insert(1, str(Path(__file__).resolve().parent))

from write_incident_heldout import ShopHour, write_twins

SEED = 5505
WEEK_SEED = 55
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2026, 12, 3, 9, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout5.jsonl"

STOCK = (
    (
        "Everything says out of stock",
        "I wanted to order the {p} but your whole website says out of stock, even things that "
        "were available yesterday. Is that right?",
    ),
    (
        "Can't add anything to my basket",
        "Every product I open says 'currently unavailable' and the Add to basket button is "
        "greyed out. I tried five different items.",
    ),
    (
        "Is something wrong on your side today?",
        "Nothing on the site can be bought this morning, it all shows as not available. My "
        "friend sees the same on her phone.",
    ),
    (
        "{p} sold out??",
        "Two hours ago the {p} was in stock, now it and literally everything else is sold out. "
        "That can't be true, surely?",
    ),
    (
        "Unable to order",
        "Hello, I have been trying to place an order since about 8 but every article shows "
        "'not deliverable at the moment'. Could you check please? I need the {p} for the "
        "weekend.",
    ),
    (
        "nothing available",
        "why does every single item say unavailable? even the basic stuff",
    ),
    (
        "Out of stock error",
        "The app shows 'out of stock' on all products, including the {p} I have in my "
        "wishlist. Restarted the app, same thing.",
    ),
    (
        "wanted to reorder",
        "I tried to reorder my last order {o} with the reorder button and it says none of the "
        "items are availble anymore. They were there last week.",
    ),
    (
        "Whole shop empty?",
        "Are you closing down or is the site broken? There is not one product I can buy, they "
        "all say 'Notify me when back'.",
    ),
    (
        "Problem with your website",
        "Good morning, I cannot buy the {p}. The page says it is unavailable in every size and "
        "colour, and so does everything else I looked at. Please advise.",
    ),
    (
        "Availability wrong",
        "Your availabilty seems broken, all products show 0 in stock and the store pickup "
        "option says none left in any shop.",
    ),
    (
        "cant buy",
        "evrything is out of stock on ur site, is this a glitch",
    ),
    (
        "Items unavailable since this morning",
        "Since around 8:15 every product page says 'This item is currently not available'. I "
        "was about to order the {p}. When will it work again?",
    ),
    (
        "Add to cart disabled",
        "The add to cart button is disabled on every page and there's a grey label saying "
        "unavailable. Chrome on Windows and the iPhone app.",
    ),
    (
        "Is the shop working?",
        "I've been trying for half an hour to get a {p}. It says sold out but so does every "
        "other product, even gift cards. Is anyone else having this?",
    ),
)
STOCK_SHORT = (
    ("all sold out?", ""),
    ("everything out of stock", "??"),
    ("Nothing can be ordered", ""),
    ("products unavailable", "all of them"),
    ("cant order anythng", ""),
)
STOCK_OTHER = (
    (
        "Alles ausverkauft?",
        "Seit heute früh steht bei jedem Artikel 'nicht verfügbar', ich kann nichts bestellen.",
    ),
    (
        "Tous les articles en rupture de stock",
        "Bonjour, tout le site affiche 'indisponible', même le {p} que je voulais commander. "
        "Il y a un problème ?",
    ),
    ("¿Todo agotado?", "Todos los productos aparecen como agotados y no puedo comprar nada."),
    (
        "Nessun prodotto disponibile",
        "Ogni articolo risulta non disponibile da stamattina, non riesco a ordinare.",
    ),
    (
        "Tudo esgotado no site",
        "Todos os produtos aparecem como esgotados, não consigo fazer nenhuma encomenda.",
    ),
)
CANCEL = (
    (
        "How do I cancel my order?",
        "I ordered the {p} an hour ago and changed my mind. How do I cancel order {o}?",
    ),
    ("cancel", "please cancel order {o}"),
    (
        "Cancel my subscription",
        "How can I cancel my monthly subscription box? I can't find it anywhere in my account.",
    ),
    ("Cancellation", "I would like to cancel order {o} before it is shipped. Thank you."),
    (
        "STILL can't find the cancel button",
        "Where on earth is the cancel button?? I want to cancel order {o} NOW before you ship it.",
    ),
    (
        "Ordered twice by mistake",
        "I placed the same order twice, can you cancel one of them (order {o})?",
    ),
    ("Stop subscription", "I want to end my subscription from next month, what do I need to do?"),
    ("cancel order asap", "need to cancel {o} asap, wrong size"),
    (
        "Don't want the {p} anymore",
        "Hi, can I still cancel the {p}? It hasn't shipped yet according to my account.",
    ),
    (
        "Cancel before shipping",
        "Is it possible to cancel an order that says 'processing'? Order {o}.",
    ),
    (
        "How to unsubscribe from the plan",
        "How do I cancel the membership plan? I don't use the free delivery enough to pay for it.",
    ),
    (
        "Third time asking",
        "I have asked twice already how to cancel my order {o}. Please just cancel it.",
    ),
    ("cancel subscription", "how do i cancel"),
    (
        "Order cancellation request",
        "Good morning, please cancel my recent order {o} for the "
        "{p}, I found it cheaper elsewhere.",
    ),
    (
        "Can I cancel part of my order?",
        "I only want to cancel the {p} from order {o}, not the rest.",
    ),
    (
        "Cancel it please",
        "Why is there no way to cancel in the app? Cancel order {o}, I don't want it.",
    ),
    ("Bestellung stornieren bitte", "Wie storniere ich mein Abo? Ich finde keinen Knopf dafür."),
    ("Annuler mon abonnement", "Comment puis-je résilier mon abonnement mensuel ?"),
    ("Cancelar pedido", "Quiero cancelar el pedido {o}, ¿cómo lo hago?"),
    ("Annullare l'ordine", "Vorrei annullare l'ordine {o} prima della spedizione."),
)
REFUND = (
    ("Refund for my return?", "I sent the {p} back last week. When will I get my money back?"),
    ("refund", "returned order {o}, where is my money"),
    (
        "Return arrived, no refund",
        "Tracking says you received my return for order {o} four days ago, but no refund yet.",
    ),
    ("Money back for returned {p}", "How long does the refund take after I send an item back?"),
    ("Still waiting", "Still waiting for the refund for my returned {p}. This is taking too long."),
    (
        "Refund to which card?",
        "I returned the {p}; will the refund go to the card I paid with? "
        "That card has expired since.",
    ),
    ("Returned item refund", "Please confirm the refund for the item I returned from order {o}."),
    ("refund status??", "returned the {p} 2 weeks ago. nothing. when"),
    (
        "Partial refund only",
        "I returned both items from order {o} but was refunded for only "
        "one of them. Where is the rest?",
    ),
    (
        "Return and refund",
        "Hi, I dropped off my return at the post office on Monday. When can I expect the money?",
    ),
    (
        "Refund not on my account",
        "Your email says my refund for order {o} was issued but my bank shows nothing.",
    ),
    (
        "Did you get my parcel back?",
        "I sent the {p} back with your label. Can you check the refund?",
    ),
    ("WHERE IS MY REFUND", "Three weeks since I returned order {o}. I want my money back now."),
    (
        "Store credit or refund?",
        "I returned the {p}. I'd like the money back to PayPal, not store credit, please.",
    ),
    ("Refund question", "How many working days until a refund for a returned item shows up?"),
    (
        "Returned the wrong size",
        "I returned the {p} because of the size, I don't want an exchange, just the refund please.",
    ),
    ("Rückerstattung", "Ich habe die Bestellung {o} zurückgeschickt, wann bekomme ich mein Geld?"),
    ("Remboursement", "J'ai renvoyé le {p}, quand serai-je remboursé ?"),
    ("Reembolso", "Devolví el pedido {o} hace diez días y no he recibido el reembolso."),
    ("Rimborso", "Ho restituito il pacco, quando ricevo il rimborso?"),
)
NOISE = (
    ("Item arrived damaged", "The {p} came with a big crack in it. Order {o}. Photos attached."),
    (
        "Charged the wrong amount",
        "I was charged 64.90 for order {o} but the total at checkout was 54.90.",
    ),
    ("Forgot my password", "How do I change my password? I don't remember the old one."),
    ("Delivery is late", "Order {o} should have arrived on Tuesday and it's still not here."),
    ("Wrong colour sent", "I ordered the {p} in blue and received a red one."),
    ("Missing screws", "The {p} arrived without the screws needed to assemble it."),
    (
        "Courier left parcel outside",
        "The driver left my parcel in the rain by the door and the box is soaked.",
    ),
    ("Loyalty points not added", "I didn't get points for order {o}."),
    (
        "Voucher expired early",
        "My birthday voucher says expired but the email said it was valid "
        "until the end of the month.",
    ),
    ("Receipt missing", "There was no receipt in the parcel for order {o}, could you email one?"),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail.
TWICE = (
    (
        ("Where is my invoice?", "Can you send me the invoice for order {o}? I need it for work."),
        ("any news??", "any news about the invoice for {o}??"),
    ),
    (
        ("Gift wrapping", "Is it possible to add gift wrapping to order {o}?"),
        ("Re: Gift wrapping", "Hello? Still waiting for an answer about the gift wrapping."),
    ),
    (
        ("Exchange request", "The {p} doesn't fit, can I exchange it?"),
        ("Re: Exchange request", "Forgot to say: order {o}, and I'd like the next size up."),
    ),
    (
        (
            "Delivery to a pickup point",
            "Can order {o} be sent to a pickup point instead of my home?",
        ),
        (
            "pickup point",
            "The pickup point I mean is the newsagent on Station Road, if that helps, order {o}.",
        ),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*STOCK, *STOCK_SHORT, *STOCK_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=3000,
    burst_customers=5000,
    twice_customers=2900,
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
