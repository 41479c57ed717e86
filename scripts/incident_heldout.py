"""Write the held-out incident hours, ``tests/data/incident_hour_heldout*.jsonl``, from their
texts in ``tests/data/incident_sources/`` (one file an hour; who wrote them, and what each file
holds, is in the README beside them).

    python -m scripts.incident_heldout                          # every hour, into tests/data
    python -m scripts.incident_heldout heldout9 --out /tmp/h    # one hour's files, into /tmp/h

Every hour is made the same way, deterministic for its seeds and its fixed "now" (``HOURS``):

- the background week is ``tests/support/incident_hours.py``'s (1,000 ordinary tickets over the
  seven days before "now", solved, on the hour's week seed), its own last hour and its repeat
  customers' first messages dropped;
- in the last hour, each at a random second of it from a requester of its own, drawn from the
  hour's random stream: the source's ``outage`` texts (``group``: ``outage``), its ``noise``
  texts, 8 payment questions and 30 ordinary tickets from the background's own templates, and
  the customers who wrote twice (each ``twice`` pair's two messages from one requester, the
  second 5 to 30 minutes after the first in ``heldout`` and ``heldout2``, 5 to 40 in the others,
  ``group`` ``repeat-<the first message's id>`` on both, ``"reports": "outage"`` where the
  source says so);
- the request burst (``request``: the part's name): in ``heldout`` and ``heldout2`` drawn from the
  hour's stream right after the outage; in the others last, from a stream of its own, so that the
  twin files (``cancel`` in ``incident_hour_heldoutN.jsonl``, ``refund`` in
  ``incident_hour_heldoutN_refund.jsonl``) differ in those rows alone.

``first_day`` (imported by ``scripts/figures.py incidents_first_day``) makes the first-day
hours from ``incident_sources/firstday_bikes.jsonl``: an ordinary hour and an outage hour of a
bike-sharing scheme, with no history or a week of it (written to no file: the figure loads them
into fresh sandboxes).

The files' shape is the other hours' (``id, subject, body, requester, created_at, status, group,
request``), for ``ticketbot eval --grouping``. ``tests/incidents/test_incident_heldout_data.py``
checks that this script writes the committed files byte for byte.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
from dataclasses import dataclass
from pathlib import Path

from support.incident_hours import hour
from support.incident_scenario import (
    _ORDINARY,
    _PAYMENT,
    _PRODUCTS,
    HOUR,
    Spec,
    _customer,
    _fill,
    iso,
)

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SOURCES = DATA / "incident_sources"
# What a pair that speaks of a size names, in the hours with ``clothes``.
CLOTHES = ("rain jacket", "trail shoes", "wool sweater")

Template = tuple[str, str]
Row = tuple[Spec, str | None]  # a ticket and its ``group`` (``repeat-?N`` until ids are known)


@dataclass(frozen=True)
class Pair:
    """A customer who wrote twice: the first message, the second, and the group both report."""

    first: Template
    second: Template
    reports: str | None


@dataclass(frozen=True)
class Texts:
    """An hour's source file: its texts by part, in the file's order."""

    outage: list[Template]
    noise: list[Template]
    requests: dict[str, list[Template]]  # a burst's name (``cancel``, ``refund``...): its texts
    twice: list[Pair]

    @classmethod
    def read(cls, path: Path) -> Texts:
        parts: dict[str, list[Template]] = {}
        pairs: dict[int, list[tuple[Template, str | None]]] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            template = (row["subject"], row["body"])
            if row["part"] == "twice":
                pairs.setdefault(row["pair"], []).append((template, row.get("reports")))
            else:
                parts.setdefault(row["part"], []).append(template)
        twice = []
        for number, messages in pairs.items():
            if len(messages) != 2:
                raise ValueError(f"{path}: pair {number} has {len(messages)} messages, not 2")
            (first, reports), (second, _) = messages
            twice.append(Pair(first, second, reports))
        outage, noise = parts.pop("outage"), parts.pop("noise")
        return cls(outage, noise, parts, twice)


@dataclass(frozen=True)
class Hour:
    """How an hour is drawn; its texts are ``incident_sources/<name>.jsonl``."""

    now: tuple[int, int, int, int]  # year, month, day, hour (UTC): the fixed "now"
    seed: int  # the hour's stream; a burst of its own draws from ``seed + 1``
    week_seed: int
    customers: int  # the first of the hour's requesters
    twice_customers: int  # the first of those who wrote twice
    # The first of the request burst's requesters, drawn from a stream of its own; None: the
    # burst is drawn from the hour's stream, right after the outage.
    burst_customers: int | None = None
    twice_within: int = 40 * 60  # the latest second message, in seconds after the first
    clothes: bool = False  # a pair that speaks of a size names one of ``CLOTHES``

    @property
    def moment(self) -> int:
        return calendar.timegm((*self.now, 0, 0, 0, 0, 0))


# ``heldout``'s week seed, 11, is ``incident_hours.hour``'s default.
HOURS = {
    "heldout": Hour((2026, 11, 25, 15), 2026, 11, 2000, 1900, twice_within=30 * 60, clothes=True),
    "heldout2": Hour((2026, 11, 24, 10), 4711, 23, 3000, 2900, twice_within=30 * 60),
    "heldout3": Hour((2026, 11, 26, 14), 8128, 97, 3000, 2900, 5000, clothes=True),
    # The burst's requesters go on from the hour's 73 (25 outage, 10 noise, 8 payment, 30 ordinary).
    "heldout4": Hour((2026, 12, 3, 9), 4404, 404, 3000, 2900, 3073),
    "heldout5": Hour((2026, 12, 3, 9), 5505, 55, 3000, 2900, 5000),
    "heldout6": Hour((2026, 12, 10, 10), 6606, 66, 7000, 6900, 8000),
    "heldout7": Hour((2026, 12, 17, 11), 7707, 77, 9000, 8900, 11000),
    "heldout8": Hour((2027, 1, 14, 16), 8808, 88, 13000, 12900, 15000),
    "heldout9": Hour((2027, 2, 9, 11), 9909, 99, 21000, 20900, 23000),
    "heldout10": Hour((2027, 3, 3, 15), 10110, 1010, 31000, 30900, 33000),
}


def week(spec: Hour) -> list[Spec]:
    """``incident_hours.hour``'s background week alone (its own hour and its repeat customers'
    first messages dropped)."""
    now = spec.moment
    return [
        ticket
        for ticket in hour(1000, now=now, seed=spec.week_seed)
        if ticket.created_at <= now - 2 * HOUR and ticket.label != "repeat_first"
    ]


def last_hour(spec: Hour, texts: Texts, burst: str) -> list[Row]:
    """The last hour's tickets with the request ``burst``, each with its ``group``."""
    start, end = spec.moment - HOUR + 60, spec.moment - 60
    rng = random.Random(spec.seed)
    customers = iter(range(spec.customers, 10**6))
    rows: list[Row] = []

    def one(draw: random.Random, template: Template, label: str, group: str | None) -> None:
        subject, body = _fill(draw, template)
        at = draw.randint(start, end)
        rows.append(
            (Spec(subject, body, _customer(draw, next(customers)), at, "open", label), group)
        )

    for template in texts.outage:
        one(rng, template, "outage", "outage")
    if spec.burst_customers is None:
        for template in texts.requests[burst]:
            one(rng, template, burst, None)
    for template in texts.noise:
        one(rng, template, "noise", None)
    for _ in range(8):
        one(rng, rng.choice(_PAYMENT), "payment", None)
    for _ in range(30):
        one(rng, rng.choice(_ORDINARY), "ordinary", None)
    rows += wrote_twice(rng, texts.twice, spec, (start, end))
    if spec.burst_customers is not None:
        requests = random.Random(spec.seed + 1)
        customers = iter(range(spec.burst_customers, 10**6))
        for template in texts.requests[burst]:
            one(requests, template, burst, None)
    return rows


def wrote_twice(
    rng: random.Random, pairs: list[Pair], spec: Hour, span: tuple[int, int]
) -> list[Row]:
    """Each pair's two messages from one requester, the second 5 minutes to ``twice_within``
    after the first, inside ``span``, both with ``group`` ``repeat-?N``."""
    start, end = span
    rows: list[Row] = []
    for number, pair in enumerate(pairs):
        email = _customer(rng, spec.twice_customers + number)
        products = CLOTHES if spec.clothes and "size" in pair.first[1] else _PRODUCTS
        product, order = rng.choice(products), str(rng.randint(100000, 999999))
        at_first = rng.randint(start, end - spec.twice_within)
        at_second = at_first + rng.randint(5 * 60, spec.twice_within)
        for template, at, label in (
            (pair.first, at_first, "repeat_first"),
            (pair.second, at_second, "repeat"),
        ):
            subject, body = _fill(rng, template, p=product, o=order)
            ticket = Spec(subject, body, email, at, "open", label, reports=pair.reports)
            rows.append((ticket, f"repeat-?{number}"))
    return rows


def labelled_lines(rows: list[Row], request: str) -> list[str]:
    """The hour file's lines, oldest first, ids from 1: a repeat's placeholder group made the
    first message's id, and ``request`` on the rows of the request burst."""
    rows = sorted(rows, key=lambda row: row[0].created_at)
    first_ids = {
        group: index + 1
        for index, (ticket, group) in enumerate(rows)
        if group is not None and group.startswith("repeat-?") and ticket.label == "repeat_first"
    }
    out = []
    for index, (ticket, group) in enumerate(rows):
        row: dict[str, object] = {
            "id": index + 1,
            "subject": ticket.subject,
            "body": ticket.body,
            "requester": ticket.email,
            "created_at": iso(ticket.created_at),
            "status": ticket.status,
            "group": group,
            "request": request if ticket.label == request else None,
        }
        if group is not None and group.startswith("repeat-?"):
            row["group"] = f"repeat-{first_ids[group]}"
            if ticket.reports:
                row["reports"] = ticket.reports
        out.append(json.dumps(row, ensure_ascii=False))
    return out


def hour_files(name: str) -> dict[str, list[str]]:
    """An hour's files by name: the first request burst's ``incident_hour_<name>.jsonl``, each
    other's ``incident_hour_<name>_<burst>.jsonl``."""
    spec, texts = HOURS[name], Texts.read(SOURCES / f"{name}.jsonl")
    background: list[Row] = [(ticket, None) for ticket in week(spec)]
    files = {}
    for number, burst in enumerate(texts.requests):
        suffix = "" if number == 0 else f"_{burst}"
        files[f"incident_hour_{name}{suffix}.jsonl"] = labelled_lines(
            background + last_hour(spec, texts, burst), burst
        )
    return files


# The first-day hours (``first_day``): an hour of a bike-sharing scheme's tickets, written for
# them alone (``incident_sources/firstday_bikes.jsonl``), on a helpdesk with no history or with
# a week of its own tickets. Held out: no value of the grouping was chosen on them.
FIRST_DAY = SOURCES / "firstday_bikes.jsonl"
# The first-day sets, by product: the bikes and a music service's are held out (no value of
# the grouping was chosen on them); the thermostat's and a smart lock's are dev sets, to choose
# values on (in-sample).
FIRST_DAY_SETS = {
    "bikes": FIRST_DAY,
    "music": SOURCES / "firstday_music.jsonl",
    "thermostat": SOURCES / "firstday_thermostat.jsonl",
    "lock": SOURCES / "firstday_lock.jsonl",
    "stream": SOURCES / "firstday_stream.jsonl",
    "lockers": SOURCES / "firstday_lockers.jsonl",
}
FIRST_DAY_HOURS = ("ordinary", "outage", "busy_outage")
STATIONS = ("Harbour Square", "Elm Park", "North Station", "Market Hall", "the University")
WEEK_TICKETS = 350


def _bikes(rng: random.Random, template: dict[str, str]) -> tuple[str, str]:
    fill = {
        "s": rng.choice(STATIONS),
        "n": str(rng.randint(1000, 4999)),
        "d": rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")),
    }
    return template["subject"].format(**fill), template["body"].format(**fill)


def _other_faults(rng: random.Random) -> list[tuple[dict[str, str], str]]:
    """Ten reports of faults of their own, each alone (the held-out hours' ``noise`` lines: a
    shop's search, an invoice, a page), for ``busy_outage``: a first hour whose other tickets
    hold many fault reports, which made the hour, read as its own baseline, look busy."""
    noise = [
        {"subject": line["subject"], "body": line["body"]}
        for path in sorted(SOURCES.glob("heldout*.jsonl"))
        for line in map(json.loads, path.read_text(encoding="utf-8").splitlines())
        if line["part"] == "noise"
    ]
    return [(t, "ordinary") for t in rng.sample(noise, 10)]


def first_day(
    name: str, *, now: int, history: bool, seed: int = 11, source: Path = FIRST_DAY
) -> list[Spec]:
    """A first-day hour of ``source`` (``FIRST_DAY_SETS``; the bikes by default), oldest
    first: ``ordinary``, the 60 ordinary tickets from 60 customers; ``outage``, the 25 reports
    of the fault (15 long, 5 short, 5 not in English) among 35 of those ordinary tickets;
    ``busy_outage``, the 25 reports among 25 of the ordinary tickets and 10 reports of other
    faults, each alone (``_other_faults``).
    ``history``: a week of the product's own tickets before it (``WEEK_TICKETS`` solved, from
    eight days back to two hours back, from the file's ``history`` texts). Every ticket of the
    hour from a requester of its own: with ``history``, one of the week's (a customer the
    helpdesk knows); ``label`` says which part it is (``outage``, ``ordinary``, ``history``)."""
    if name not in FIRST_DAY_HOURS:
        raise ValueError(f"no first-day hour {name!r}: one of {', '.join(FIRST_DAY_HOURS)}")
    lines = [json.loads(x) for x in source.read_text(encoding="utf-8").splitlines() if x]
    parts: dict[str, list[dict[str, str]]] = {}
    for line in lines:
        parts.setdefault(line["part"], []).append(line)
    rng = random.Random(seed)
    ordinary = list(parts["ordinary"])
    rng.shuffle(ordinary)
    chosen = [(t, "ordinary") for t in ordinary]
    if name == "outage":
        chosen = [(t, "outage") for t in parts["outage"]] + chosen[:35]
    elif name == "busy_outage":
        chosen = [(t, "outage") for t in parts["outage"]] + _other_faults(rng) + chosen[:25]
    specs: list[Spec] = []
    for number, (template, label) in enumerate(chosen):
        subject, body = (
            _bikes(rng, template)
            if "part" in template
            else _fill(rng, (template["subject"], template["body"]))
        )
        at = rng.randint(now - HOUR + 60, now - 60)
        # After a week, the hour's customers are the week's (a ticket solved before), whose
        # reports an incident counts (``incidents.vouching``); the texts and draws are the same.
        email = f"rider{number}@mail-{number}.example"
        if history:
            email = f"past{number}@mail-p{number}.example"
        specs.append(Spec(subject, body, email, at, "open", label))
    if history:
        for number in range(WEEK_TICKETS):
            subject, body = _bikes(rng, rng.choice(parts["history"]))
            at = rng.randint(now - 8 * 86400, now - 2 * HOUR)
            email = f"past{number}@mail-p{number}.example"
            specs.append(Spec(subject, body, email, at, "solved", "history"))
    return sorted(specs, key=lambda spec: spec.created_at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("hours", nargs="*", help=f"which of {', '.join(HOURS)} (default: all)")
    parser.add_argument("--out", type=Path, default=DATA, help="the folder to write into")
    args = parser.parse_args(argv)
    if unknown := [name for name in args.hours if name not in HOURS]:
        parser.error(f"no such hour: {', '.join(unknown)}")
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.hours or HOURS:
        for file, lines in hour_files(name).items():
            (args.out / file).write_text("\n".join(lines) + "\n", encoding="utf-8")
            print(f"{args.out / file}: {len(lines)} tickets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
