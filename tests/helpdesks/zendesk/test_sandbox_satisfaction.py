"""A customer's satisfaction rating made from outside, over the sandbox's HTTP, as Zendesk takes
one (``POST /api/v2/tickets/{id}/satisfaction_rating``): a solved ticket's requester answers
good or bad, and the listing ticketbot reads (``GET /api/v2/satisfaction_ratings?start_time=``)
has it from the moment it was given, however long ago the ticket was solved. Without the route
a check from outside had no way to make the ratings ``report`` compares."""

from __future__ import annotations

import time

import requests
from support.zendesk_sandbox import sandbox_auth

from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread


def test_a_requester_rates_a_solved_ticket_and_the_listing_has_it_since_then() -> None:
    now = [time.time() - 3600]
    with serve_in_thread(SandboxConfig(clock=lambda: now[0])) as sb:
        sb.store.use_clock(lambda: now[0])
        http = requests.Session()
        http.auth = sandbox_auth(sb)
        made = http.post(
            f"{sb.url}/api/v2/tickets.json",
            json={"ticket": {"subject": "Lost parcel", "comment": {"body": "Where is it?"}}},
            timeout=5,
        )
        ticket_id = made.json()["ticket"]["id"]
        rate = f"{sb.url}/api/v2/tickets/{ticket_id}/satisfaction_rating.json"

        early = http.post(rate, json={"satisfaction_rating": {"score": "good"}}, timeout=5)
        assert early.status_code == 422, early.text  # not solved yet
        solved = {"ticket": {"status": "solved"}}
        assert http.put(f"{sb.url}/api/v2/tickets/{ticket_id}.json", json=solved, timeout=5).ok
        wrong = http.post(rate, json={"satisfaction_rating": {"score": "offered"}}, timeout=5)
        assert wrong.status_code == 422, wrong.text
        assert wrong.json()["error"] == "RecordInvalid"
        unknown = f"{sb.url}/api/v2/tickets/999/satisfaction_rating.json"
        assert http.post(unknown, json={"satisfaction_rating": {"score": "bad"}}).status_code == 404

        now[0] += 1800  # the customer answers the survey half an hour after it was solved
        rated_at = int(now[0])
        body = {"satisfaction_rating": {"score": "bad", "comment": "Still no parcel."}}
        answer = http.post(rate, json=body, timeout=5)
        assert answer.status_code == 200, answer.text
        (rating,) = answer.json()["satisfaction_rating"]
        assert (rating["ticket_id"], rating["score"]) == (ticket_id, "bad")
        assert rating["comment"] == "Still no parcel."

        listed = http.get(
            f"{sb.url}/api/v2/satisfaction_ratings.json",
            params={"start_time": rated_at - 60},
            timeout=5,
        ).json()["satisfaction_ratings"]
        assert [(r["ticket_id"], r["score"]) for r in listed] == [(ticket_id, "bad")]
