"""Who answers a ticket: a simulated hour of assignment, and the language the skills read.

``assignment_hour``: on each helpdesk's sandbox, 12 agents in three groups (four each, one to
three of five languages plus their group's skill, ten open tickets each), and an hour of 300
tickets in five languages and three products, 15 % from a VIP organisation, put in their group
as a trigger would. Six real ``ticketbot run`` processes
(``TICKETBOT_ASSIGNMENT=agents``, no LLM: the rules read language and category), one every
ten simulated minutes over 50 new tickets; between runs three agents go away or come back,
agents solve 60 % of their open tickets and a person assigns five new tickets themselves.
Measured against each ticket's true language and product (not ticketbot's reading): the share
of assigned tickets whose agent has every skill the ticket needs (of those for which such an
agent was available under capacity), agents over capacity, tickets given to an agent who was
away, VIP tickets decided after another ticket of their group, people's assignments kept; and a
run with ``skills``: the tickets whose language skill was written, and assignees written.

    python -m scripts.figures assignment_hour [--kind zendesk] [--seed 84]

``assignment_language``: the language an assigned ticket's skills take
(``assignment/language.py``: Lingua and the stopwords together among the languages asked
about, by default every language the sets read hold) beside the stopword reading alone, apart
on three parts: the dev sets the reading and its weights were chosen on
(``tests/data/bitext_translated.jsonl`` (en/de/es), ``fault_examples.jsonl`` and
``spam_examples.jsonl`` (seven languages), the answers' held-out tickets,
``language_dev_hard.jsonl`` and ``language_dev_check.jsonl`` (hard cases, 29 languages)), the
held-out sets (``tests/data/language_heldout*.jsonl``, written apart from the reading, their
misses not read; ``--dev-only`` leaves them out), and the English requests of
``tests/data/bitext.jsonl`` (an English-majority helpdesk must not lose them).

    python -m scripts.figures assignment_language [--dev-only] [--languages de,fr,pl]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

from ticket_processor.assignment.language import lingua_languages, routing_language  # noqa: E402
from ticket_processor.assignment.policy import LANGUAGE_NAMES  # noqa: E402
from ticket_processor.common.eventlog import read_events  # noqa: E402
from ticket_processor.helpdesks.registry import KINDS  # noqa: E402
from ticket_processor.sandbox.desks import NewTicket, StaffedDesk, serve_desk  # noqa: E402
from ticket_processor.triage.cues import tokenise  # noqa: E402
from ticket_processor.triage.language import detect_language  # noqa: E402

ZERO = (
    "assigned_to_an_away_agent",
    "agents_over_capacity",
    "vip_decided_after_others",
    "not_assigned_though_one_could",
    "runs_failed",
)
CAPACITY = 10  # each agent's, the helpdesk's where it keeps one, else TICKETBOT_AGENT_CAPACITY
RUN = "from ticket_processor.cli import app\napp(['run', '--engine', 'rules'])\n"
GROUPS = {"Billing": "Billing", "Shipping": "Shipping", "Technical": "Technical"}
SKILLS = """
[categories]
billing = "Billing"
refund = "Billing"
shipping = "Shipping"
bug = "Technical"
account = "Technical"

[tier]
field = "tier"
vip = ["vip"]
"""
# (language, product) -> (subject, body): the project's own writing, three phrasings' worth.
TEXTS: dict[tuple[str, str], tuple[str, str]] = {
    ("pt", "Billing"): (
        "Cobrança em dobro",
        "Olá, fui cobrado duas vezes pela minha assinatura. Por favor reembolsem a "
        "segunda cobrança.",
    ),
    ("pt", "Shipping"): (
        "Encomenda não chegou",
        "Olá, a minha encomenda ainda não chegou e o rastreamento não mostra nada. Onde "
        "está o meu pacote?",
    ),
    ("pt", "Technical"): (
        "A aplicação falha",
        "Olá, a aplicação fecha sempre que abro a página de pagamentos. Aparece um erro e"
        " não consigo fazer nada.",
    ),
    ("de", "Billing"): (
        "Doppelte Abbuchung",
        "Hallo, ich wurde zweimal für mein Abonnement belastet. Bitte erstatten Sie die "
        "zweite Zahlung.",
    ),
    ("de", "Shipping"): (
        "Paket nicht angekommen",
        "Hallo, mein Paket ist immer noch nicht angekommen und die Sendungsverfolgung "
        "zeigt nichts an.",
    ),
    ("de", "Technical"): (
        "Die App stürzt ab",
        "Hallo, die App stürzt jedes Mal ab, wenn ich die Rechnungsseite öffne. Es "
        "erscheint ein Fehler.",
    ),
    ("es", "Billing"): (
        "Cobro duplicado",
        "Hola, me han cobrado dos veces la suscripción de este mes. Por favor devuelvan "
        "el segundo cargo.",
    ),
    ("es", "Shipping"): (
        "Pedido no recibido",
        "Hola, mi pedido todavía no ha llegado y el seguimiento no muestra nada. ¿Dónde "
        "está mi paquete?",
    ),
    ("es", "Technical"): (
        "La aplicación falla",
        "Hola, la aplicación se cierra cada vez que abro la página de pagos. Sale un "
        "error y no puedo hacer nada.",
    ),
    ("fr", "Billing"): (
        "Double prélèvement",
        "Bonjour, j'ai été débité deux fois pour mon abonnement. Merci de rembourser le "
        "second prélèvement.",
    ),
    ("fr", "Shipping"): (
        "Colis non reçu",
        "Bonjour, mon colis n'est toujours pas arrivé et le suivi ne montre rien. Où est "
        "ma commande ?",
    ),
    ("fr", "Technical"): (
        "L'application plante",
        "Bonjour, l'application plante chaque fois que j'ouvre la page de paiement. Une "
        "erreur s'affiche.",
    ),
    ("en", "Billing"): (
        "Charged twice",
        "Hello, I was charged twice for my subscription. Please refund the second charge.",
    ),
    ("en", "Shipping"): (
        "Parcel not arrived",
        "Hello, my parcel has still not arrived and the tracking shows nothing. Where is my order?",
    ),
    ("en", "Technical"): (
        "The app crashes",
        "Hello, the app crashes every time I open the payments page. An error appears and"
        " I cannot do anything.",
    ),
}
LANGUAGES = ("pt", "de", "es", "fr", "en")


class Agent:
    def __init__(self, agent_id: int, group: str, skills: set[str], capacity: int) -> None:
        self.id, self.group, self.skills, self.capacity = agent_id, group, skills, capacity
        self.away = False


def _staff(desk: StaffedDesk, groups: dict[str, int], rng: random.Random) -> list[Agent]:
    desk.define_skills([LANGUAGE_NAMES[c] for c in LANGUAGES], list(GROUPS.values()))
    staff = []
    for n in range(12):
        group = list(GROUPS)[n % 3]
        spoken = {LANGUAGE_NAMES[c] for c in rng.sample(LANGUAGES, rng.randint(1, 3))}
        skills = {*spoken, GROUPS[group]}
        capacity = CAPACITY
        agent_id = desk.hire(f"Agent {n}", groups[group], sorted(skills), capacity=capacity)
        staff.append(Agent(agent_id, group, skills, capacity))
    return staff


def _open_load(desk: StaffedDesk, ids: list[int], solved: set[int]) -> Counter[int]:
    found: Counter[int] = Counter()
    for ticket in ids:
        agent = desk.assignee_of(ticket)
        if agent is not None and ticket not in solved:
            found[agent] += 1
    return found


def hour(kind: str, seed: int, mode: str = "agents") -> dict[str, Any]:
    rng = random.Random(seed)
    with serve_desk(KINDS[kind], unlimited=True) as running, tempfile.TemporaryDirectory() as root:
        desk: StaffedDesk = running  # type: ignore[assignment]
        groups = {name: desk.group(name) for name in GROUPS}
        staff = _staff(desk, groups, rng)
        by_id = {a.id: a for a in staff}
        vip = desk.organisation("Big Client", "vip")
        plain = desk.organisation("Small Client", "standard")
        (Path(root) / "skills.toml").write_text(SKILLS)
        env = {
            **os.environ,
            **running.env(),
            "TICKETBOT_STATE_DIR": str(Path(root) / "state"),
            "TICKETBOT_LOG_DIR": str(Path(root) / "logs"),
            "TICKETBOT_ASSIGNMENT": mode,
            "TICKETBOT_AGENT_CAPACITY": str(CAPACITY),
            "TICKETBOT_SKILLS": str(Path(root) / "skills.toml"),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            env.pop(name, None)
        truth: dict[int, tuple[str, str, bool]] = {}
        people: dict[int, int] = {}
        solved: set[int] = set()
        ids: list[int] = []
        counts: Counter[str] = Counter(dict.fromkeys(ZERO, 0))
        seen_events = 0
        for _ in range(6):
            for agent in rng.sample(staff, 3):
                agent.away = not agent.away
                desk.set_away(agent.id, agent.away)
            load = _open_load(desk, ids, solved)
            for ticket in ids:
                if ticket not in solved and desk.assignee_of(ticket) and rng.random() < 0.6:
                    desk.agent_solves(ticket)
                    solved.add(ticket)
            made = []
            for _ in range(50):
                language, product = rng.choice(LANGUAGES), rng.choice(list(GROUPS))
                subject, body = TEXTS[(language, product)]
                is_vip = rng.random() < 0.15
                org = vip if is_vip else plain
                made.append((NewTicket(subject, body, organization=org), language, product, is_vip))
            new = desk.create([m[0] for m in made])
            for ticket, (_, language, product, is_vip) in zip(new, made, strict=True):
                desk.put_in_group(ticket, groups[product])
                truth[ticket] = (language, product, is_vip)
            ids += new
            load = _open_load(desk, ids, solved)
            for ticket in rng.sample(new, 5):  # a person takes five themselves
                group = truth[ticket][1]
                members = [a for a in staff if a.group == group and load[a.id] < a.capacity - 1]
                if members:
                    chosen = rng.choice(members)
                    desk.person_assigns(ticket, chosen.id, groups[group])
                    people[ticket] = chosen.id
                    load[chosen.id] += 1
            before = _open_load(desk, ids, solved)
            done = subprocess.run([sys.executable, "-c", RUN], env=env, capture_output=True)
            counts["runs_failed"] += done.returncode not in (0, 3)
            events = list(read_events(Path(root) / "logs"))
            ran, seen_events = events[seen_events:], len(events)
            _measure(ran, truth, by_id, before, counts)
            after = _open_load(desk, ids, solved)
            counts["agents_over_capacity"] += sum(
                1 for a in staff if after[a.id] > max(a.capacity, before[a.id])
            )
        counts["people_assignments"] = len(people)
        counts["people_assignments_kept"] = sum(
            1 for t, a in people.items() if desk.assignee_of(t) == a
        )
        if mode == "skills":
            left = [t for t in ids if t not in people]  # a person's are left alone
            counts["tickets_left_to_routing"] = len(left)
            counts["language_skill_written"] = sum(
                1 for t in left if LANGUAGE_NAMES[truth[t][0]] in desk.skills_on(t)
            )
            counts["assignees_written_by_ticketbot"] = sum(
                1 for t in ids if t not in people and desk.assignee_of(t) is not None
            )
        return {"kind": kind, "mode": mode, **counts}


def _measure(
    ran: list[dict[str, Any]],
    truth: dict[int, tuple[str, str, bool]],
    staff: dict[int, Agent],
    load: Counter[int],
    counts: Counter[str],
) -> None:
    decided_non_vip: set[str] = set()
    for event in ran:
        kind = event.get("event")
        if kind not in ("ticket_assigned", "assignment_none"):
            continue
        language, product, is_vip = truth[event["ticket_id"]]
        needed = {LANGUAGE_NAMES[language], product}
        if is_vip and product in decided_non_vip:
            counts["vip_decided_after_others"] += 1
        if not is_vip:
            decided_non_vip.add(product)
        could = any(
            a.group == product and not a.away and needed <= a.skills and load[a.id] < a.capacity
            for a in staff.values()
        )
        if kind == "assignment_none":
            counts["not_assigned"] += 1
            counts["not_assigned_though_one_could"] += could
            continue
        agent = staff[event["agent_id"]]
        load[agent.id] += 1
        counts["assigned"] += 1
        counts["assigned_to_an_away_agent"] += agent.away
        if could:
            counts["assigned_where_one_could"] += 1
            counts["assigned_with_every_skill"] += needed <= agent.skills


def assignment_hour(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assignment_hour", description=__doc__)
    parser.add_argument("--kind", action="append", choices=list(KINDS))
    parser.add_argument("--seed", type=int, default=84)
    args = parser.parse_args(argv)
    for kind in args.kind or list(KINDS):
        found = hour(kind, args.seed)
        could = found.get("assigned_where_one_could", 0)
        found["share_with_every_skill"] = (
            round(found.get("assigned_with_every_skill", 0) / could, 3) if could else None
        )
        print(json.dumps(found, sort_keys=True))
        print(json.dumps(hour(kind, args.seed, "skills"), sort_keys=True))
    return 0


def _rows(path: Path, language_key: str) -> list[tuple[str, str]]:
    found = []
    for line in path.read_text("utf-8").splitlines():
        row = json.loads(line)
        text = f"{row.get('subject') or ''}\n{row.get('text') or row.get('description') or ''}"
        found.append((text, str(row[language_key])))
    return found


def _language_sets(dev_only: bool) -> dict[str, dict[str, list[tuple[str, str]]]]:
    data = ROOT / "tests" / "data"
    dev = {
        "bitext_translated": _rows(data / "bitext_translated.jsonl", "lang"),
        "fault_examples": _rows(data / "fault_examples.jsonl", "lang"),
        "spam_examples": _rows(data / "spam_examples.jsonl", "lang"),
        "answers_heldout": [
            row for path in sorted(data.glob("answers_heldout*_tickets.jsonl"))
            for row in _rows(path, "language")
        ],
        "language_dev_hard": _rows(data / "language_dev_hard.jsonl", "lang"),
        "language_dev_check": _rows(data / "language_dev_check.jsonl", "lang"),
    }  # fmt: skip
    # Apart: English alone, short retail requests (Bitext, CDLA-Sharing 1.0), where a reading
    # that names another language sends an English ticket to the wrong agents.
    english = {
        "bitext_english": [(text, "en") for text, _ in _rows(data / "bitext.jsonl", "source")]
    }
    if dev_only:
        return {"dev": dev, "english": english}
    # The held-out sets: the first was looked at once while the first reading was chosen; the
    # others were written blind by other authors and committed before they were first measured.
    held_out = {
        path.stem: _rows(path, "lang") for path in sorted(data.glob("language_heldout*.jsonl"))
    }
    return {"dev": dev, "held_out": held_out, "english": english}


def assignment_language(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="assignment_language", description=__doc__)
    parser.add_argument(
        "--dev-only", action="store_true", help="the dev sets and the English requests alone"
    )
    parser.add_argument(
        "--languages",
        help="the languages the helpdesk has skills for, comma-separated ISO 639-1 codes "
        "(default: every language the sets read hold)",
    )
    args = parser.parse_args(argv)
    parts = _language_sets(args.dev_only)
    labelled = {lang for sets in parts.values() for rows in sets.values() for _, lang in rows}
    asked = args.languages.split(",") if args.languages else sorted(labelled)
    codes = lingua_languages(asked)
    if args.languages and set(asked) - codes:
        parser.error(f"--languages: Lingua reads none of {sorted(set(asked) - codes)}")
    print(json.dumps({"languages_asked": sorted(codes)}))
    for part, sets in parts.items():
        for reading in ("stopwords", "routing"):
            total = right = 0
            for name, rows in sets.items():
                per: Counter[str] = Counter()
                hits: Counter[str] = Counter()
                for text, language in rows:
                    read = detect_language(_tokens(text), text)
                    if reading == "routing":
                        read = routing_language(read, text, codes)
                    per[language] += 1
                    hits[language] += read == language
                total, right = total + sum(per.values()), right + sum(hits.values())
                shares = {k: f"{hits[k]}/{per[k]}" for k in sorted(per)}
                line = {"part": part, "reading": reading, "set": name, "right": sum(hits.values())}
                print(json.dumps({**line, "of": sum(per.values()), **shares}))
            share = round(right / total, 3)
            line = {"part": part, "reading": reading, "set": "all", "right": right}
            print(json.dumps({**line, "of": total, "share": share}))
    return 0


def _tokens(text: str) -> list[str]:
    subject, _, body = text.partition("\n")
    return tokenise(subject) + tokenise(body)[:400]
