"""A team's history on a desk: solved tickets whose agents linked the help centre's articles,
and some answered without a link, generated from the articles' own sentences and imported
dated through each sandbox's import path (``Desk.import_answered``).

The tickets are made, not written: a fragment of one of the article's sentences in a
customer's frame ("Hi, quick question about ... — how does that work?"), so the words carry the
article's meaning without copying it whole. A seed picks them; the history and the new tickets
a test runs on use different seeds, and never the same ticket text.
"""

from __future__ import annotations

import html
import random
import re
import time
from collections.abc import Callable
from typing import Any

from support.answers_desk import rows
from ticket_processor.sandbox.desks import Desk, NewTicket

_TAG = re.compile(r"<[^>]+>")
_FRAMES = (
    ("Question", "Hi, quick question about this: {} — how does that work?"),
    ("Need help", "Hello, I read something like '{}' but I cannot find it. Where do I do that?"),
    ("Help please", "Can you help me? {} ... I am not sure what to do."),
    ("How to", "How do I manage this: {}? Thanks"),
    ("Stuck", "I am stuck. {} — is that how it works?"),
)
_PERSON = (
    ("Refund missing", "My refund for order {n} has not arrived after two weeks. Please check."),
    ("Charged twice", "I was charged twice on invoice {n} this month, please refund one."),
    ("Error on my account", "My account shows error code E{n} when I open the dashboard."),
    ("Wrong amount", "Invoice {n} has the wrong amount, we agreed on a discount."),
    ("Cancel my contract", "Please cancel contract {n} at the end of this month and confirm."),
)


def english_articles() -> list[dict[str, Any]]:
    return [a for a in rows("answers_articles.jsonl") if a["locale"].startswith("en")]


def _sentences(article: dict[str, Any]) -> list[str]:
    text = html.unescape(_TAG.sub(" ", article["body"]))
    return [s.strip() for s in re.split(r"(?<=[.?!])\s+", text) if len(s.split()) >= 6]


def customer_ticket(article: dict[str, Any], rng: random.Random) -> NewTicket:
    words = rng.choice(_sentences(article)).rstrip(".?!").split()
    start = rng.randrange(0, max(1, len(words) - 6))
    fragment = " ".join(words[start : start + rng.randint(5, 8)]).lower()
    subject, frame = rng.choice(_FRAMES)
    return NewTicket(subject, frame.format(fragment))


def person_ticket(rng: random.Random) -> NewTicket:
    subject, text = rng.choice(_PERSON)
    return NewTicket(subject, text.format(n=rng.randint(1000, 99999)))


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


# An article's link as an agent pastes it, in each helpdesk's own form: a Help Center URL, a
# Solutions URL, a knowledge article's ``kb_view.do`` (the digits of its ``KB`` number).
_ARTICLE_URLS: dict[str, Callable[[str, int, str], str]] = {
    "zendesk": lambda base, n, title: f"{base}/hc/en-us/articles/{n}-{_slug(title)}",
    "freshdesk": lambda base, n, _: f"{base}/support/solutions/articles/{n}",
    "servicenow": lambda base, n, _: f"{base}/kb_view.do?sysparm_article=KB{n:07d}",
}


def article_url(desk: Desk, article_id: int, article: dict[str, Any]) -> str:
    return _ARTICLE_URLS[desk.kind](desk.url, article_id, article["title"])


def import_history(
    desk: Desk, ids: dict[str, set[int]], *, linked: int, unlinked: int, seed: int
) -> None:
    """``linked`` solved tickets whose agent's public reply links the article the ticket was
    made from, ``unlinked`` answered by an agent without a link; spread over the last 60 days."""
    rng = random.Random(seed)
    articles = english_articles()
    now = time.time()
    for n in range(linked + unlinked):
        solved = now - rng.uniform(1, 60) * 86400
        if n < linked:
            article = articles[n % len(articles)]
            article_id = min(ids[article["key"]])
            url = article_url(desk, article_id, article)
            reply = f"Hi, this article explains it step by step: {url}\nBest, Sam"
            ticket = customer_ticket(article, rng)
        else:
            reply = "Hi, I checked this on our side and fixed it for you. Best, Sam"
            ticket = person_ticket(rng)
        desk.import_answered(ticket, [(reply, solved - 600)], solved)


def new_tickets(count: int, seed: int) -> list[tuple[NewTicket, str]]:
    """New customer tickets, each with the key of the article it was made from."""
    rng = random.Random(seed)
    articles = english_articles()
    made = []
    for n in range(count):
        article = articles[n % len(articles)]
        made.append((customer_ticket(article, rng), article["key"]))
    return made
