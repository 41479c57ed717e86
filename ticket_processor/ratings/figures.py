"""What the ratings say over a window, for ``report``: ``RatingFigures``.

``agents``: how many times agents said ticketbot's work helped, did not, or had the wrong
category (each rating once: a double click and a tag added again are one row), with the same
counts by where they said it (the dashboard, a tag) and by what they rated (the analysis, an
article, a step's suggestion, an answer ...).

``customers``: the helpdesk's own satisfaction ratings (``source`` customer: good or bad) by who
answered the ticket: ``ticketbot`` (it sent the answer), ``person_after_note`` (ticketbot
triaged it and left its note, a person answered), ``person_alone`` (ticketbot never triaged
it), each with its share of good ratings.

``risk_calibration``: the risk head's prediction (``decisions.risk_probability``: that the
ticket ends badly) against the customers' ratings that came later, in four bins of the
prediction: the tickets, the mean prediction, and the share rated bad. A calibrated head's
mean prediction is close to the share rated bad in each bin (the ratings are one kind of bad
ending among those it predicts: reopens and escalations count for it too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..audit.schema import decisions, ratings
from ..learned.labels import VERDICTS

ANSWERERS = ("ticketbot", "person_after_note", "person_alone")
CUSTOMER_SCORES = ("good", "bad")
RISK_BINS = (0.25, 0.5, 0.75, 1.0)  # upper edges


@dataclass(frozen=True)
class RatingFigures:
    agents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(VERDICTS, 0))
    by_source: dict[str, dict[str, int]] = field(default_factory=dict)
    by_target: dict[str, dict[str, int]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {who: _satisfaction(0, 0) for who in ANSWERERS}
    )
    risk_calibration: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        rated = sum(c["good"] + c["bad"] for c in self.customers.values())
        return not sum(self.agents.values()) and not rated

    def to_dict(self) -> dict[str, Any]:
        return {
            "agents": {**self.agents, "by_source": self.by_source, "by_target": self.by_target},
            "customers": self.customers,
            "risk_calibration": self.risk_calibration,
        }


def _satisfaction(good: int, bad: int) -> dict[str, Any]:
    rated = good + bad
    return {"good": good, "bad": bad, "satisfaction": round(good / rated, 4) if rated else None}


def rating_figures(
    conn: sa.Connection, account: str, *, since: datetime | None, until: datetime | None
) -> RatingFigures:
    """The window's ratings (by when they were given) in the store of ``account``."""
    window = [ratings.c.account == account]
    if since is not None:
        window.append(ratings.c.at >= since)
    if until is not None:
        window.append(ratings.c.at < until)
    agents = dict.fromkeys(VERDICTS, 0)
    by_source: dict[str, dict[str, int]] = {}
    by_target: dict[str, dict[str, int]] = {}
    counted = (
        sa.select(ratings.c.source, ratings.c.target, ratings.c.verdict, sa.func.count())
        .where(*window, ratings.c.source != "customer")
        .group_by(ratings.c.source, ratings.c.target, ratings.c.verdict)
    )
    for source, target, verdict, count in conn.execute(counted).all():
        if verdict not in agents:
            continue
        agents[verdict] += int(count)
        for key, into in ((source, by_source), (target, by_target)):
            row = into.setdefault(str(key), dict.fromkeys(VERDICTS, 0))
            row[verdict] += int(count)
    customers, calibration = _customers(conn, account, window)
    return RatingFigures(agents, by_source, by_target, customers, calibration)


def _customers(
    conn: sa.Connection, account: str, window: list[sa.ColumnElement[bool]]
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """The customers' ratings by who answered (the latest rating of each ticket counts), and
    the risk head's calibration against them."""
    rated = (
        sa.select(ratings.c.ticket_id, ratings.c.helpdesk, ratings.c.verdict)
        .where(*window, ratings.c.source == "customer")
        .order_by(ratings.c.at, ratings.c.id)
    )
    latest = {(int(t), str(h)): str(v) for t, h, v in conn.execute(rated).all()}
    answered: dict[tuple[int, str], str] = {}
    risk: dict[tuple[int, str], float] = {}
    tickets = sorted({t for t, _ in latest})
    for start in range(0, len(tickets), 500):
        triaged = (
            sa.select(
                decisions.c.ticket_id,
                decisions.c.helpdesk,
                decisions.c.answer_state,
                decisions.c.risk_probability,
            )
            .where(
                decisions.c.account == account,
                decisions.c.ticket_id.in_(tickets[start : start + 500]),
                decisions.c.mode.in_(("normal", "serve")),
            )
            .order_by(decisions.c.at, decisions.c.id)
        )
        for ticket, helpdesk, state, probability in conn.execute(triaged).all():
            key = (int(ticket), str(helpdesk))
            sent = state == "sent" or answered.get(key) == "ticketbot"
            answered[key] = "ticketbot" if sent else "person_after_note"
            if probability is not None:
                risk[key] = float(probability)  # the latest prediction before the rating
    counts = {who: {"good": 0, "bad": 0} for who in ANSWERERS}
    for key, verdict in latest.items():
        if verdict in CUSTOMER_SCORES:
            counts[answered.get(key, "person_alone")][verdict] += 1
    by_who = {who: _satisfaction(c["good"], c["bad"]) for who, c in counts.items()}
    pairs = [(risk[k], v == "bad") for k, v in latest.items() if k in risk]
    return by_who, _calibration(pairs)


def _calibration(pairs: list[tuple[float, bool]]) -> list[dict[str, Any]]:
    found = []
    low = 0.0
    for high in RISK_BINS:
        inside = [(p, bad) for p, bad in pairs if low <= p < high or (high == 1.0 and p == 1.0)]
        if inside:
            found.append(
                {
                    "from": low,
                    "to": high,
                    "tickets": len(inside),
                    "predicted": round(sum(p for p, _ in inside) / len(inside), 4),
                    "rated_bad": round(sum(1 for _, bad in inside if bad) / len(inside), 4),
                }
            )
        low = high
    return found


_SAID = {"helped": "helped", "not_helped": "did not help", "wrong_category": "wrong category"}
_WHO = {
    "ticketbot": "answered by ticketbot",
    "person_after_note": "answered by a person after ticketbot's note",
    "person_alone": "answered by a person alone",
}


def rating_lines(figures: RatingFigures) -> list[str]:
    """The text report's lines: none when nobody rated anything in the period."""
    if figures.empty:
        return []
    said = ", ".join(f"{figures.agents[v]} {_SAID[v]}" for v in VERDICTS)
    lines = [f"Agents' ratings: {said}"]
    for who, c in figures.customers.items():
        if c["good"] + c["bad"]:
            lines.append(
                f"Customers' satisfaction, {_WHO[who]}: {c['satisfaction']:.0%} good "
                f"({c['good']} good, {c['bad']} bad)"
            )
    by_target = figures.by_target
    for target, row in sorted(by_target.items()):  # each step's section names its own
        if target not in ("analysis", "ticket"):  # the whole ticket's: the totals above
            words = {"answer": "answers", "article": "articles"}.get(target, target)
            lines.append(f"Agents on {words}: {row['helped']} helped, {row['not_helped']} did not")
    for row in figures.risk_calibration:
        lines.append(
            f"Risk predicted {row['from']:.2f}-{row['to']:.2f}: {row['tickets']} rated tickets, "
            f"mean prediction {row['predicted']:.0%}, rated bad {row['rated_bad']:.0%}"
        )
    return lines


def rating_section(figures: RatingFigures) -> list[str]:
    """The HTML report's section (its text escaped: only counts and fixed words)."""
    if figures.empty:
        return []
    rows = "".join(
        f"<tr><td>{_SAID[v]}</td><td class='n' data-verdict='{v}'>{figures.agents[v]}</td></tr>"
        for v in VERDICTS
    )
    customers = "".join(
        f"<tr><td>{_WHO[who]}</td><td class='n' data-answered='{who}'>"
        f"{'–' if c['satisfaction'] is None else format(c['satisfaction'], '.0%')}</td>"
        f"<td class='n'>{c['good']}</td><td class='n'>{c['bad']}</td></tr>"
        for who, c in figures.customers.items()
    )
    calibration = "".join(
        f"<tr><td>{r['from']:.2f}–{r['to']:.2f}</td><td class='n'>{r['tickets']}</td>"
        f"<td class='n'>{r['predicted']:.0%}</td><td class='n'>{r['rated_bad']:.0%}</td></tr>"
        for r in figures.risk_calibration
    )
    return [
        "<h2>Ratings</h2>",
        f"<table id='agent-ratings'><tr><th>agents said</th><th>times</th></tr>{rows}</table>",
        "<table id='customer-ratings'><tr><th>who answered</th><th>satisfaction</th>"
        f"<th>good</th><th>bad</th></tr>{customers}</table>",
        "<table id='risk-calibration'><tr><th>risk predicted</th><th>rated tickets</th>"
        f"<th>mean prediction</th><th>rated bad</th></tr>{calibration}</table>",
    ]
