"""Write ``tests/data/incident_hour_heldout9.jsonl`` and ``incident_hour_heldout9_refund.jsonl``:
a ninth incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout9.py                    # writes both files (deterministic)
    python scripts/write_incident_heldout9.py --out /tmp/h.jsonl # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the grouping, the fault head and every earlier hour's fault, by an author who did
not read them:

- 25 customers report ONE fault: the checkout failing (an error at the payment step, the
  order button doing nothing, the page spinning for ever, the card form refusing every card;
  browsing and the basket still work), in their own words: 15 in English (several never say
  "checkout" or "payment", a few with typos, some as questions, some angry, some naming what
  they tried to buy, two saying what they already tried), 5 short (2-4 words), 5 not in
  English (de, fr, es, it, nl); ``group``: ``outage``;
- 20 customers ask how to cancel an order or their subscription (``request``: ``cancel``), in
  other words each, some impatient, 3 not in English; in the twin, 20 customers asking about the
  refund of an item they returned instead (``request``: ``refund``, 4 not in English);
- 10 fault-ish tickets about other, unrelated things (a damaged item, one wrong charge, one
  password question, a late delivery...), each alone;
- 4 customers who write twice, the second message 5 to 40 minutes after the first (``group``:
  ``repeat-<the first message's id>`` on both): 2 plain repeats (one of them about the failing
  checkout), 2 adding a detail (one of them about the failing checkout);
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

SEED = 9909
WEEK_SEED = 99
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2027, 2, 9, 11, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout9.jsonl"

CHECKOUT = (
    (
        "Can't complete my order",
        "I've been trying to buy the {p} for the last twenty minutes. Everything is fine until "
        "I press 'Place order', then nothing happens at all. The button just sits there.",
    ),
    (
        "Is something wrong on your end?",
        "Every time I enter my card details I get 'Something went wrong, please try again "
        "later'. Tried three times now. Is your site having problems?",
    ),
    (
        "Payment page keeps spinning",
        "After I click pay the page shows the loading circle forever and never comes back. "
        "I don't know if I've been charged or not.",
    ),
    (
        "card not accepted",
        "your site says my card number is invalid. it isnt, I used it in another shop five "
        "minutes ago. tried my husbands visa as well, same thing",
    ),
    (
        "Unable to buy anything",
        "This is ridiculous. I have a basket full of stuff and you won't let me pay for it. "
        "If this isn't fixed today I'm buying the {p} somewhere else.",
    ),
    (
        "Order button doesn't work",
        "Hi, the button at the end to confirm the order does nothing when I click it. I've "
        "already tried Chrome and Firefox and cleared my cookies. Could you look into it?",
    ),
    (
        "Error at the last step",
        "Got as far as the last step and it says 'Error 502 - payment could not be processed'. "
        "What does that mean? I just want my {p}.",
    ),
    (
        "chekout broken??",
        "cant get past the paymnet bit, it just goes back to the basket every time",
    ),
    (
        "Why can't I pay?",
        "Is there a problem with taking payments today? PayPal and card both fail for me. "
        "My order for the {p} is stuck.",
    ),
    (
        "Lost my order twice now",
        "I filled in the address and card details twice and both times the page timed out and "
        "I had to start again. Very frustrating. Is anyone working on this?",
    ),
    (
        "Trying to order a gift",
        "Hello, I need the {p} as a birthday present for Saturday, but I can't finish the "
        "purchase, the site freezes when I confirm. Is there another way to place the order?",
    ),
    (
        "Your shop is taking my money?",
        "It said 'transaction failed' but my banking app shows a pending amount. I've got "
        "no order confirmation. What is going on?",
    ),
    (
        "Apple Pay not working",
        "Apple Pay fails at your shop since this morning, and the normal card option shows a "
        "blank box where you type the number. Works fine everywhere else.",
    ),
    (
        "Absolutely useless website",
        "Third time I try to order and third time it crashes at the end. Sort it out. How "
        "hard is it to take someone's money???",
    ),
    (
        "Problem placing an order in the app",
        "In the app I tap 'Buy now' on the {p}, choose my card and get a red message saying "
        "the order could not be completed. I've restarted my phone already. Any idea?",
    ),
)
CHECKOUT_SHORT = (
    ("cant pay", ""),
    ("checkout down?", ""),
    ("order wont go through", ""),
    ("stuck at payment", ""),
    ("Pay button broken", ""),
)
CHECKOUT_OTHER = (
    (
        "Bezahlung funktioniert nicht",
        "Ich kann meine Bestellung nicht abschließen, nach dem Klick auf 'Jetzt kaufen' kommt "
        "nur eine Fehlermeldung. Was ist da los?",
    ),
    (
        "Impossible de payer",
        "Bonjour, impossible de valider ma commande, la page de paiement tourne dans le vide. "
        "J'ai essayé deux cartes différentes.",
    ),
    (
        "No puedo pagar",
        "¿Hay algún problema con la web? Al pagar el {p} me sale un error y no se completa el "
        "pedido.",
    ),
    (
        "Non riesco a completare l'ordine",
        "Il pulsante per confermare l'acquisto non fa niente. Succede anche a voi?",
    ),
    (
        "Betalen lukt niet",
        "Ik probeer al een half uur te bestellen maar bij het afrekenen krijg ik steeds een "
        "foutmelding.",
    ),
)
CANCEL = (
    ("Cancel order {o}", "Please cancel it, I ordered the wrong colour of the {p}."),
    ("how to cancel", "how do I cancel my order?"),
    (
        "Cancelling my subscription",
        "Hello, I'd like to stop my monthly coffee subscription from next month. Where do I "
        "do that in my account?",
    ),
    (
        "CANCEL MY ORDER",
        "I have asked twice already. Cancel order {o} right now, I don't want it anymore!!",
    ),
    (
        "Can I still cancel?",
        "I placed order {o} about an hour ago. Is it too late to cancel it?",
    ),
    (
        "Please stop the order",
        "Ordered the {p} by accident, my kid was using my phone. Can you cancel order {o}?",
    ),
    ("cancel", "cancel order {o} thx"),
    (
        "Cancel one item only",
        "Can I remove just the {p} from order {o}? The rest can ship as normal.",
    ),
    (
        "End my membership",
        "I don't use my premium membership enough, how do I cancel it before it renews?",
    ),
    (
        "Where is the cancel button?",
        "Your help page says I can cancel in 'My orders' but I see no button for order {o}.",
    ),
    (
        "Found it cheaper",
        "Found the {p} cheaper locally, so I'd like to cancel order {o} if it hasn't left yet.",
    ),
    (
        "Still no reply about cancelling",
        "I wrote this morning. I need order {o} cancelled before it ships. Please hurry.",
    ),
    (
        "Cancellation",
        "Dear team, kindly cancel my order {o} and refund the payment. Kind regards",
    ),
    (
        "Stop my subscription",
        "I'm moving abroad, please cancel the subscription on my account from today.",
    ),
    (
        "Will I get charged if I cancel?",
        "If I cancel my yearly plan now, do I pay a fee or get anything back?",
    ),
    ("Duplicate order", "I placed order {o} twice by mistake, please cancel one of them."),
    (
        "Cancel before delivery",
        "Don't need the {p} any more, please cancel order {o} before the courier takes it.",
    ),
    ("Auftrag stornieren", "Bitte stornieren Sie meine Bestellung {o}, danke."),
    ("Annuler ma commande", "Comment puis-je annuler la commande {o} ? Merci."),
    ("Cancellare abbonamento", "Vorrei cancellare il mio abbonamento mensile, come faccio?"),
)
REFUND = (
    ("Refund for returned item", "I sent the {p} back on {d}. When will I get my money?"),
    ("where is my refund", "returned order {o} ages ago, still nothing on my card"),
    (
        "Return received but no refund",
        "Your tracking shows the return arrived {n} days ago, but order {o} is not refunded.",
    ),
    (
        "How long do refunds take?",
        "Once you receive a return, how many days until the money is back on my account?",
    ),
    (
        "Still waiting!!",
        "{n} days since I returned the {p}. I want my refund now, not next month.",
    ),
    (
        "Refund method",
        "I paid with a gift card for order {o}. Where does the refund for my return go?",
    ),
    (
        "Only part refunded",
        "I returned all three items of order {o} but was only refunded for one.",
    ),
    ("refund?", "sent back the {p} last week, what's happening with the refund"),
    (
        "Has my return arrived?",
        "Can you check if you have my return for order {o} and when the refund is due?",
    ),
    (
        "Returned with the prepaid label",
        "I dropped off the {p} at the post office on {d} with your label. Please refund me.",
    ),
    (
        "Refund confirmed but not received",
        "You emailed me that the refund is done, but my bank shows nothing after a week.",
    ),
    (
        "Shipping cost on refund",
        "Will the delivery charge be refunded too for the {p} I sent back?",
    ),
    (
        "Wrong refund amount",
        "The refund for my returned {p} is less than what I paid. Can you explain?",
    ),
    (
        "Refund for {o} overdue",
        "Returned three weeks ago. If the refund isn't here by Friday I'll dispute it.",
    ),
    (
        "Store credit instead of refund?",
        "I got store credit for the {p} I sent back, but I asked for my money back.",
    ),
    (
        "Refund for a return from the shop",
        "I returned an online order in one of your shops on {d}. When is it refunded?",
    ),
    ("Erstattung", "Wann bekomme ich das Geld für die zurückgeschickte Bestellung {o}?"),
    ("Remboursement retour", "J'ai renvoyé le {p} il y a {n} jours et toujours rien."),
    ("Devolución", "Devolví el pedido {o} y no me han devuelto el dinero todavía."),
    ("Rimborso reso", "Quando arriva il rimborso per il {p} che ho restituito?"),
)
NOISE = (
    ("Arrived smashed", "The {p} came with the box crushed and it doesn't work. Order {o}."),
    (
        "Charge I don't recognise",
        "My statement shows 24.99 from you on {d}, but I didn't buy anything that day.",
    ),
    (
        "Forgot my password",
        "I don't get the reset email when I click 'forgot password'. What should I do?",
    ),
    (
        "Delivery is late",
        "Order {o} should have arrived on {d}. The tracking hasn't moved for days.",
    ),
    ("Wrong item sent", "I ordered the {p} but got a completely different product."),
    ("Missing piece", "Order {o}: the {p} is missing its charger."),
    (
        "Parcel left outside",
        "The courier left my parcel in the rain by the front door, it's soaked.",
    ),
    ("Change my address", "How do I update my delivery address for future orders?"),
    ("Faulty after a week", "The {p} stopped charging after a week, is it under warranty?"),
    ("Newsletter", "Please take me off your marketing emails, I get three a day."),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail; the first and the third are about the checkout.
TWICE = (
    (
        (
            "Cannot pay for my order",
            "I've tried to pay for the {p} four times and it fails each time at the end with "
            "an error. Please help.",
        ),
        ("Re: Cannot pay for my order", "any news?? still can't pay"),
    ),
    (
        (
            "Delivery date for {o}",
            "When will order {o} arrive? It says dispatched but there is no date.",
        ),
        ("Re: Delivery date for {o}", "Hello? Still waiting for an answer on this."),
    ),
    (
        (
            "order won't go through",
            "When I confirm my order for the {p} the site hangs and then shows an error page.",
        ),
        (
            "Re: order won't go through",
            "Forgot to mention: the error says 'PAY-504 gateway timeout', and it's the same on "
            "my phone.",
        ),
    ),
    (
        (
            "Exchange request",
            "The {p} from order {o} is the wrong colour, can I exchange it?",
        ),
        (
            "Re: Exchange request",
            "I'd like it in black please, I still have the original packaging.",
        ),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*CHECKOUT, *CHECKOUT_SHORT, *CHECKOUT_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=21000,
    burst_customers=23000,
    twice_customers=20900,
    twice_reporting=(0, 2),  # the first and the third pair are about the checkout
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
