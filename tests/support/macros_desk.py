"""Macros and a solved history that uses them, put on a sandbox desk of either kind through the
helpdesk's own API (macros, canned responses) and the desk's history import.

``add_macros``: three macros of each kind's shapes; ``post_macro``: one public macro;
``answered_history``: solved tickets from the committed BANKING77 sample
(``tests/data/macros_banking77*``), each answered with its intent's macro in an agent's own
greeting and sign-off, or in the agent's own words where its intent has none.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import requests

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


def post_macro(desk_kind: str, desk: Desk, title: str, text: str) -> int:
    """One shared, public macro (a canned response in the General folder on Freshdesk)."""
    if desk_kind == "zendesk":
        return _zendesk_post(
            desk, {"title": title, "actions": [{"field": "comment_value", "value": text}]}
        )
    return _freshdesk_post(desk, title, f"<p>{text}</p>")


def add_macros(desk_kind: str, desk: Desk) -> None:
    """Three macros on the desk: a public reply, an internal note (Zendesk) or a personal
    response (Freshdesk), and one more public reply given as HTML."""
    env = desk.env()
    if desk_kind == "zendesk":
        auth = (f"{env['ZENDESK_EMAIL']}/token", env["ZENDESK_API_TOKEN"])

        def post(macro: dict[str, Any]) -> None:
            answer = requests.post(
                f"{desk.url}/api/v2/macros.json", json={"macro": macro}, auth=auth, timeout=TIMEOUT
            )
            assert answer.status_code == 200, answer.text

        post(
            {
                "title": "Refund on its way",
                "actions": [{"field": "comment_value", "value": ["channel:all", "Refund sent."]}],
            }
        )
        post(
            {
                "title": "Escalate to billing",
                "actions": [
                    {"field": "comment_value", "value": "Billing, please check."},
                    {"field": "comment_mode_is_public", "value": "false"},
                ],
            }
        )
        post(
            {
                "title": "Reset link",
                "actions": [
                    {"field": "comment_value_html", "value": "<p>Use the <b>reset</b> link.</p>"}
                ],
            }
        )
        return
    auth = (env["FRESHDESK_API_KEY"], "X")
    folders = requests.get(f"{desk.url}/api/v2/canned_response_folders", auth=auth, timeout=TIMEOUT)
    by_name = {f["name"]: f["id"] for f in folders.json()}
    for title, html, folder in (
        ("Refund on its way", "<p>Refund sent.</p>", by_name["General"]),
        ("My own draft", "<p>Mine only.</p>", by_name["Personal"]),
        ("Reset link", "<p>Use the <b>reset</b> link.</p>", by_name["General"]),
    ):
        answer = requests.post(
            f"{desk.url}/api/v2/canned_responses",
            json={"title": title, "content_html": html, "folder_id": folder},
            auth=auth,
            timeout=TIMEOUT,
        )
        assert answer.status_code == 201, answer.text


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
