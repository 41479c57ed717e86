"""A burst of crafted reports from throw-away addresses, and a genuine outage from customers
the helpdesk knows, after a week of a shop's history: the hours the incident tests
(``tests/incidents/test_incident_first_seen_burst.py``) and the figure
(``python -m scripts.figures incidents_first_seen``) put on a sandbox."""

from __future__ import annotations

import random

from support.incident_scenario import (
    _OUTAGE_EN,
    _OUTAGE_OTHER,
    HOUR,
    Hour,
    Spec,
    history_ticket,
)

# What an attacker varies to make one invented fault read as many customers' reports.
_OPENERS = ("", "Hi, ", "Hello team, ", "Urgent: ", "Hey, ", "Good morning. ")
_CLOSERS = ("", " Please fix.", " Order {o}.", " Help!", " Thanks.", " Any news?")
# A genuine outage's customers new to the helpdesk write from addresses of their own.
_NEW = tuple(
    f"{name}@{domain}.example"
    for name, domain in zip(
        ("ana", "bo", "chen", "dara", "eli", "fatou", "gus", "hana", "ivo", "jun"),
        ("gmail", "web", "outlook", "acme", "uni", "mail", "shop", "home", "isp", "corp"),
        strict=True,
    )
)


def week(now: int) -> list[Spec]:
    """The helpdesk's week: 150 ordinary tickets, solved (their requesters are customers the
    helpdesk knows), and one from eight days before (history enough to link)."""
    built = Hour(random.Random(7), now)
    built.week(150)
    return [history_ticket(now), *sorted(built.specs, key=lambda s: s.created_at)]


def throwaway(count: int) -> list[str]:
    """One person's many addresses: ``x1@mail.test``, ``x2@mail.test``, …"""
    return [f"x{n}@mail.test" for n in range(1, count + 1)]


def genuine(now: int, known: int = 15) -> list[str]:
    """25 requesters: ``known`` customers of the ``week`` and the rest new, each their own."""
    customers = list(dict.fromkeys(s.email for s in week(now)[1:]))[:known]
    return customers + list(_NEW[: 25 - known])


def reports(emails: list[str], now: int, seed: int) -> list[Spec]:
    """A report of the checkout's 502 from each address, in varied words and languages, in
    the last hour, oldest first."""
    rng = random.Random(seed)
    texts = [*_OUTAGE_EN, *_OUTAGE_OTHER]
    specs = []
    for n, email in enumerate(emails):
        subject, body = texts[n % len(texts)]
        body = body.format(p=rng.choice(("lamp", "kettle", "desk", "chair", "backpack")))
        closer = rng.choice(_CLOSERS).format(o=rng.randint(10**5, 10**6))
        at = rng.randint(now - HOUR + 60, now - 60)
        specs.append(
            Spec(subject, rng.choice(_OPENERS) + body + closer, email, at, "open", "outage")
        )
    return sorted(specs, key=lambda s: s.created_at)
