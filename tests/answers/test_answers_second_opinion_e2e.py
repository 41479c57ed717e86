"""With an LLM, an answer that would be sent is first shown to it (the redacted ticket and the
passage), through the real openai SDK against the OpenAI-compatible stand-in: sent when it
agrees and names a sentence of the passage; a draft for a person, with the reason, when it
says no or names a sentence the passage does not hold."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from support.answers_desk import create_tickets, outbox, publish_help_centre, rows
from support.cli import invoke
from support.e2e import events

from ticket_processor.sandbox.desks import Desk
from ticket_processor.sandbox.llm_standin.server import RunningStandin

TICKET = {
    "subject": "Dark theme",
    "description": "How can I switch the app appearance to dark? Regards, Henrietta Quill",
    "kind": "answerable",
}
ANALYSIS = {
    "category": "how_to",
    "urgency": "low",
    "sentiment": "neutral",
    "language": "en",
    "summary": "Asks how to switch to dark mode.",
    "confidence": 0.9,
    # the triage call's person-needed view (asked when answers are on): a how-to
    "person_needed": False,
    "person_reason": "a how-to question",
}
NOT_WRITTEN = "Dark mode costs 5 EUR a month."  # not grounded: the excerpt is the answer
INVENTED = json.dumps({"answers": True, "sentence": "Dark mode is free for everyone."})
SAYS_NO = json.dumps({"answers": False, "sentence": ""})


@pytest.mark.parametrize(
    ("opinion", "sent", "reason"),
    [
        (None, True, "agrees"),
        (SAYS_NO, False, "the LLM says the passage does not answer the ticket"),
        (INVENTED, False, "the LLM's supporting sentence is not one of the passage's"),
        ("Sure! It does.", False, "the LLM's reply was not one JSON object"),
    ],
)
@pytest.mark.desk(configure=True)
def test_an_answer_is_sent_only_when_the_llm_agrees(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
    opinion: str | None,
    sent: bool,
    reason: str,
) -> None:
    script = [json.dumps(ANALYSIS), NOT_WRITTEN] + ([opinion] if opinion else [])
    llm = make_standin(script=script)  # then the stand-in answers as a model would
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    publish_help_centre(desk)
    create_tickets(desk, [TICKET], requester_name="Henrietta Quill")
    result = invoke(
        "run", "--engine", "llm", "--workers", "1", env={"TICKETBOT_ANSWER_MODE": "send"}
    )
    assert result.exit_code == 0, result.output
    assert len(outbox(desk)) == (1 if sent else 0)
    assert f"answers_sent={int(sent)}" in result.output
    assert f"answers_drafted={int(not sent)}" in result.output
    logged = [
        e for e in events(tmp_path / "logs") if e["event"] in ("answer_planned", "answer_drafted")
    ]
    assert [e["second_opinion"] for e in logged] == [reason]
    # The second opinion's call is counted in the run's tokens, beyond the triage's.
    triaged = sum(
        e.get("prompt_tokens", 0) + e.get("completion_tokens", 0)
        for e in events(tmp_path / "logs")
        if e["event"] == "ticket_triaged"
    )
    total = int(result.output.split(" tokens=")[1].split()[0])
    assert total > triaged > 0, (total, triaged)
    # The LLM was shown the ticket without its writer's name, and the passage.
    asked = [json.dumps(r) for r in llm.received if "<passage>" in json.dumps(r)]
    assert len(asked) == 1
    assert "switch the app appearance" in asked[0]
    assert "Henrietta" not in asked[0]
    assert "Quill" not in asked[0]


@pytest.mark.desk(configure=True)
def test_explain_shows_the_llms_second_opinion(
    desk: Desk,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin(script=[SAYS_NO])
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    publish_help_centre(desk)
    [ticket_id] = create_tickets(desk, [TICKET], requester_name="Henrietta Quill")
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    shown = invoke("answers", "explain", str(ticket_id), env={"TICKETBOT_ANSWER_MODE": "send"})
    assert shown.exit_code == 0, shown.output
    assert "would draft article" in shown.output, shown.output
    assert "the LLM's second opinion: the LLM says the passage does not answer" in shown.output


@pytest.mark.desk(configure=True)
def test_eval_reports_the_agreement_of_gate_and_llm(
    desk: Desk,
    tmp_path: Path,
    make_standin: Callable[..., RunningStandin],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = make_standin()  # unscripted: it answers as a model would
    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    monkeypatch.setenv("TICKETBOT_MODEL", "stand-in")
    articles = publish_help_centre(desk)
    synced = invoke("kb", "sync")
    assert synced.exit_code == 0, synced.output
    cases = [c for c in rows("answers_tickets.jsonl") if c["kind"] == "answerable"][:12]
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text(
        "".join(
            json.dumps({**c, "answer_article": sorted(articles[c["answer_article"]])}) + "\n"
            for c in cases
        ),
        "utf-8",
    )
    result = invoke("answers", "eval", str(labelled), env={"TICKETBOT_ANSWER_MODE": "send"})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["llm_asked"] >= 1, report
    assert report["llm_agreed"] + report["refused"].get("second_opinion", 0) == report["llm_asked"]
    assert 0.0 <= report["llm_agreement"] <= 1.0
    assert report["sent"] == report["llm_agreed"]
