"""Development hours for the incident grouping: four outages none of the held-out hours has,
each beside tickets of a neighbouring but different problem, so the grouping's values can be
chosen on hours that are neither the checkout hour's words nor a held-out hour's.

``dev_hour(fault, now=..., seed=...)`` gives a week of 800 ordinary tickets (the shop's
ordinary kinds of ``incident_scenario``, and now and then a ticket of each dev hour's
neighbouring problems, so the window knows them) and the last hour:

- 25 customers report the hour's fault: 15 in English in their own words (some never name the
  broken thing: "it just closes"), 5 short ("app crashing??"), 5 not in English;
- 6 tickets of a neighbouring but different problem (one customer's wrong charge beside
  everyone charged twice; the app's notifications beside the app crashing): each stands alone;
- 20 customers asking for the same thing (a request burst), 30 ordinary tickets, 8 payment
  questions.

The week also holds about five of each dev hour's neighbouring problems, as a shop's week
would. The faults: ``app`` (the mobile app closes at start), ``search`` (the shop's search
returns nothing or an error), ``codes`` (every discount code rejected), ``charged`` (every
card charged twice). Written for development by the project; never used as a held-out figure.
``write_dev_hour`` writes one as a file for ``ticketbot eval --grouping`` (``kind``:
``neighbour`` marks the neighbouring problem's tickets, which eval reads as standing alone).
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from support.incident_scenario import (
    _CANCEL,
    _ORDINARY,
    _PAYMENT,
    DAY,
    HOUR,
    _customer,
    _fill,
    iso,
)

Template = tuple[str, str]

APP = (
    ("App crashes on startup", "Since this morning the app closes straight away when I open it."),
    ("Your app stopped working", "I tap the icon, see the logo for a second and it's gone."),
    (
        "Can't use the app anymore",
        "Wanted to check my order {o} but the app shuts itself down before anything loads.",
    ),
    ("app keeps closing", "opens and closes immediately, tried restarting my phone"),
    ("It just closes", "Every time I try to open it on my iPhone it just closes. Please help."),
    (
        "Mobile app broken after update",
        "After today's update the shop app crashes as soon as it starts. Android 14.",
    ),
    ("App won't open", "The app will not open at all, it quits on the splash screen."),
    (
        "Problem with your application",
        "Hello, the application on my phone quits the moment I launch it. Reinstalled it, "
        "same thing. I wanted to buy the {p}.",
    ),
    ("crash", "your app crashes every single time I start it"),
    ("Nothing loads on my phone", "White screen then it closes. Worked fine yesterday."),
    ("App force closes", "Getting 'the app has stopped' on launch, every time."),
    (
        "Is the app down?",
        "My wife and I both can't open the shop app today, it crashes on both our phones.",
    ),
    ("Can't open", "It flashes and disappears when I tap it. Same on my tablet."),
    ("app not starting", "The app no longer starts after the update last night."),
    (
        "Help, app crashing",
        "I cannot track order {o} because the app crashes on opening. Please fix this.",
    ),
)
APP_SHORT = (
    ("app crashing??", ""),
    ("app wont open", ""),
    ("App down?", "keeps crashing"),
    ("app broken", "closes"),
    ("crashes on start", ""),
)
APP_OTHER = (
    ("App stürzt ab", "Die App schließt sich sofort nach dem Öffnen."),
    ("L'application plante", "L'appli se ferme dès que je l'ouvre depuis ce matin."),
    ("La app se cierra", "La aplicación se cierra nada más abrirla."),
    ("App si chiude", "L'app si blocca e si chiude appena la apro."),
    ("App crasht", "De app sluit meteen af als ik hem open."),
)
APP_NEIGHBOURS = (
    ("No push notifications", "The app does not send me notifications when my order ships."),
    ("App shows the wrong language", "The app is in German although my phone is in English."),
    ("Dark mode in the app?", "Is there a way to turn on dark mode in the app?"),
    ("App logs me out", "The app asks me to log in again every time, can it remember me?"),
    ("Notifications stopped", "I used to get a notification when the {p} was delivered."),
    ("App on my old phone", "Does the app still support iOS 14? I can't find it in the store."),
)
APP_BURST = (
    ("Delete my account", "Please delete my customer account and all my data."),
    ("How do I close my account?", "I don't shop with you anymore, how do I remove my account?"),
    ("Account deletion", "I would like my account deleted, thank you."),
    ("Remove my data", "Under GDPR please erase my account and personal data."),
    ("close account", "can you delete my account please"),
    ("Konto löschen", "Bitte löschen Sie mein Kundenkonto."),
    ("Supprimer mon compte", "Merci de supprimer mon compte client."),
    ("Cancel my membership", "How do I delete my profile and stop all emails?"),
)

SEARCH = (
    ("Search not working", "Whatever I type into the search box, I get 'no results'."),
    ("Your search is broken", "Searched for {p}, then for shoes, then jacket: nothing found."),
    (
        "Can't find anything on the site",
        "The search bar gives an error page for every word I try since about an hour.",
    ),
    ("search returns nothing", "even 'shirt' returns zero products, something's wrong"),
    ("Search error", "I get 'Something went wrong' whenever I search for a product."),
    (
        "Looking for the {p}",
        "I know you sell the {p} but when I type it in the search field it finds nothing. "
        "Yesterday it did.",
    ),
    ("No results for anything", "The search on your website shows no results at all."),
    (
        "Website problem",
        "Typing in the box at the top and pressing enter just shows an empty page.",
    ),
    ("Search page blank", "The search results page stays blank, on phone and laptop."),
    ("Product search down?", "Is the product search down? Nothing comes up."),
    (
        "Nothing comes up",
        "Hi, I'm trying to find a present and nothing comes up when I look for the {p}.",
    ),
    ("search gives error 500", "search gives error 500 for every query"),
    ("Can't search", "The magnifying glass does nothing and Enter gives an error."),
    ("Search broken?", "Your shop finds nothing at all today, not even brands you sell."),
    ("Empty search results", "Every search ends in 'we couldn't find any matches'."),
)
SEARCH_SHORT = (
    ("search broken??", ""),
    ("search not working", ""),
    ("no search results", "at all"),
    ("search down?", ""),
    ("search error", "again"),
)
SEARCH_OTHER = (
    ("Suche funktioniert nicht", "Die Suche auf der Seite findet gar nichts mehr."),
    ("La recherche ne marche pas", "La recherche du site ne donne aucun résultat."),
    ("El buscador no funciona", "El buscador de la web no encuentra nada."),
    ("Ricerca non funziona", "La ricerca sul sito non trova nessun prodotto."),
    ("Zoeken werkt niet", "De zoekfunctie geeft steeds een foutmelding."),
)
SEARCH_NEIGHBOURS = (
    ("Blue {p}?", "I can't find the {p} in blue anymore, have you stopped selling it?"),
    ("Size filter", "The size filter doesn't have XL for the {p}, is it sold out?"),
    ("Photos missing", "The product page of the {p} shows no photos, only grey boxes."),
    ("Out of stock?", "The {p} says out of stock, when will it be back?"),
    ("Wrong price shown", "The {p} shows a different price in the list than on its page."),
    ("Compare products", "Is there a way to compare two {p}s side by side on your site?"),
)
SEARCH_BURST = (
    ("Black Friday sale", "When does your Black Friday sale start this year?"),
    ("Black Friday?", "Will the {p} be discounted on Black Friday?"),
    ("Sale dates", "Can you tell me the dates of the Black Friday sale?"),
    ("Black Friday deals", "Hi, what discounts will you have on Black Friday?"),
    ("sale", "when is black friday sale"),
    ("Black Friday Angebote", "Ab wann gibt es die Black-Friday-Angebote?"),
    ("Soldes Black Friday", "Quand commencent vos promotions du Black Friday ?"),
    ("Early access?", "Do newsletter subscribers get early access to the Black Friday sale?"),
)

CODES = (
    ("Discount code not working", "Every code I try says 'invalid', even this week's WINTER20."),
    ("Promo code rejected", "The newsletter code is rejected at checkout, it is not expired."),
    (
        "None of the codes work",
        "I tried my birthday code and the newsletter one, both say they are not valid.",
    ),
    ("voucher error", "the voucher field says 'something went wrong' for any code"),
    ("Code invalid", "Your code from today's email is invalid at checkout. Tried twice."),
    (
        "Can't apply my discount",
        "When I press Apply the page says the code does not exist. My friend has the same.",
    ),
    ("Coupon doesn't apply", "Entered the coupon for the {p}, it just says error."),
    (
        "Newsletter offer",
        "Your email this morning promised 20% off but the site refuses it: 'not valid'.",
    ),
    ("Code from the email fails", "It's not expired and I haven't used it, still refused."),
    ("Discount broken", "No discount code is accepted today, it used to work."),
    ("Error when applying code", "Applying any promo code gives an error message."),
    (
        "20% off not accepted",
        "Hi, I got the 20% off code and it fails every time I enter it for the {p}.",
    ),
    ("codes not valid?", "all your codes show as invalid right now"),
    ("Voucher not accepted", "My gift voucher code is rejected with 'error' at the basket."),
    ("The offer doesn't work", "Tried the code on phone and laptop, always refused."),
)
CODES_SHORT = (
    ("discount code broken??", ""),
    ("code not working", ""),
    ("promo code error", ""),
    ("voucher rejected", "why"),
    ("codes invalid?", ""),
)
CODES_OTHER = (
    ("Rabattcode funktioniert nicht", "Jeder Gutscheincode wird als ungültig abgelehnt."),
    ("Code promo refusé", "Mon code promo est refusé, le site dit qu'il n'est pas valable."),
    ("El código no funciona", "El código de descuento da error al aplicarlo."),
    ("Codice sconto non valido", "Il codice sconto viene rifiutato alla cassa."),
    ("Kortingscode werkt niet", "Elke kortingscode geeft een foutmelding."),
)
CODES_NEIGHBOURS = (
    ("Code expired", "My code expired yesterday, could you extend it for me?"),
    ("Only one item discounted", "The code only took 20% off the {p}, not the whole order."),
    ("Two codes at once?", "Can I use my birthday code and the newsletter code together?"),
    ("Forgot to use my code", "I placed order {o} and forgot the discount code, can you add it?"),
    ("Gift card balance", "My gift card shows a balance of 0 but I never used it."),
    ("Student discount", "Do you have a student discount?"),
)
CODES_BURST = (
    ("Where do I enter the code?", "Where on the site do I type the newsletter code?"),
    ("How to use my code", "How do I use the discount code from your email?"),
    ("Newsletter code", "Is the 20% newsletter code valid on sale items too?"),
    ("Code question", "Can I use the code for the {p}?"),
    ("discount", "how do i use the newsletter discount"),
    ("Gutscheincode", "Wo gebe ich den Gutscheincode ein?"),
    ("Code de réduction", "Où dois-je saisir le code de la newsletter ?"),
    ("Minimum order?", "Is there a minimum order for the newsletter code?"),
)

CHARGED = (
    ("Charged twice", "My card was charged twice for order {o}, both today."),
    ("Double payment", "I see the same amount taken two times from my account for one order."),
    (
        "You took my money twice",
        "I placed one order for the {p} and my bank shows two identical payments.",
    ),
    ("duplicate charge", "got charged 2x for a single order just now"),
    ("Paid twice?", "My banking app shows two payments to your shop a minute apart."),
    (
        "Two debits for one purchase",
        "Hello, one purchase, two debits on my card this afternoon. My sister had the same.",
    ),
    ("Double charge today", "Every order I place today charges my card twice."),
    ("Card billed two times", "Please check, my credit card was billed two times for {o}."),
    ("Same amount taken twice", "Bought the {p} an hour ago, the amount left my account twice."),
    ("Charged double", "You charged me double for my order this morning."),
    ("Overcharged", "I was billed twice for the same order, please look into it."),
    (
        "Two transactions",
        "There are two transactions for my one order on my statement, placed today.",
    ),
    ("Please refund the second payment", "The checkout took the payment twice from my card."),
    ("billing problem", "your site took 2 payments for one order"),
    ("Charged 2 times", "My PayPal shows I paid twice for order {o}. Only ordered once."),
)
CHARGED_SHORT = (
    ("charged twice??", ""),
    ("double charged", ""),
    ("paid 2x", "one order"),
    ("charged two times", ""),
    ("double payment", "help"),
)
CHARGED_OTHER = (
    ("Doppelt abgebucht", "Meine Karte wurde für eine Bestellung zweimal belastet."),
    ("Débité deux fois", "J'ai été débité deux fois pour la même commande."),
    ("Cobro duplicado", "Me habéis cobrado dos veces el mismo pedido."),
    ("Addebitato due volte", "Mi avete addebitato due volte lo stesso ordine."),
    ("Twee keer betaald", "Er is twee keer geld afgeschreven voor één bestelling."),
)
CHARGED_NEIGHBOURS = (
    ("Unknown charge", "There is a charge from you on my card for a {p} I never ordered."),
    ("Wrong amount", "I was charged 49 euros for order {o} but the price was 39."),
    ("Shipping charged", "You charged me shipping although the order was over 50 euros."),
    ("Charge after cancelling", "I cancelled order {o} but the charge is still on my card."),
    ("Pending payment", "My bank shows a pending payment for a failed order, will it go?"),
    ("VAT on my invoice", "Why was VAT charged on order {o}? I'm a business customer."),
)
CHARGED_BURST = (
    ("Change payment method", "Can I change the payment method of order {o} to PayPal?"),
    ("Pay another way", "I'd like to pay order {o} by bank transfer instead of card."),
    ("Switch to invoice", "Could I switch order {o} to pay by invoice?"),
    ("Payment method", "How do I change the card I pay with for order {o}?"),
    ("change card", "need to change the card on my order"),
    ("Zahlungsart ändern", "Kann ich die Zahlungsart für Bestellung {o} ändern?"),
    ("Changer de moyen de paiement", "Puis-je payer ma commande {o} autrement ?"),
    ("New card", "My card expired, can you use my new one for order {o}?"),
)

FAULTS: dict[str, tuple[tuple[Template, ...], ...]] = {
    "app": (APP, APP_SHORT, APP_OTHER, APP_NEIGHBOURS, APP_BURST),
    "search": (SEARCH, SEARCH_SHORT, SEARCH_OTHER, SEARCH_NEIGHBOURS, SEARCH_BURST),
    "codes": (CODES, CODES_SHORT, CODES_OTHER, CODES_NEIGHBOURS, CODES_BURST),
    "charged": (CHARGED, CHARGED_SHORT, CHARGED_OTHER, CHARGED_NEIGHBOURS, CHARGED_BURST),
}


def dev_hour(fault: str, *, now: int, seed: int = 5, n_week: int = 800) -> list[dict[str, Any]]:
    """One dev hour as labelled rows (``ticketbot eval --grouping``'s fields), oldest first."""
    english, short, other, neighbours, burst = FAULTS[fault]
    rng = random.Random(f"{fault}-{seed}")
    rows: list[dict[str, Any]] = []

    def add(template: Template, at: int, status: str, **labels: Any) -> None:
        subject, body = _fill(rng, template)
        rows.append(
            {
                "subject": subject,
                "body": body,
                "requester": _customer(rng, len(rows)),
                "created_at": at,
                "status": status,
                **labels,
            }
        )

    every_neighbour = [t for kinds in FAULTS.values() for t in kinds[3]]
    for _ in range(n_week):
        at, draw = rng.randint(now - 7 * DAY, now - 2 * HOUR), rng.random()
        if draw < 0.08:
            add(rng.choice(_CANCEL), at, "solved")
        elif draw < 0.14:
            add(rng.choice(_PAYMENT), at, "solved")
        elif draw < 0.28:  # about five of each neighbouring problem a week
            add(rng.choice(every_neighbour), at, "solved", kind="neighbour")
        else:
            add(rng.choice(_ORDINARY), at, "solved")

    def recent() -> int:
        return rng.randint(now - HOUR + 60, now - 60)

    for template in (*english, *short, *other):
        form = "short" if template in short else "foreign" if template in other else None
        add(template, recent(), "open", group=fault, **({"form": form} if form else {}))
    for template in neighbours:
        add(template, recent(), "open", kind="neighbour")
    for number in range(20):
        add(burst[number % len(burst)], recent(), "open", request=f"{fault}-request")
    # The hour's ordinary tickets leave out the one kind that is the hour's fault in other
    # words (a code not accepted during the codes outage, a double charge during the charges').
    same = {"codes": "Discount code", "charged": "Double charge"}.get(fault, "\0")
    for _ in range(30):
        add(rng.choice([t for t in _ORDINARY if not t[0].startswith(same)]), recent(), "open")
    for _ in range(8):
        add(rng.choice([t for t in _PAYMENT if not t[0].startswith(same)]), recent(), "open")
    rows.sort(key=lambda r: r["created_at"])
    for number, row in enumerate(rows, 1):
        row["id"] = number
        row["created_at"] = iso(row["created_at"])
    return rows


def write_dev_hour(fault: str, path: Path, *, now: int, seed: int = 5) -> Path:
    rows = dev_hour(fault, now=now, seed=seed)
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    return path
