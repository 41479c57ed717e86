"""``ticketbot answers explain TICKET``: why a ticket was answered, or what stopped it.

Pure: the ticket, its triage, its cues (with both rankings, ``cues.gate``) and the run's
circumstances in; out, the articles both rankings considered (each with its place and score in
the keyword ranking and in the passage vectors'), the gate's probability for the first one, the
calibration's for the index's suggestion, the threshold of the ticket's category, and the
decision — the article that would be sent or drafted and which reading decided it (the
calibration's, confirmed by the gate; or the gate's own, where the calibration had no article
or was unsure), or the guard or threshold that stopped it, as ``plan.decide`` gives it (with
the cues of ``own_case`` the ticket holds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ..models import Ticket, Triage
from .decide import choose_article
from .explain_mode import AnsweringRun
from .gate import Gate
from .own_case import own_case_words
from .person_asked import person_asked
from .person_head import shipped_reader
from .plan import GATE_ALONE_AT, QUESTION_AT, Circumstances, TicketCues, choose, decide
from .second_opinion import Opinion

# What each refusal means, for a person reading ``answers explain`` (``plan.decide``'s reasons).
WHY: dict[str, str] = {
    "off": "answers are off: TICKETBOT_ANSWER_MODE=draft (or send) turns them on",
    "answered_before": "the ticket was answered automatically before: once is the rule",
    "closed": "the ticket is solved or closed",
    "assigned": "the ticket is assigned to an agent, who answers it",
    "agent_answered": "an agent has replied publicly: a person is answering",
    "conversation_unread": "the conversation could not be read, so an agent's reply could not "
    "be ruled out",
    "agent_requester": "the requester is one of the helpdesk's agents",
    "agents_unknown": "the helpdesk's agents could not be read, so a ticket from an agent could "
    "not be told apart",
    "automatic": "the message was sent by a machine (an auto-reply or a notification)",
    "negative": "the customer is angry or upset: a person answers",
    "urgent": "the triage's urgency is critical: a person answers",
    "escalated": "the ticket is escalated",
    "person_asked": "the customer asks for a person (to speak to a human, to be called): a "
    "person answers",
    "needs_person": "the ticket asks what only a person can do (money that did not arrive or "
    "came twice, an error on the customer's account)",
    "person_needed": "a person must act before the ticket is settled (a refund, a "
    "cancellation, a change to the account, a fault to fix), as the triage call or, with no LLM, "
    "the person-needed head read it: the article is only suggested",
    "own_case": "the ticket is about the customer's own case, not the general question an "
    "article answers",
    "loop_guard": "the requester got an automatic answer less than 24 hours ago",
    "triage_unsure": "the triage is not sure of the category (under its apply threshold): only "
    "a sure triage is answered without a person",
    "no_article": "no article to weigh: the {chooser} found none",
    "unconfirmed": "the passage vectors do not confirm the calibration's article (another "
    "article first, or the gate unsure of it)",
    "ambiguous": "two articles score nearly alike: the keyword lookup cannot tell which answers",
    "below_threshold": "the {chooser}'s probability {probability} is under the threshold "
    "{threshold}",
    "empty_article": "the article has no passage to quote",
    "lookup_not_theirs": "the record the ticket names is not the requester's: nothing is answered",
    "lookup_failed": "the lookup that would answer it failed: a person answers",
    "unsafe_reply": "the reply from the team's template names a number, address or secret the "
    "record looked up does not hold",
    "reports_action": "the source (an article, a document, a ready-made reply) says an "
    'action is done or will be ("we have cancelled", "your refund has been issued"): sent to '
    "a customer who asked how, it would state what nobody did; it stays the agent's suggestion",
    "known_issue": "another source the ticket fits tells of a known issue (a fault the team "
    "is working on): an answer from the article could tell the customer the fault is theirs; "
    "an agent answers",
    "unquotable": "the source holds what is never quoted to a customer: personal data, a "
    "promise of money, or words telling its reader what to tell the customer; it stays the "
    "agent's suggestion",
}


# Where the figures behind a refusal are not at hand (the dashboard's ticket page reads the
# stored decision alone), the reasons that name them in ``WHY`` are said without them.
_WITHOUT_FIGURES = {
    "no_article": "no article to weigh: the search found none",
    "below_threshold": "the best article's probability is under the answer threshold",
}


def reason_words(reason: str) -> str:
    """A refusal's reason in words, its name first, without the figures ``why`` gives."""
    said = _WITHOUT_FIGURES.get(reason) or WHY.get(reason, "")
    return f"{reason}: {said}" if said else reason


def why(shown: dict[str, Any]) -> str:
    """The refusal of an explained ticket, in words (the reason's name first)."""
    reason = str(shown["decision"].get("stopped_by", ""))
    chooser = shown["chooser"]
    probability = shown["gate_probability" if chooser == "gate" else "calibration_probability"]
    said = WHY.get(reason, "").format(
        chooser=chooser, probability=probability, threshold=shown["threshold"]
    )
    if reason == "own_case" and shown.get("own_case_words"):
        quoted = ", ".join(f'{cue} "{words}"' for cue, words in shown["own_case_words"].items())
        said += f" ({quoted})"
    if reason == "person_needed" and shown.get("person_reason"):
        said += f' ("{shown["person_reason"]}")'
    if reason == "person_asked" and shown.get("person_asked_words"):
        said += f' ("{shown["person_asked_words"]}")'
    return f"{reason}: {said}" if said else reason


def explain(
    ticket: Ticket,
    triage: Triage,
    found: TicketCues,
    where: Circumstances,
    article_body: Callable[[int, str], str],
    gate: Gate | None,
    second: Callable[[str], Opinion] | None = None,
    replied: Callable[[], str | None] | None = None,
) -> dict[str, Any]:
    """What the answer of ``ticket`` would be, and why, as one JSON-ready object; ``second``:
    the LLM's second opinion (with an LLM configured), ``replied``: the conversation read for
    an agent's reply, each asked as a run would ask it."""
    considered = []
    if found.gate is not None:
        weighed = [found.gate.candidate, *found.gate.considered]
        for cand in (c for c in weighed if c is not None):
            considered.append(
                {
                    "article_id": cand.hit.article_id,
                    "title": cand.hit.title,
                    "locale": cand.hit.locale,
                    "keyword_rank": cand.keyword_rank or None,
                    "keyword_share": round(cand.share, 4),
                    "dense_rank": cand.dense_rank or None,
                    "cosine": round(cand.cosine, 4),
                    "words_held": round(cand.held, 4),  # of the ticket's content words
                }
            )
    reader = shipped_reader() if found.person_head is None else None
    if reader is not None:  # the person-needed head, read as a run reads it
        found = replace(found, person_head=reader(f"{ticket.subject}\n{ticket.description}"))
    choice, unchosen = choose_article(triage.suggestions, where.calibration)
    gate_p = None
    if gate is not None and found.gate is not None and found.gate.candidate is not None:
        gate_p = round(gate.probability(found.gate.features), 4)
    plan, reason = decide(
        ticket, triage, found, where, article_body, second=second, replied=replied
    )
    decided_by = _decided_by(triage, found, where) if plan is not None else None
    return {
        "ticket_id": ticket.id,
        "category": triage.analysis.category,
        "mode": where.mode,
        "threshold": where.threshold,
        "chooser": "gate" if where.gate is not None else "calibration",
        "considered": considered,
        "own_case": list(found.own_case),
        "own_case_words": own_case_words(f"{ticket.subject}\n{ticket.description}")
        if found.own_case
        else {},
        "person_reason": triage.analysis.person_reason or "",
        "person_asked_words": person_asked(f"{ticket.subject}\n{ticket.description}") or "",
        "gate_probability": gate_p,
        "calibration_probability": None if choice is None else round(choice.probability, 4),
        "calibration_refusal": unchosen,  # why it has none: no_article or ambiguous
        "decision": (
            {
                "delivery": plan.delivery,
                "article_id": plan.article_id,
                "language": plan.language,
                "second_opinion": plan.second_opinion,
                "probability": plan.probability,
                "decided_by": decided_by,
            }
            if plan is not None
            else {"stopped_by": reason}
        ),
    }


def _decided_by(triage: Triage, found: TicketCues, where: Circumstances) -> str:
    """Which reading chose the article a ticket is answered with (``plan.choose``): ``gate``
    (the answers file's chooser), ``calibration`` (confirmed by the gate where there is one),
    ``gate_alone`` (the gate's own first article, at ``GATE_ALONE_AT``) or ``gate_question``
    (the same, for a ticket that asks, at ``QUESTION_AT``)."""
    if where.gate is not None:
        return "gate"
    chosen, _ = choose(triage, found, where)
    calibrated, _ = choose_article(triage.suggestions, where.calibration)
    if chosen is None or chosen == calibrated:
        return "calibration"
    return "gate_alone" if chosen.probability >= GATE_ALONE_AT else "gate_question"


def _probabilities(shown: dict[str, Any]) -> str:
    """The probabilities line: each reading's, and which one was compared, or decided."""
    gate_p, calibration_p = shown["gate_probability"], shown["calibration_probability"]
    gate_said = "none (no article ranked)" if gate_p is None else gate_p
    calibration_said = calibration_p
    if calibration_p is None:
        calibration_said = (
            "none (two suggested articles score nearly alike)"
            if shown.get("calibration_refusal") == "ambiguous"
            else "none (the keyword lookup suggested no article)"
        )
    said = f"gate probability {gate_said}, calibration probability {calibration_said}; "
    threshold, decision = shown["threshold"], shown["decision"]
    decided, p = decision.get("decided_by"), decision.get("probability")
    if decided in ("gate_alone", "gate_question"):
        # The gate's own reading chose: the calibration's, unsure or without an article, did not.
        own = GATE_ALONE_AT if decided == "gate_alone" else QUESTION_AT
        asks = ", for a ticket that asks a question" if decided == "gate_question" else ""
        return said + (
            f"decided by the gate's {p} against its own threshold {own}{asks} (and the "
            f"category's {threshold}); the calibration's {calibration_said} did not decide"
        )
    if decided == "gate":
        return said + f"decided by the gate's {p} against the threshold {threshold}"
    if decided == "calibration":
        confirmed = ", the gate confirming its article" if gate_p is not None else ""
        return said + (
            f"decided by the calibration's {p} against the threshold {threshold}{confirmed}"
        )
    return said + f"the {shown['chooser']}'s is compared with the threshold {threshold}"


# The refusals whose words need the run's probabilities, which the store does not keep.
_RUN_WHY = {
    "below_threshold": "the chooser's probability was under the category's threshold",
    "no_article": "no article to weigh",
}
# What a run's stored answer state means, in words.
_STATES = {
    "planned": "an answer planned to be sent",
    "sent": "an answer sent",
    "drafted": "an answer drafted in the note",
    "cancelled": "an answer planned, then cancelled before it was sent",
}


def _run_lines(shown: dict[str, Any]) -> list[str]:
    """What the run that triaged the ticket decided (from the audit store), and whether
    deciding again here, in this shell's mode, gives the same."""
    run = shown.get("run_decision")
    if not run:
        return []
    stopped = run.get("stopped_by")
    if stopped == "off":
        what = "no answer (answers were off for its category in that run, or it was set aside)"
    elif stopped:
        said = _RUN_WHY.get(stopped) or WHY.get(stopped, "")
        what = f"not answered: {stopped}: {said}" if said else f"not answered: {stopped}"
    else:
        what = _STATES.get(str(run.get("state")), str(run.get("state")))
    mode = run.get("mode") or "off"
    lines = [f"the run decided: {what} (run {run['run_id']} at {run['at']}, mode {mode})"]
    decision = shown["decision"]
    now = decision.get("stopped_by") or decision.get("delivery")
    then = stopped or ("draft" if run.get("state") == "drafted" else "send")
    if now != then:
        lines.append(
            f"deciding again here, in this shell's mode {shown['mode']}, gives another "
            "result (the last line): the run's decision above is what happened"
        )
    return lines


def explained_lines(ticket_id: int, shown: dict[str, Any]) -> list[str]:
    """``answers explain``'s text: the triage, each article considered, the probabilities and
    what stopped the answer (or what would be sent)."""
    source = f" ({shown['mode_source']})" if shown.get("mode_source") else ""
    lines = [
        f"ticket {ticket_id}: category {shown['category']} (keyword rules), mode "
        f"{shown['mode']}{source}, threshold {shown['threshold']}, chooser {shown['chooser']}"
    ]
    if shown.get("last_answering_run"):
        lines.append(AnsweringRun(**shown["last_answering_run"]).said())
    lines += _run_lines(shown)
    for n, article in enumerate(shown["considered"], start=1):
        lines.append(
            f"  {n}. {article['title']} (#{article['article_id']}, {article['locale']}): "
            f"keywords #{article['keyword_rank'] or '-'} share {article['keyword_share']}, "
            f"vectors #{article['dense_rank'] or '-'} cosine {article['cosine']}, "
            f"holds {article['words_held']:.0%} of the ticket's words"
        )
    if shown["considered"]:
        lines.append(
            "  (keywords: its place in the keyword ranking and its share of the ticket's keyword "
            "weight; vectors: its place by meaning and the best passage's cosine; '-': not "
            "ranked there)"
        )
    lines.append(_probabilities(shown))
    if shown.get("articles_without_vectors"):
        lines.append(
            f"note: {shown['articles_without_vectors']} of the index's articles have no passage "
            "vectors (a run stores them only when the answers file chooses the gate): the "
            "vector ranking and the gate's probability leave them out; 'ticketbot kb sync' "
            "stores them"
        )
    decision = shown["decision"]
    if "stopped_by" in decision:
        lines.append(f"not answered: {why(shown)}")
    else:
        lines.append(
            f"would {decision['delivery']} article #{decision['article_id']} "
            f"in {decision['language']}"
        )
        if decision.get("second_opinion"):
            lines.append(f"the LLM's second opinion: {decision['second_opinion']}")
    return lines
