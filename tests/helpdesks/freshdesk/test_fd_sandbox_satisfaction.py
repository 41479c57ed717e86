"""A customer's survey answer made from outside, over the sandbox's HTTP, as Freshdesk takes one
(``POST /api/v2/tickets/{id}/satisfaction_ratings``): the answer on the survey's scale, and the
listing ticketbot reads (``GET /api/v2/surveys/satisfaction_ratings?created_since=``) has it from
the moment it was given, however long ago the ticket was resolved. Without the route a check
from outside had no way to make the ratings ``report`` compares."""

from __future__ import annotations

import time

import requests
from support.freshdesk_sandbox import freshdesk_auth

from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread


def test_a_customer_answers_the_survey_and_the_listing_has_it_since_then() -> None:
    now = [time.time() - 3600]
    sb = serve_in_thread(FreshdeskConfig(clock=lambda: now[0]))
    try:
        http = requests.Session()
        http.auth = freshdesk_auth(sb)
        ticket = {"subject": "Lost parcel", "description": "Where is it?", "email": "a@b.example"}
        made = http.post(f"{sb.url}/api/v2/tickets", json={**ticket, "status": 4}, timeout=5)
        assert made.status_code == 201, made.text
        rate = f"{sb.url}/api/v2/tickets/{made.json()['id']}/satisfaction_ratings"

        wrong = http.post(rate, json={"ratings": {"default_question": 5}}, timeout=5)
        assert wrong.status_code == 400, wrong.text
        missing = f"{sb.url}/api/v2/tickets/999/satisfaction_ratings"
        assert http.post(missing, json={"ratings": {"default_question": 103}}).status_code == 404

        now[0] += 1800  # the customer answers half an hour after the ticket was resolved
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now[0] - 60))
        body = {"ratings": {"default_question": -103}, "feedback": "Still no parcel."}
        answer = http.post(rate, json=body, timeout=5)
        assert answer.status_code == 201, answer.text
        assert answer.json()["feedback"] == "Still no parcel."

        listed = http.get(
            f"{sb.url}/api/v2/surveys/satisfaction_ratings",
            params={"created_since": since},
            timeout=5,
        ).json()
        assert [(r["ticket_id"], r["ratings"]["default_question"]) for r in listed] == [
            (made.json()["id"], -103)
        ]
    finally:
        sb.close()
