"""Macros and a solved history that uses them, put on a sandbox desk of any kind through the
helpdesk's own API (macros, canned responses, record templates) and the desk's history import.

``add_macros``: three macros of each kind's shapes; ``post_macro``: one shared macro;
``macros_words``: what the desk's helpdesk calls them, in its adapter's words;
``answered_history``: solved tickets from the committed BANKING77 sample
(``tests/data/macros_banking77*``), each answered with its intent's macro in an agent's own
greeting and sign-off, or in the agent's own words where its intent has none;
``refunds_history``: ``ticketbot seed``'s macros and history and such a history long enough for
the tag, its refunds answered with the seed's "Refund issued".
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from ticket_processor.helpdesks.servicenow.records import sys_int
from ticket_processor.macros.sync import macro_word, macros_noun
from ticket_processor.run.connect import connect, load_settings
from ticket_processor.sandbox.desks import Desk, NewTicket

TIMEOUT = (5, 30)
DATA = Path(__file__).resolve().parents[1] / "data"


def _zendesk_auth(desk: Desk) -> tuple[str, str]:
    env = desk.env()
    return (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])


def _zendesk_post(desk: Desk, macro: dict[str, Any]) -> int:
    answer = requests.post(
        f"{desk.url}/api/v2/macros.json",
        json={"macro": macro},
        auth=_zendesk_auth(desk),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["macro"]["id"])


def _freshdesk_post(desk: Desk, title: str, html: str, folder: str = "General") -> int:
    auth = (desk.env()["FRESHDESK_API_KEY"], "X")
    folders = requests.get(f"{desk.url}/api/v2/canned_response_folders", auth=auth, timeout=TIMEOUT)
    by_name = {f["name"]: f["id"] for f in folders.json()}
    answer = requests.post(
        f"{desk.url}/api/v2/canned_responses",
        json={"title": title, "content_html": html, "folder_id": by_name[folder]},
        auth=auth,
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _servicenow_post(desk: Desk, title: str, template: str, table: str = "incident") -> int:
    """A record template of ``table`` (an encoded query: ``comments=...`` is a public reply,
    ``work_notes=...`` an internal note); its id as the adapter gives it (``sys_int``)."""
    env = desk.env()
    answer = requests.post(
        f"{desk.url}/api/now/table/sys_template",
        json={"name": title, "table": table, "template": template, "active": "true"},
        auth=(env["SERVICENOW_USERNAME"], env["SERVICENOW_PASSWORD"]),
        timeout=TIMEOUT,
    )
    assert answer.status_code == 201, answer.text
    made = sys_int(answer.json()["result"]["sys_id"])
    assert made is not None
    return made


def _zendesk_macro(desk: Desk, title: str, text: str, public: bool) -> int:
    actions: list[dict[str, Any]] = [{"field": "comment_value", "value": text}]
    if not public:
        actions.append({"field": "comment_mode_is_public", "value": "false"})
    return _zendesk_post(desk, {"title": title, "actions": actions})


def _freshdesk_macro(desk: Desk, title: str, text: str, public: bool) -> int:
    # A canned response is text an agent inserts, public or private as the agent sends it.
    assert public, "Freshdesk's canned responses have no internal-note kind"
    return _freshdesk_post(desk, title, "".join(f"<p>{p}</p>" for p in text.split("\n\n")))


def _servicenow_macro(desk: Desk, title: str, text: str, public: bool) -> int:
    # A template is an encoded query: its separator may not appear in a value.
    field = "comments" if public else "work_notes"
    return _servicenow_post(desk, title, f"{field}={text.replace('^', ' ')}")


# One shared macro, in each helpdesk's shapes: a macro, a canned response in the General
# folder, a record template of the incident table.
_MACROS: dict[str, Callable[[Desk, str, str, bool], int]] = {
    "zendesk": _zendesk_macro,
    "freshdesk": _freshdesk_macro,
    "servicenow": _servicenow_macro,
}


# The kinds whose macros may be an internal note (Zendesk's private comment, ServiceNow's work
# note); a canned response is text an agent inserts.
NOTE_MACROS = frozenset({"zendesk", "servicenow"})


def post_macro(desk_kind: str, desk: Desk, title: str, text: str, *, public: bool = True) -> int:
    """One shared macro whose text is a public reply (``public``: else an internal note, where
    the helpdesk has that kind); its id."""
    return _MACROS[desk_kind](desk, title, text, public)


def macros_words(desk: Desk) -> tuple[str, str]:
    """What the desk's helpdesk calls the macros a sync reads, and one of them (``shared
    active macros`` and ``macro`` on Zendesk): the adapter's own words, as the sync says them."""
    helpdesk = connect(load_settings({**os.environ, **desk.env()}, env_file=None))
    try:
        return macros_noun(helpdesk)[1], macro_word(helpdesk)
    finally:
        helpdesk.close()


def add_macros(desk_kind: str, desk: Desk) -> dict[str, tuple[str, bool]]:
    """Three macros on the desk: a public reply, an internal note (Zendesk, ServiceNow) or a
    personal response (Freshdesk), and one more public reply given as HTML; the shared ones
    as the adapter should read them, by title: (text, public)."""
    shared = {
        "Refund on its way": ("Refund sent.", True),
        "Reset link": ("Use the reset link.", True),
    }
    if desk_kind == "zendesk":
        _zendesk_post(
            desk,
            {
                "title": "Refund on its way",
                "actions": [{"field": "comment_value", "value": ["channel:all", "Refund sent."]}],
            },
        )
        _zendesk_macro(desk, "Escalate to billing", "Billing, please check.", False)
        _zendesk_post(
            desk,
            {
                "title": "Reset link",
                "actions": [
                    {"field": "comment_value_html", "value": "<p>Use the <b>reset</b> link.</p>"}
                ],
            },
        )
        return {**shared, "Escalate to billing": ("Billing, please check.", False)}
    if desk_kind == "servicenow":
        _servicenow_post(desk, "Refund on its way", "comments=Refund sent.^state=6")
        _servicenow_post(desk, "Escalate to billing", "work_notes=Billing, please check.")
        _servicenow_post(desk, "Reset link", "comments=Use the reset link.")
        # Another table's template: not one for the tickets ticketbot reads.
        _servicenow_post(desk, "My own draft", "comments=Mine only.", table="problem")
        return {**shared, "Escalate to billing": ("Billing, please check.", False)}
    _freshdesk_post(desk, "Refund on its way", "<p>Refund sent.</p>")
    _freshdesk_post(desk, "My own draft", "<p>Mine only.</p>", folder="Personal")
    _freshdesk_post(desk, "Reset link", "<p>Use the <b>reset</b> link.</p>")
    return shared


GREETINGS = ("Hi,", "Hello,", "Hi there,")
SIGN_OFFS = ("Best regards,\nSam", "Kind regards,\nAlex", "Thanks,\nJo")
OWN_WORDS = (
    "Thanks for your patience. I have looked into this for you and sorted it out on our side.",
    "I checked your account and everything is in order now. Let me know if anything else comes up.",
)


def sample(
    with_macro: int, without: int, per_intent: int
) -> tuple[dict[str, tuple[str, str]], list[dict[str, str]]]:
    """Macros of the first ``with_macro`` intents of the BANKING77 sample, and ``per_intent``
    rows of those and of ``without`` intents that have none."""
    meta = json.loads((DATA / "macros_banking77.json").read_text())
    macros = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"][:with_macro]}
    kinds = [*macros, *meta["no_macro"][:without]]
    rows = [json.loads(line) for line in (DATA / "macros_banking77_tickets.jsonl").open()]
    picked = [r for k in kinds for r in [r for r in rows if r["intent"] == k][:per_intent]]
    return macros, picked


def answered_history(
    desk: Desk,
    macros: dict[str, tuple[str, str]],
    rows: list[dict[str, str]],
    *,
    seed: int = 3,
    ending: float | None = None,
) -> dict[int, str]:
    """Each row a solved ticket, in a seeded order an hour apart ending at ``ending`` (a day
    ago), answered as the module says; by ticket id, its intent."""
    rng = random.Random(seed)
    order = list(rows)
    rng.shuffle(order)
    start = (ending or time.time() - 86400) - 3600 * len(order)
    intents = {}
    for n, row in enumerate(order):
        macro = macros.get(row["intent"])
        said = macro[1] if macro is not None else rng.choice(OWN_WORDS)
        reply = f"{rng.choice(GREETINGS)}\n\n{said}\n\n{rng.choice(SIGN_OFFS)}"
        moment = start + 3600 * n
        ticket_id = desk.import_answered(
            NewTicket("", row["text"]), [(reply, moment + 600)], moment + 1200
        )
        intents[ticket_id] = row["intent"]
    return intents


# BANKING77 kinds answered with a macro of their own, refunds answered with the seed's, and kinds
# answered in the agent's own words: ``refunds_history``.
OWN_MACROS = (
    "getting_virtual_card",
    "country_support",
    "top_up_limits",
    "pin_blocked",
    "edit_personal_details",
    "apple_pay_or_google_pay",
    "card_linking",
    "visa_or_mastercard",
)
REFUNDS = ("request_refund", "Refund_not_showing_up")
WITHOUT = ("exchange_charge", "transfer_fee_charged", "card_arrival")
PER_KIND = 12


def seed_refund_macro() -> tuple[str, str]:
    """The title and text of the seed's refund macro (``samples/ready_replies.jsonl``)."""
    samples = Path(__file__).resolve().parents[2] / "ticket_processor" / "samples"
    rows = [json.loads(line) for line in (samples / "ready_replies.jsonl").open()]
    found = next(r for r in rows if r.get("reply") == "refund")
    return str(found["title"]), str(found["text"])


def refunds_history(desk_kind: str, desk: Desk, seed: Callable[[], None]) -> tuple[str, str]:
    """``seed`` (``ticketbot seed``), eight BANKING77 macros through the helpdesk's API, and
    156 solved tickets (120 answered with a macro, the refunds with the seed's); the seed's
    refund macro's title and text."""
    seed()
    meta = json.loads((DATA / "macros_banking77.json").read_text())
    written = {m["intent"]: (m["title"], m["text"]) for m in meta["macros"]}
    for intent in OWN_MACROS:
        post_macro(desk_kind, desk, *written[intent])
    refund = seed_refund_macro()
    answers = {**{i: written[i] for i in OWN_MACROS}, **dict.fromkeys(REFUNDS, refund)}
    rows = [json.loads(line) for line in (DATA / "macros_banking77_tickets.jsonl").open()]
    kinds = [*OWN_MACROS, *REFUNDS, *WITHOUT]
    picked = [r for k in kinds for r in [r for r in rows if r["intent"] == k][:PER_KIND]]
    answered_history(desk, answers, picked)
    return refund
