"""Write ``tests/data/incident_hour_heldout6.jsonl`` and ``incident_hour_heldout6_refund.jsonl``:
a sixth incident hour nobody tuned on, and its twin with another request burst.

    python scripts/write_incident_heldout6.py                    # writes both files (deterministic)
    python scripts/write_incident_heldout6.py --out /tmp/h.jsonl # the twin goes beside it

The background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
seven days before a fixed "now", solved; its own seed), its last hour replaced by one written
apart from the gate, the guards, the grouping and every earlier hour's fault, by an author who
did not read them:

- 25 customers report ONE new fault: the product pictures no longer load anywhere in the shop
  (grey boxes, broken-image icons, empty galleries; the image server down while the rest of the
  site works), in their own words: 15 in English (several never say "image", "picture" or
  "photo", a few with typos, some as questions), 5 short (2-4 words), 5 not in English (de, fr,
  es, it, pt); ``group``: ``outage``;
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

SEED = 6606
WEEK_SEED = 66
# A fixed "now", so that the files are the same on every run.
NOW = calendar.timegm((2026, 12, 10, 10, 0, 0, 0, 0, 0))
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
OUT = DATA / "incident_hour_heldout6.jsonl"

IMAGES = (
    (
        "Pictures not loading",
        "None of the product pictures load on your website, I just get grey boxes with a little "
        "broken icon in the corner. Makes it hard to choose a {p}.",
    ),
    (
        "Is something wrong on your side today?",
        "The shop looks really odd this morning: white squares everywhere with the names of the "
        "items underneath. Same on my laptop and on my phone.",
    ),
    (
        "{p} - what does it look like?",
        "I wanted to see the colours of the {p} but nothing shows above the description, only "
        "the words 'product main'. Could you send me a picture?",
    ),
    (
        "images broken",
        "all the images on the site are broken for me since about 9, the rest of the page works",
    ),
    (
        "Website half broken",
        "Your website loads but without any of the photos, banners or thumbnails, just the text "
        "and the prices. Please fix it, I was about to order.",
    ),
    (
        "No photos in the app",
        "In the app every product shows a grey placeholder instead of its photo. I reinstalled "
        "the app, no change.",
    ),
    (
        "Zoom doesn't work",
        "When I click on the {p} to zoom in, the gallery opens but stays empty and the wheel "
        "keeps turning forever.",
    ),
    (
        "blank squares",
        "why is every thing on your site a blank square? cant see what im buying",
    ),
    (
        "Problem with the product pages",
        "Good morning, on every product page the big picture at the top does not appear. I "
        "tried Firefox and Edge and cleared the cache. Could you have a look? Kind regards",
    ),
    (
        "Picutres missing",
        "The picutres of the items dont show up, only a small torn-paper icon. Are you updating "
        "the site?",
    ),
    (
        "Can you email me photos of the {p}?",
        "Your shop is not showing any images today so I can't see the {p} before I buy it. "
        "Could you email me a couple of photos?",
    ),
    (
        "Thumbnails gone",
        "The search results and the category pages have no thumbnails any more, I am scrolling "
        "through a list of names. Was that on purpose?",
    ),
    (
        "the site looks broken",
        "Nothing visual loads, its all empty boxes with a loading spinner that never stops. The "
        "text is fine.",
    ),
    (
        "Are you having technical problems?",
        "I can't see how anything in your shop looks right now, where the items should be shown "
        "there is only grey. Has anyone else told you?",
    ),
    (
        "Wishlist all grey",
        "My wishlist shows 8 grey rectangles with a crossed-out little mountain symbol, I can't "
        "tell which is the {p} any more.",
    ),
)
IMAGES_SHORT = (
    ("no pictures showing", ""),
    ("images not loading??", ""),
    ("Photos broken", "everywhere"),
    ("cant see products", ""),
    ("grey boxes everywhere", "?"),
)
IMAGES_OTHER = (
    (
        "Keine Bilder im Shop",
        "Seit heute Vormittag werden bei keinem Artikel die Produktbilder angezeigt, nur graue "
        "Kästen.",
    ),
    (
        "Les photos ne s'affichent pas",
        "Bonjour, aucune image ne se charge sur votre site, je ne vois pas à quoi ressemble le "
        "{p}. C'est normal ?",
    ),
    (
        "¿No cargan las fotos?",
        "En la tienda no se ve ninguna foto de los productos, solo recuadros vacíos.",
    ),
    ("Immagini non visibili", "Le immagini dei prodotti non si caricano, né sul sito né nell'app."),
    (
        "As fotos não aparecem",
        "Nenhuma imagem dos produtos aparece no site hoje, só quadrados cinzentos. Está tudo "
        "bem convosco?",
    ),
)
CANCEL = (
    ("Cancel order {o}", "Hi, I'd like to cancel order {o} please, I ordered the wrong {p}."),
    ("how to cancel", "how do i cancel an order i just placed?"),
    (
        "Cancelling my subscription",
        "Hello, I'd like to stop my coffee subscription at the end of this month. How do I do "
        "that?",
    ),
    (
        "Please cancel!!",
        "I've been looking for 20 minutes for a way to cancel order {o}. Just cancel it, please, "
        "today.",
    ),
    (
        "Changed my mind",
        "Can I still cancel the {p} I ordered this morning? It says 'being prepared'.",
    ),
    ("Subscription", "How do I end my monthly plan? There's no cancel option in the app."),
    ("Cancel", "cancel {o}"),
    (
        "Cancel one item",
        "Is it possible to take only the {p} off order {o} and keep the rest?",
    ),
    (
        "Duplicate order - cancel one",
        "I pressed order twice by accident. Please cancel the second one, {o}.",
    ),
    (
        "Why can't I cancel online?",
        "There is no cancel button next to order {o} in my account. Do I have to phone you to "
        "cancel it?",
    ),
    (
        "End membership",
        "I want to end my premium membership, please confirm when it is done.",
    ),
    (
        "Stop order before it ships",
        "Order {o} hasn't shipped yet. Please cancel it before it goes out.",
    ),
    ("No longer needed", "I don't need the {p} any more, how can I cancel the order?"),
    ("cancel my order NOW", "Second email about this. CANCEL ORDER {o}. I do not want it."),
    (
        "Question about cancelling",
        "If I cancel my subscription today, do I still get this month's box?",
    ),
    ("Order cancellation", "Dear team, kindly cancel my order {o}. Thank you in advance."),
    (
        "wrong address, cancel?",
        "I put the wrong address on order {o}, it's easier to cancel it and order again. How do "
        "I cancel?",
    ),
    (
        "Bestellung stornieren",
        "Wie kann ich meine Bestellung {o} stornieren? Sie ist noch nicht verschickt.",
    ),
    ("Annulation commande", "Je voudrais annuler ma commande {o}, merci de me confirmer."),
    ("Cancelar suscripción", "¿Cómo cancelo mi suscripción mensual? No encuentro la opción."),
)
REFUND = (
    ("Refund for returned {p}", "I sent the {p} back on {d}. When will the refund arrive?"),
    ("refund?", "returned order {o} last week, no money yet"),
    (
        "Return received but no refund",
        "Your tracking shows you got my return parcel {n} days ago. Where is my refund for order "
        "{o}?",
    ),
    (
        "How long do refunds take?",
        "I returned an item yesterday. How long until I see the money on my card?",
    ),
    (
        "Still no money back!",
        "It has been {n} days since I returned the {p}. This is ridiculous, I want my refund.",
    ),
    (
        "Refund to PayPal?",
        "I paid order {o} with PayPal and sent it back. Will the money go back to PayPal?",
    ),
    (
        "Only part refunded",
        "I returned two things from order {o} and only got money back for one of them.",
    ),
    ("refund status", "whats the status of my refund for the {p}"),
    (
        "Returned parcel",
        "Hello, could you check whether my return for order {o} has arrived and the refund is "
        "being processed?",
    ),
    ("Money for my return", "Sent back the {p} with your free label on {d}, please refund."),
    (
        "Refund email but nothing in the bank",
        "You emailed me three days ago that my refund was issued but there is nothing in my bank "
        "account.",
    ),
    (
        "Returned a present",
        "I received the {p} as a present and returned it. Who gets the refund, me or the buyer?",
    ),
    (
        "Refund smaller than what I paid",
        "I returned the {p} but the refund is 5 euros less than I paid. Why?",
    ),
    (
        "I want my refund",
        "Third week waiting for the refund of order {o}. Please sort this out today.",
    ),
    (
        "Return and refund question",
        "Do you also refund the delivery cost when I send an item back?",
    ),
    (
        "Money not voucher",
        "I returned the {p} and got a voucher for it. I want the money back, not a voucher.",
    ),
    (
        "Rückerstattung fehlt",
        "Ich habe die Bestellung {o} zurückgeschickt, aber noch kein Geld erhalten.",
    ),
    ("Remboursement retour", "J'ai retourné la commande {o}, quand vais-je être remboursé ?"),
    ("Reembolso pendiente", "Devolví el artículo hace {n} días y sigo sin reembolso."),
    ("Reembolso da devolução", "Devolvi a encomenda {o}, quando recebo o reembolso?"),
)
NOISE = (
    (
        "Damaged on arrival",
        "The {p} arrived with a dent and it doesn't close properly. Order {o}.",
    ),
    (
        "Charge I don't recognise",
        "There is a charge of 39.00 from you on my card statement but I have no order for that "
        "amount.",
    ),
    (
        "Password question",
        "How often do I have to change my password? Your site asked me to set a new one.",
    ),
    (
        "Late delivery",
        "Order {o} was due yesterday and its delivery status hasn't changed for 3 days.",
    ),
    ("Wrong size in the box", "I ordered the {p} in M and got an XL."),
    (
        "Parcel left with a neighbour",
        "The courier says delivered but it was left with a neighbour I don't know.",
    ),
    ("Part missing", "The {p} came without its lid. Order {o}."),
    ("Company name on invoice", "Can you put my company name on the invoice for order {o}?"),
    ("Promo question", "Does the winter promotion also apply to items already on sale?"),
    ("Stopped working", "My {p} stopped working after two weeks. Is it under warranty?"),
)
# Each pair: the first message and the second, about the same product and order. The first two
# are plain repeats, the last two add a detail.
TWICE = (
    (
        (
            "Delivery date for order {o}",
            "When will order {o} be delivered? It says dispatched but there is no date.",
        ),
        ("any news??", "any news on {o}??"),
    ),
    (
        ("Change delivery address", "Can I still change the delivery address for order {o}?"),
        (
            "Re: Change delivery address",
            "Hello? No answer yet, can you change the address or not?",
        ),
    ),
    (
        (
            "Present for my mother",
            "Can you send the {p} straight to my mother, with no price on the packing slip?",
        ),
        (
            "Re: Present for my mother",
            "Her address is 12 Elm Street, Leeds, and please add the note 'Love, Tom'. Order {o}.",
        ),
    ),
    (
        (
            "Warranty card missing",
            "The {p} from order {o} came without a warranty card, do I need one?",
        ),
        ("warranty card", "Also the serial number sticker is missing, in case that matters."),
    ),
)


HELD_OUT = ShopHour(
    now=NOW,
    seed=SEED,
    week_seed=WEEK_SEED,
    outage=(*IMAGES, *IMAGES_SHORT, *IMAGES_OTHER),
    noise=NOISE,
    twice=TWICE,
    cancel=CANCEL,
    refund=REFUND,
    customers=7000,
    burst_customers=8000,
    twice_customers=6900,
)


def main(argv: list[str] | None = None) -> int:
    return write_twins(HELD_OUT.lines, OUT, argv, __doc__)


if __name__ == "__main__":
    raise SystemExit(main())
