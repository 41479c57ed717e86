"""Outage hours in other words than ``incident_scenario``'s: what a fault looks like when the
customers each describe it their own way, and request bursts that are not faults.

``hour(n_ordinary, now, outage=..., burst=...)`` is ``incident_scenario.scenario``'s week and
hour (the same ordinary tickets, payment questions and repeat customers) with its outage and its
cancellation questions replaced:

- ``outage="checkout"``: 25 customers report the checkout failing, 20 in English (five of them
  short: "checkout broken??") and 5 not (de, fr, es, it, nl: "Zahlung geht nicht");
- ``outage="login"``: the second outage, written before the fault signal was tuned and kept out
  of its tuning (the held-out hour): 25 customers cannot sign in, 19 in English, 6 not;
- ``burst="cancel"``: 20 customers ask how to cancel an order; ``"refund"``: 20 ask about the
  refund of an item they returned; ``"address"`` (held out with the login outage): 20 ask to
  change the delivery address of an order.

Labels as ``incident_scenario``: ``outage``, the burst's name, ``payment``, ``ordinary``,
``repeat`` (with ``repeat_of``), ``repeat_first``, ``other_thing``. Deterministic for a seed.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from support.incident_scenario import _CANCEL, Hour, Spec, iso

CHECKOUT = (
    (
        "Checkout keeps failing",
        "I cannot buy anything, the checkout errors out at the payment step.",
    ),
    ("Can't check out", "The pay button does nothing. Tried twice."),
    ("site error when paying", "Getting a server error on the payment step, cart has a {p}."),
    ("Checkout is down", "Your checkout page just spins and then says something went wrong."),
    (
        "Payment failed again",
        "I have been trying to buy the {p} for 20 minutes, the payment step keeps failing with "
        "an error. My card is fine, it works everywhere else.",
    ),
    ("order won't go through", "Every time I hit Place order I get 'something went wrong'."),
    ("Is the shop down?", "Cannot finish my purchase, the checkout gives an error page."),
    (
        "Problem paying for my {p}",
        "Hello, at the last step of checkout the site shows an error and no order is created. "
        "Could you look into it? I really need the {p} this week.",
    ),
    ("checkout not loading", "stuck on the payment page, it never loads"),
    ("Error at checkout", "Gateway error when I confirm the payment. Tried Chrome and Safari."),
    (
        "Website broken",
        "I can add the {p} to my basket but checking out fails with an internal error.",
    ),
    ("can't pay", "payment not working"),
    (
        "Checkout fails",
        "Hi team, the checkout fails for me since this afternoon, error message after I enter "
        "my card details. Nothing is charged.",
    ),
    ("Your payment page is broken", "It crashes as soon as I submit my card."),
    ("unable to place order", "the order button throws an error, please fix"),
)
CHECKOUT_SHORT = (
    ("checkout broken??", ""),
    ("payment error", "cant pay"),
    ("Checkout down?", ""),
    ("checkout error", "won't work"),
    ("pay button broken", ""),
)
CHECKOUT_OTHER = (
    ("Zahlung geht nicht", "Ich komme an der Kasse nicht weiter, es kommt immer ein Fehler."),
    (
        "Paiement impossible",
        "Le paiement échoue à chaque fois avec un message d'erreur, je ne peux pas commander.",
    ),
    ("No puedo pagar", "La página de pago da error y no se completa el pedido."),
    ("Pagamento non funziona", "Il checkout non funziona, appare un errore quando pago."),
    ("Afrekenen werkt niet", "Bij het betalen krijg ik steeds een foutmelding."),
)
# Written before the fault signal's tuning and never looked at while tuning it.
LOGIN = (
    ("Can't log in", "My password is right but the login page says 'unexpected error'."),
    ("login broken", ""),
    (
        "Sign-in not working",
        "Since this morning I cannot sign in to my account, the page reloads and shows an error.",
    ),
    ("Account page down?", "I get a blank page after entering my email and password."),
    ("Error 500 on login", "Logging in gives error 500. Tried the app and the website."),
    ("cannot access my account", "the sign in keeps failing, nothing wrong with my password"),
    (
        "Login fails",
        "Hello, I wanted to check my order status but logging in fails every time with an "
        "error message. Reset the password, same thing.",
    ),
    ("app won't let me in", "After I type my password the app just says something went wrong."),
    ("sign in error", "sign in error again and again"),
    ("Your login is broken", "Nobody in my family can log in, all get an error."),
    ("Unable to log in", "The login button does nothing and then times out."),
    ("Login page crashing", "It crashes when I press Sign in."),
    ("locked out?", "Can't get into my account, error on the login screen."),
)
LOGIN_SHORT = (
    ("login not working", ""),
    ("cant sign in", "error"),
    ("log in error??", ""),
    ("Sign in down", "doesn't work"),
    ("login fails", "pls fix"),
    ("login broken again", ""),
)
LOGIN_OTHER = (
    ("Anmeldung geht nicht", "Ich kann mich nicht einloggen, es kommt eine Fehlermeldung."),
    ("Connexion impossible", "Je n'arrive pas à me connecter, la page affiche une erreur."),
    ("No puedo iniciar sesión", "Al entrar en mi cuenta aparece un error."),
    ("Login non funziona", "Non riesco ad accedere, c'è un errore."),
    ("Inloggen lukt niet", "Ik krijg een foutmelding bij het inloggen."),
    ("Não consigo entrar", "O login dá erro sempre que tento."),
)
CANCEL = (
    *_CANCEL,
    ("cancel order", "Please cancel {o}."),
    ("Changed my mind", "I no longer want the {p}, can you cancel order {o} before it ships?"),
    ("Stop my order", "Hi, how do I stop order {o} from being sent? I ordered twice by accident."),
    (
        "Cancel request",
        "I would like to cancel my purchase of the {p}. What do I need to do?",
    ),
    ("Bestellung stornieren", "Wie kann ich meine Bestellung {o} stornieren?"),
    ("Annuler ma commande", "Comment annuler la commande {o} ?"),
)
REFUND = (
    ("Refund for my return", "I sent the {p} back last week, when will I get my money?"),
    ("Where is my refund?", "Returned the {p} (order {o}), no refund yet. How long does it take?"),
    ("Return refund", "Has my returned {p} arrived? I'm waiting for the refund to my card."),
    (
        "Refund status",
        "Could you tell me the status of the refund for the {p} I returned on {d}?",
    ),
    ("money back for returned item", "how long until I get the refund for my return?"),
    ("Refund not received", "I returned order {o} ten days ago. Please refund me."),
    ("Erstattung Rücksendung", "Wann bekomme ich das Geld für die zurückgeschickte {p}?"),
    ("Remboursement retour", "J'ai renvoyé l'article, quand serai-je remboursé ?"),
)
# Held out with the login outage.
ADDRESS = (
    ("Change delivery address", "Can I still change the address for order {o}?"),
    ("Wrong address", "I typed the wrong street on order {o}, can you update it?"),
    ("New address", "Please send order {o} to my work address instead."),
    ("Address update", "How do I change where my {p} is delivered? I moved on {d}."),
    ("ship to another address?", "can you redirect my order to my parents' house"),
    ("Lieferadresse ändern", "Kann ich die Lieferadresse für Bestellung {o} noch ändern?"),
    ("Changer l'adresse", "Je voudrais modifier l'adresse de livraison de ma commande."),
)

OUTAGES = {
    "checkout": (CHECKOUT, CHECKOUT_SHORT, CHECKOUT_OTHER),
    "login": (LOGIN, LOGIN_SHORT, LOGIN_OTHER),
}
BURSTS = {"cancel": CANCEL, "refund": REFUND, "address": ADDRESS}


def hour(
    n_ordinary: int = 1000,
    *,
    now: int,
    outage: str = "checkout",
    burst: str = "cancel",
    seed: int = 11,
) -> list[Spec]:
    """The week and the hour (see the module's text), oldest first by ``created_at``."""
    rng = random.Random(seed)
    built = Hour(rng, now)
    built.week(n_ordinary, cancel="cancel_week")
    english, short, other = OUTAGES[outage]
    reports = [*rng.sample(english, 25 - len(short) - len(other)), *short, *other]
    for template in reports:
        built.add(template, "outage", built.recent(), "open")
    requests = BURSTS[burst]
    for number in range(20):
        built.add(requests[number % len(requests)], burst, built.recent(), "open")
    return built.rest_of_hour()


def _form(subject: str) -> str | None:
    """``short`` or ``foreign`` for an outage report written so (``ticketbot eval`` scores
    each form's share kept with its group), else None."""
    for _, short, other in OUTAGES.values():
        if subject in {s for s, _ in short}:
            return "short"
        if subject in {s for s, _ in other}:
            return "foreign"
    return None


def write_labelled(specs: list[Spec], path: Path) -> None:
    """The hour as a file for ``ticketbot eval --grouping``: the outage's reports one group,
    each repeat with its first ticket one group, every other ticket alone (``kind``: the
    ``request``: the request burst's name, so its tickets in incidents are counted; ``form``:
    an outage report's ``short`` or ``foreign``)."""
    lines = []
    for index, spec in enumerate(specs):
        group: str | None = None
        if spec.label == "outage":
            group = "outage"
        elif spec.label == "repeat" and spec.repeat_of is not None:
            group = f"repeat-{spec.repeat_of}"
        elif spec.label == "repeat_first":
            group = f"repeat-{index}"
        lines.append(
            json.dumps(
                {
                    "id": index + 1,
                    "subject": spec.subject,
                    "body": spec.body,
                    "requester": spec.email,
                    "created_at": iso(spec.created_at),
                    "status": spec.status,
                    "group": group,
                    "request": spec.label if spec.label in BURSTS else None,
                    **(
                        {"form": form}
                        if group == "outage" and (form := _form(spec.subject))
                        else {}
                    ),
                },
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
