"""Write ``tests/data/incident_hour_heldout8.jsonl`` and ``incident_hour_heldout8_refund.jsonl``:
an eighth incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout8.py                    # writes both files (deterministic)
    python scripts/write_incident_heldout8.py --out /tmp/h.jsonl # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the grouping, the fault head and every earlier hour's fault, by an author who did
not read them:

- 25 customers report ONE new fault: the shop showing wrong prices (every price on the website
  and in the app blown up about a hundredfold, a 12.99 mug at 1,299.00, the basket and the
  product pages agreeing on the wrong figure; the pricing service failing while everything
  else works), in their own words: 15 in English (several never say "price", a few with typos,
  some as questions), 5 short (2-4 words), 5 not in English (de, fr, es, it, pt);
  ``group``: ``outage``;
- 20 customers ask how to cancel an order or their subscription (``request``: ``cancel``), in
  other words each, some impatient, 3 not in English; in the twin, 20 customers asking about the
  refund of an item they returned instead (``request``: ``refund``, 4 not in English);
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

SEED = 8808
WEEK_SEED = 88
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2027, 1, 14, 16, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout8.jsonl"

PRICES = (
    (
        "Prices on your website are wrong",
        "I was about to buy the {p} and it says 4,999.00. Last week it was 49.99. Is this a "
        "mistake or did you really put the price up that much?",
    ),
    (
        "Is something wrong on your side today?",
        "Everything I look at costs a fortune all of a sudden. A pack of batteries for over 300? "
        "Surely that can't be right.",
    ),
    (
        "1,299 for a mug??",
        "Your ceramic mug is listed at 1,299.00. I think someone forgot a decimal point.",
    ),
    (
        "basket total crazy",
        "put 2 things in my basket and the total is 8,650, should be about 86. not paying that",
    ),
    (
        "What happened to your prices?",
        "I have a wishlist with you and every single item is now a hundred times more expensive "
        "than yesterday. Is there a sale ending or is the site broken?",
    ),
    (
        "Cost of the {p}",
        "The app shows the {p} for an amount I'd pay for a used car. My friend sees the same on "
        "her phone. When will it be back to normal?",
    ),
    (
        "Can't order, amounts are absurd",
        "Good morning, I wanted to reorder what I bought on {d} but the figures shown next to "
        "each product are absurd, a tenner item now shows 1,000 and something. I will wait until "
        "you correct it. Regards",
    ),
    (
        "pricing error",
        "Theres a pricing eror on the whole site, everyting is x100",
    ),
    (
        "Will I be charged this amount?",
        "The checkout summary for the {p} says 2,450.00. If I place the order will my card "
        "really be charged that? I don't want to risk it.",
    ),
    (
        "Strange numbers on the product pages",
        "Hi, the product pages show very strange numbers today, the socks are 899 and the {p} is "
        "in the thousands. Is this a display problem?",
    ),
    (
        "Price in the app different from the email",
        "Your newsletter this morning said the {p} was 39.90 on offer. In the app it is 3,990. "
        "Which one is true?",
    ),
    (
        "Why so expensive today?",
        "was going to buy a present, but everything seems to have gone up massively overnight. "
        "what's going on",
    ),
    (
        "Order {o} shows a huge amount",
        "I placed order {o} an hour ago and now the confirmation in my account shows a total "
        "hundreds of times higher than what I saw on the page. Please check before you take the "
        "money!",
    ),
    (
        "Are you aware your site is showing nonsense prices?",
        "Just letting you know, every item I click on has a price with two extra zeros. Also "
        "the delivery charge shows 495.00.",
    ),
    (
        "Cannot buy anything",
        "I can't possibly buy the {p} at what your shop is asking now. Was it a typo by someone "
        "or a glitch?",
    ),
)
PRICES_SHORT = (
    ("prices all wrong", ""),
    ("Why 100x price?", ""),
    ("crazy prices", "whole shop"),
    ("wrong price shown", "on everything"),
    ("price glitch??", ""),
)
PRICES_OTHER = (
    (
        "Falsche Preise im Shop",
        "Alle Artikel kosten plötzlich das Hundertfache, der {p} steht bei über 2.000 Euro. "
        "Ist das ein Fehler?",
    ),
    (
        "Prix incohérents",
        "Bonjour, sur votre site tous les prix ont deux zéros de trop depuis ce matin. Est-ce "
        "qu'il y a un problème chez vous ?",
    ),
    (
        "Precios equivocados",
        "Todo en la tienda aparece carísimo, una taza a 1.299 euros. ¿Es un error?",
    ),
    (
        "Prezzi sbagliati",
        "Nell'app e sul sito i prezzi sono assurdi, cento volte più alti del solito.",
    ),
    (
        "Preços errados no site",
        "O carrinho mostra um total de milhares de euros para duas coisas pequenas. O que se "
        "passa?",
    ),
)
CANCEL = (
    (
        "Cancel my order please",
        "Hi, I'd like to cancel order {o}. I ordered the {p} twice by mistake.",
    ),
    ("cancel order", "how do i cancel an order"),
    (
        "Ending my membership",
        "I want to end my monthly box subscription. Which page do I do that on?",
    ),
    (
        "I SAID CANCEL",
        "This is my second message. Cancel order {o} now, I do not want the {p}.",
    ),
    (
        "Changed my mind",
        "I ordered the {p} this morning and changed my mind. Can it still be cancelled? Order {o}.",
    ),
    (
        "Unsubscribe from deliveries",
        "Please stop sending me the monthly parcel, cancel it from now.",
    ),
    ("cancel {o}", "pls cancel asap"),
    (
        "Cancel part of an order",
        "Is it possible to cancel only the {p} in order {o} and keep the rest?",
    ),
    (
        "Cancellation deadline",
        "Until when can I cancel an order? I placed {o} yesterday evening.",
    ),
    (
        "No cancel option",
        "In my account there is no option to cancel order {o}. Where is it? Your FAQ says there "
        "should be one.",
    ),
    (
        "Don't renew my plan",
        "My annual plan renews next week and I don't want it to. How do I cancel?",
    ),
    (
        "Stop my order before it ships",
        "Order {o} hasn't shipped yet, please cancel it, I found a closer shop.",
    ),
    ("No longer needed", "Hello, I don't need the {p} any more, please cancel the order."),
    (
        "Why is nobody answering",
        "Third email. I want order {o} cancelled. How hard can it be??",
    ),
    (
        "Cancel subscription - fees?",
        "If I cancel my subscription today, will I be charged a cancellation fee?",
    ),
    (
        "Cancellation request",
        "Dear Sir or Madam, I would like to cancel my order {o}. Thank you in advance.",
    ),
    (
        "Wrong address, cancel and reorder",
        "I put my old address on order {o}. Easiest to cancel it and order again, how do I do "
        "that?",
    ),
    ("Bestellung stornieren", "Wie kann ich meine Bestellung {o} stornieren? Danke."),
    (
        "Résilier mon abonnement",
        "Je voudrais résilier mon abonnement mensuel, comment faire ?",
    ),
    ("Anular mi pedido", "Por favor, anulen el pedido {o}, ya no lo necesito."),
)
REFUND = (
    ("Refund for my return", "I sent the {p} back on {d}. When will I be refunded?"),
    ("refund??", "returned {o} weeks ago, still no money"),
    (
        "You have my return, where is my money",
        "Tracking says you got my parcel back {n} days ago. No refund for order {o} yet.",
    ),
    (
        "Refund processing time",
        "How long does it take for a refund to show on my card once you receive a return?",
    ),
    (
        "Fed up waiting for my refund",
        "It's been {n} days since I returned the {p}. This is ridiculous, refund me.",
    ),
    (
        "Refund to PayPal?",
        "I paid order {o} with PayPal. Will the refund for my return go back there?",
    ),
    (
        "Partial refund only",
        "I returned the whole of order {o} but only got part of the money back.",
    ),
    ("refund status", "sent back the {p}, what's the status of my refund"),
    (
        "Did my return arrive?",
        "Please check if my return for order {o} has reached you and when I get my money.",
    ),
    (
        "Return sent with your label",
        "I dropped off the {p} with your free return label on {d}. Please refund it.",
    ),
    (
        "Refund email but no money",
        "I got an email saying my refund is done, but my bank account shows nothing yet.",
    ),
    (
        "Refund for a returned gift",
        "I returned a {p} I was given. Can I get the refund rather than the person who bought it?",
    ),
    (
        "Refund less than I paid",
        "The refund for the returned {p} is lower than the price I paid. Why?",
    ),
    (
        "Still waiting on refund for {o}",
        "Returned a month ago. I expect my refund this week or I'll contact my bank.",
    ),
    (
        "Delivery fee refunded?",
        "Do I get the shipping cost back too for the item I returned?",
    ),
    (
        "Voucher instead of refund",
        "You gave me a voucher for my returned {p}. I want the money back on my card please.",
    ),
    (
        "Rückerstattung fehlt",
        "Ich habe die Bestellung {o} zurückgeschickt, aber noch kein Geld bekommen.",
    ),
    ("Remboursement ?", "J'ai retourné le {p} il y a {n} jours, quand serai-je remboursé ?"),
    ("Reembolso pendiente", "Devolví el {p} hace {n} días y no he recibido el reembolso."),
    ("Rimborso", "Ho restituito l'ordine {o} ma non ho ancora ricevuto il rimborso."),
)
NOISE = (
    ("Broken on arrival", "The {p} came with a broken handle. Order {o}. Can I get a new one?"),
    (
        "Charge I don't know",
        "There is a payment of 18.40 to your company on my statement and I didn't order anything.",
    ),
    (
        "Reset password",
        "How do I change my password? I only find a link to change my email address.",
    ),
    (
        "Parcel late",
        "Order {o} was due on {d} and it still hasn't arrived, the courier has no update.",
    ),
    ("Sent the wrong size", "I ordered the {p} in medium and received a large."),
    (
        "Neighbour got my parcel",
        "The driver handed my parcel to a neighbour I don't know. Which house is it at?",
    ),
    ("Missing part", "The {p} from order {o} is missing two screws."),
    ("Company invoice", "Can the invoice for order {o} be made out to my company name?"),
    ("Loyalty card", "Do purchases in your physical stores also count for online points?"),
    ("Stopped working", "My {p} stopped working after three weeks. Warranty?"),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail.
TWICE = (
    (
        (
            "Where is order {o}?",
            "Order {o} was dispatched three days ago and I have no delivery date. When will it "
            "come?",
        ),
        ("still waiting", "any news?? still nothing"),
    ),
    (
        (
            "Change delivery day",
            "Can order {o} be delivered on Saturday instead? I'm away until then.",
        ),
        ("Re: Change delivery day", "Hello?? I need an answer about the delivery day please."),
    ),
    (
        (
            "Size exchange",
            "The {p} from order {o} is too small. Can I exchange it for a bigger one?",
        ),
        (
            "Re: Size exchange",
            "Forgot to say: I'd need one size up, and the same colour (navy) if possible.",
        ),
    ),
    (
        (
            "Assembly instructions",
            "The {p} from order {o} came without the assembly sheet. Can you send it?",
        ),
        ("instructions", "The code printed on the box is AB-2231, in case that helps."),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*PRICES, *PRICES_SHORT, *PRICES_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=13000,
    burst_customers=15000,
    twice_customers=12900,
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
