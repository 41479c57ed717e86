"""Personal data in the forms beyond ASCII spellings, end to end: ``ticketbot run`` against
the Zendesk sandbox, the LLM stand-in and a webhook receiver. The ticket is escalated (a route
escalates critical tickets), so its redacted subject goes to the escalation
webhook too; none of the forms reaches the stand-in, the webhook or the state's cache, and
the harmless order number in Arabic-Indic digits reaches the LLM as written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.cli import invoke
from support.e2e import configure, create, triaged_events
from support.webhook import Receiver

from ticket_processor.helpdesks.zendesk.sandbox.server import RunningSandbox
from ticket_processor.sandbox.llm_standin.answers import iter_requests, keyword_answer
from ticket_processor.sandbox.llm_standin.server import RunningStandin

ROUTES = '[[route]]\nname = "hot"\nwhen = { urgency = "critical" }\nescalate = true\n'
SUBJECT = "Outage: call +٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨ or иван.петров@пример.рф, from 203.0.113.45"
BODY = "\n".join(
    [
        "Critical outage. My card ٤١١١ ١١١١ ١١١١ ١١١١ and 5555/5555/5555/4444 were charged.",
        "Call +1 415 555 0132 ext. 2047. Steuer-IdNr. 47 036 892 816, DNI 12345678Z,",
        "NIR 1 85 05 78 006 084 91, sort code 20-00-00, account 55779911.",
        "IBAN DE89 3704 0044",
        "0532 0130 00. We moved to 42 Elm Street, Springfield, IL 62704.",
        "Refund to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq or "
        "0x52908400098527886E0F7030069857D2E4169EE7; my IPv6 is 2a00:1450:4001:81b::200e.",
        "Order طلب ٤٥٦٧٨, Windows 10.0.19045.3803, error 0x80070005.",
    ]
)
PERSONAL = [
    "٧٩٤٦ ٠٩٥٨",
    "иван.петров",
    "203.0.113.45",
    "٤١١١ ١١١١",
    "5555/5555",
    "ext. 2047",
    "47 036 892 816",
    "12345678Z",
    "006 084 91",
    "55779911",
    "0532 0130 00",
    "62704",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "2a00:1450:4001:81b::200e",
]
KEPT = ["طلب ٤٥٦٧٨", "10.0.19045.3803", "0x80070005"]


def critical(subject: str, body: str) -> dict[str, Any]:
    return {**keyword_answer(subject, body), "urgency": "critical", "confidence": 0.9}


def test_no_form_reaches_the_llm_the_webhook_or_the_cache(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sandbox: RunningSandbox,
    make_standin: Callable[..., RunningStandin],
    receiver: Receiver,
) -> None:
    llm = make_standin(answer=critical)
    routes = tmp_path / "routes.toml"
    routes.write_text(ROUTES, "utf-8")
    configure(
        monkeypatch,
        tmp_path,
        sandbox=sandbox,
        llm_url=llm.url,
        TICKETBOT_ROUTES=str(routes),
        TICKETBOT_ALERT_WEBHOOK=receiver.url,
    )
    (ticket_id,) = create(sandbox, [{"subject": SUBJECT, "comment": {"body": BODY}}])
    result = invoke("run")
    assert result.exit_code == 0, result.output
    assert triaged_events(tmp_path / "logs")[ticket_id]["escalated"] is True

    sent = "\n".join(iter_requests(llm))
    webhook = json.dumps(receiver.bodies, ensure_ascii=False)
    cache = "".join(p.read_text("utf-8") for p in (tmp_path / "state").rglob("cache*.json"))
    assert receiver.bodies, "the escalation was not posted: the webhook check would be empty"
    assert cache, "no cache file: the cache check would be empty"
    places = {"llm": sent, "webhook": webhook, "cache": cache}
    leaks = [(v, where) for v in PERSONAL for where, text in places.items() if v in text]
    assert leaks == []
    assert [v for v in KEPT if v not in sent] == []
