"""Answering in a run: each triaged ticket's answer planned with its write-back, the replies
sent once the triage writes are flushed, and what a customer's reply to an answer does.

``RunAnswers`` is built by ``run_once`` when an answers mode is on. The ticket flow asks it for
the ticket's cues when it takes a ticket (``cues``) and for the answer with the write-back
(``attach``: draft → the reply in the note and ``<prefix>answer_drafted``; send → the reply in
the note, announced, and an entry in the answers' book, fsync'd before the note goes out). The
pipeline calls ``send_pending`` after the flush (``answers.deliver``: re-read, then send once);
the reply pass calls ``after_reply`` (a thank-you resolves, anything else re-opens for people);
``judge_drafts`` and ``settle_sent`` measure the ``auto`` ladder (an agent's "not helped", by
tag or on the dashboard, ``on_dashboard``: a draft not used, an answer re-opened). Dry runs write
nothing and show each reply in full; shadow runs log what would have been sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..common.eventlog import EventSink
from ..errors import TicketBotError
from ..kb.dense import Retrieved
from ..models import Ticket, Triage, WriteBack
from ..passes.caution import Caution
from ..triage.confidence import Calibration
from ..triage.note_text import llm_text
from ..triage.prepare import prepare_ticket
from ..writeback.note import inert_block
from ..writeback.planner import with_customer_reply, with_note_line
from ..writeback.wording import DEFAULT_LANGUAGE, wording
from .agents import Agents, FixedAgents
from .book import AnswerBook
from .compose import without_name
from .customers import AnsweredCustomers
from .decide import QUOTABLE
from .deliver import AnswerDesk, answer_tags, replied_before
from .gate import Gate
from .grounded import GroundedReplies
from .ladder import agent_said_no, demote_if_due, draft_accepted, first_agent_reply, ladder_caution
from .person_head import shipped_reader
from .plan import Circumstances, TicketCues, Writer, cues, decide
from .policy import AnswersPolicy
from .second_opinion import Complete, Opinion, ask
from .sending import PlannedReplies
from .vocab import (
    AnswerCounts,
    AnswerPlan,
    answered_tag,
    drafted_tag,
    reopened_tag,
    reply_block,
    resolved_tag,
)

if TYPE_CHECKING:
    from ..writeback.batch_writer import WriteClaims

DRAFTS_JUDGED_PER_RUN = 50
# The plans kept for a re-plan before their write and for the audit store (written within
# seconds): ``serve`` plans for weeks, and keeps only the latest.
PLANS_KEPT = 10_000


class RunAnswers:
    on_dashboard: frozenset[int] = frozenset()  # rated "not helped" there (``feature``)

    def __init__(
        self,
        *,
        policy: AnswersPolicy,
        book: AnswerBook,
        desk: AnswerDesk,
        article_body: Callable[[int, str], str],
        agents: Agents | Iterable[int],
        prefix: str,
        marker: str,
        log: EventSink,
        dry_run: bool,
        shadow: bool,
        now: Callable[[], float] = time.time,
        calibration: Calibration | None = None,
        writer: Writer | None = None,
        alert: Callable[[str, str], object] | None = None,
        retrieve: Callable[[str], Retrieved] | None = None,
        gate: Gate | None = None,
        confirm: Gate | None = None,
        translate: Callable[[str, str], str | None] | None = None,
        second_opinion: Complete | None = None,
        served: bool = False,
        claims: WriteClaims | None = None,
        note_language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self.policy = policy
        # The agents' language, for the line a cancelled reply leaves on its ticket (a ticket
        # planned in this run: the language its note was written in).
        self.note_language = note_language
        self._note_languages: dict[int, str] = {}
        # The LLM's plain-text call, asked whether a passage answers a ticket before it is sent.
        self._second_opinion = second_opinion
        # The LLM's translator: the agent's version of a reply in another language.
        self._translate = translate
        self.book = book
        self.desk = desk
        self._article_body = article_body
        self._agents = agents if isinstance(agents, Agents) else FixedAgents(agents)
        # ``serve``: sends only the replies it planned, and leaves the drafts' judging and the
        # settling of sent answers to the scheduled run (which reads their conversations).
        self.served = served
        self.sender = PlannedReplies(
            book,
            desk,
            prefix=prefix,
            marker=marker,
            log=log,
            now=now,
            claims=claims,
            note_language=lambda ticket_id: self._note_languages.get(ticket_id, note_language),
        )
        self.prefix = prefix
        self.marker = marker
        self.log = log
        self.dry_run = dry_run
        self.shadow = shadow
        self.now = now
        self.calibration = calibration
        self.writer = writer
        self.alert = alert
        self.retrieve = retrieve
        # Without an LLM's view, the person-needed head reads the vector the ranking asked for.
        self._person = shipped_reader() if retrieve is not None else None
        self.gate = gate
        self.confirm = confirm
        self.counts = AnswerCounts()
        self.grounded = GroundedReplies()  # replies a lookup's record grounds, by ticket
        self._lock = threading.Lock()
        self._ladder_lock = threading.Lock()
        self._plans: dict[int, AnswerPlan] = {}  # this run's, for a re-plan before the write
        self._refusals: dict[int, tuple[str, str]] = {}  # why no answer, and in which mode
        self._agent_texts: dict[tuple[int, str], str] = {}  # the agent's versions, once
        self._requesters = AnsweredCustomers(desk)  # customers' names and locales, for the replies
        # The categories this run met on the ``auto`` ladder's draft step (``caution``).
        self.drafting: set[str] = set()

    @property
    def writes(self) -> bool:
        return not (self.dry_run or self.shadow)

    def refusal_of(self, ticket_id: int) -> tuple[str, str] | None:
        """Why this run gave the ticket no answer, and the mode it was decided in (the audit
        store keeps both: ``answers explain`` reports the run's decision, not its own)."""
        with self._lock:
            return self._refusals.get(ticket_id)

    def plan_of(self, ticket_id: int) -> AnswerPlan | None:
        """The answer this run planned for the ticket (the audit store keeps its text)."""
        with self._lock:
            return self._plans.get(ticket_id)

    def cues(self, ticket: Ticket) -> TicketCues:
        found = cues(ticket.subject, ticket.description, self.retrieve, self._person)
        if self._second_opinion is None:
            return found
        shown = prepare_ticket(ticket.subject, ticket.description, people=ticket.people)
        return replace(found, shown=f"{shown.subject}\n{shown.body}")

    def mode(self, category: str, subcategory: str | None) -> str:
        mode = self.policy.mode_for(category, subcategory)
        if mode != "auto":
            return mode
        rung = self.book.rung(category)
        if rung == "draft":
            with self._lock:
                self.drafting.add(category)
        return rung

    def caution(self) -> Caution | None:
        """Draft-only, while categories on the ladder have not proven their drafts yet: those
        this run met and those the book keeps drafts of, so a quiet run says it as a busy one."""
        kept = {d["category"] for d in self.book.drafts().values()}
        with self._lock:
            met = self.drafting | {c for c in kept if self.policy.mode_for(c) == "auto"}
        return ladder_caution({c for c in met if self.book.rung(c) == "draft"}, self.policy.ladder)

    # -- planning (worker threads) -------------------------------------------------------

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        found: TicketCues | None,
        *,
        replanned: bool = False,
        language: str = DEFAULT_LANGUAGE,
    ) -> WriteBack:
        """The write-back with the ticket's answer (``replanned``: the same ticket planned again
        from a fresh read before its write: decided again, counted and logged once).
        ``language``: the note's (the agent's); a reply in another one is shown in it too."""
        if found is None:
            return writeback
        analysis = triage.analysis
        category, sub = analysis.category, analysis.subcategory
        mode = self.mode(category, sub)
        if mode == "off":
            return writeback
        agents = self._agents.ids()  # None: unknown now, so no ticket is answered
        where = Circumstances(
            mode=mode,  # type: ignore[arg-type]
            threshold=self.policy.threshold_for(category, sub),
            escalated=bool(getattr(writeback, "escalated", False)),
            requester_is_agent=agents is None or ticket.requester_id in agents,
            requester_answered_at=self.book.requester_answered_at(ticket.requester_id, ticket.id),
            answered_here=self.book.was_sent(ticket.id),
            now=self.now(),
            prefix=self.prefix,
            calibration=self.calibration,
            gate=self.gate,
            confirm=self.confirm,
        )
        with self._lock:
            earlier = self._plans.get(ticket.id) if replanned else None
        # Re-planned from a fresh read: the guards are checked again, the text and the second
        # opinion are kept (an LLM is not asked twice for one ticket's answer).
        writer = None if earlier is not None else self.writer
        offered = self.grounded.get(ticket.id) if mode == "send" else None
        replied = lambda: replied_before(self.desk, ticket.id)  # noqa: E731
        plan, reason = (
            self.grounded.decide(ticket, triage, found, where, offered, replied, writer)
            if offered is not None and agents is not None
            else decide(
                ticket,
                triage,
                found,
                where,
                self._article_body,
                writer,
                name=lambda: self._requesters.name(ticket.requester_id),
                locale=lambda: self._requesters.locale(ticket.requester_id),
                second=None if earlier is not None else self._second(found),
                replied=replied,
            )
            if agents is not None
            else (None, "agents_unknown")
        )
        if plan is not None and earlier is not None:
            plan = earlier
        if plan is not None:
            with self._lock:
                self._refusals.pop(ticket.id, None)
                self._plans[ticket.id] = plan
                self._note_languages[ticket.id] = language
                if len(self._plans) > PLANS_KEPT:  # a server's: the oldest were written
                    self._plans.pop(next(iter(self._plans)))
        if plan is None:
            reason = reason or "none"
            with self._lock:
                self._plans.pop(ticket.id, None)  # refused on a fresh read: no longer planned
                self._refusals[ticket.id] = (reason, mode)
                if len(self._refusals) > PLANS_KEPT:
                    self._refusals.pop(next(iter(self._refusals)))
            # The note names what held the reply back, so the ticket itself says it.
            words = wording(language)
            held = with_note_line(
                writeback, words.say("answer_held", reason=reason, ticket=ticket.id)
            )
            if replanned:
                if self.writes:
                    self.book.drop(ticket.id)  # refused on the fresh read: not to be sent
                return held
            with self._lock:
                self.counts.refused[reason] = self.counts.refused.get(reason, 0) + 1
            # ``sources``: the public ones the index found; none makes the ticket an article to
            # write, whatever guard refused it first (``report.to_write``).
            public = sum(1 for s in triage.suggestions if s.visibility in QUOTABLE)
            said = {"category": category, "reason": reason, "sources": public}
            self.log.emit("answer_refused", ticket_id=ticket.id, **said)
            return held
        return self._planned(plan, writeback, quiet=replanned, language=language)

    def _agent_version(self, plan: AnswerPlan, language: str) -> str:
        """The reply in the agent's language, beside the customer's, when the LLM gives one:
        asked without the customer's name (the greeting's), the reply's only personal data."""
        if self._translate is None or plan.language == language:
            return ""
        words = wording(language)
        with self._lock:
            done = self._agent_texts.get((plan.ticket_id, language))
        if done is None:
            done = self._translate(without_name(plan.body, plan.language), language) or ""
            with self._lock:
                self._agent_texts[(plan.ticket_id, language)] = done
        if not done:
            return ""
        title = words.say("draft_agent", language=words.language_name(language))
        return "\n\n" + "\n".join([title, *inert_block(llm_text(done, urls=[], articles=0))])

    def _planned(
        self, plan: AnswerPlan, writeback: WriteBack, *, quiet: bool, language: str
    ) -> WriteBack:
        fields: dict[str, Any] = {
            "ticket_id": plan.ticket_id,
            "category": plan.category,
            "article_id": plan.article_id,
            "probability": plan.probability,
            "language": plan.language,
            # Where the reply's words came from: "excerpt" or "llm" (``source`` in the log
            # names the process: ``serve``).
            "text_from": plan.source,
        }
        if plan.second_opinion is not None:
            fields["second_opinion"] = plan.second_opinion
        with self._lock:
            if self.dry_run and not quiet:
                self.counts.texts.append((plan.ticket_id, plan.delivery, plan.body))
        words = wording(language)
        if plan.delivery == "draft":
            if self.writes:
                self.book.drafted(plan, self.now())
            if not quiet:
                with self._lock:
                    self.counts.drafted += 1
                self.log.emit("answer_drafted", shadow=self.shadow, **fields)
            block = reply_block(words.say("reply_drafted"), plan.body, words.say("end_of_reply"))
            block += self._agent_version(plan, language)
            return with_customer_reply(
                writeback, block, plan.article_id, (drafted_tag(self.prefix),)
            )
        if self.shadow and not quiet:
            # Logged without the customer's name: the log is not the customer's mail.
            body = without_name(plan.body, plan.language)
            self.log.emit("answer_would_send", body=body, **fields)
        elif self.writes:
            self.book.plan(plan, self.now())  # fsync'd before the note announcing it is sent
        if not quiet:
            with self._lock:
                self.counts.planned += 1
            self.log.emit("answer_planned", dry_run=self.dry_run, shadow=self.shadow, **fields)
        block = reply_block(words.say("reply_to_send"), plan.body, words.say("end_of_reply"))
        block += self._agent_version(plan, language)
        tags = answer_tags(plan, self.prefix) if self.dry_run else ()  # the send's, shown
        return with_customer_reply(writeback, block, plan.article_id, tags)

    def _second(self, found: TicketCues) -> Callable[[str], Opinion] | None:
        """The LLM's second opinion on a passage for this ticket, shown redacted (its people's
        names and e-mails, and personal numbers, gone: ``cues``); None without an LLM."""
        complete = self._second_opinion
        if complete is None:
            return None

        def opinion(passage: str) -> Opinion:
            said = ask(complete, found.shown, passage)
            if said.model and not self.served:  # serve totals no run: it would only grow
                with self._lock:
                    self.counts.llm_usage.append(
                        (said.model, said.prompt_tokens, said.completion_tokens)
                    )
            return said

        return opinion

    # -- sending (after the flush) -------------------------------------------------------

    def send_pending(self, should_stop: Callable[[], str | None]) -> None:
        if not self.writes:
            return
        only = None
        if self.served:  # serve sends its own plans; the run sends the rest
            with self._lock:
                only = {t for t, plan in self._plans.items() if plan.delivery == "send"}
        for done in self.sender.send(should_stop, only):
            with self._lock:
                if done.outcome in ("sent", "finished"):
                    self.counts.sent += 1
                else:
                    self.counts.cancelled += 1
                if self.served:  # a server's life is long: its settled plans are let go
                    self._plans.pop(done.plan.ticket_id, None)
                    self._note_languages.pop(done.plan.ticket_id, None)

    # -- what the customer said next (the reply pass) ---------------------------------------

    def after_reply(self, ticket: Ticket, kind: str) -> None:
        """A thank-you resolves an answered ticket; anything else but an automatic reply
        re-opens it for people, for good."""
        prefix = self.prefix
        if not self.writes or answered_tag(prefix) not in ticket.tags or kind == "auto_reply":
            return
        if resolved_tag(prefix) in ticket.tags or reopened_tag(prefix) in ticket.tags:
            return
        row = self.book.sent_rows().get(ticket.id, {})
        category = row.get("category")
        if kind == "thanks":
            status = "solved" if self.policy.solve_on_thanks else "open"
            self.desk.set_status(ticket.id, status, add_tags=(resolved_tag(prefix),))
            self.book.outcome(ticket.id, "resolved", self.now())
            with self._lock:
                self.counts.resolved += 1
            self.log.emit(
                "answer_resolved",
                ticket_id=ticket.id,
                category=category,
                solved=status == "solved",
                tags_added=[resolved_tag(prefix)],
            )
            return
        # Begins as ticketbot's other notes do, so the dashboard shows it among them.
        note = (
            "ticketbot: the automated answer did not help: the customer replied to it. "
            "ticketbot will not answer this ticket automatically again; it is over to the team."
        )
        self.desk.set_status(ticket.id, "open", add_tags=(reopened_tag(prefix),), note=note)
        self.book.outcome(ticket.id, "reopened", self.now())
        with self._lock:
            self.counts.reopened += 1
        self.log.emit(
            "answer_reopened",
            ticket_id=ticket.id,
            category=category,
            tags_added=[reopened_tag(prefix)],
            note=True,
        )
        self._maybe_demote(category)

    # -- the ladder ------------------------------------------------------------------------

    def judge_drafts(self) -> None:
        """Read the first public agent reply of drafted tickets not judged yet."""
        if not self.writes or self.served:
            return
        pending = [(tid, d) for tid, d in self.book.drafts().items() if d["accepted"] is None]
        for ticket_id, draft in pending[:DRAFTS_JUDGED_PER_RUN]:
            try:
                conversation = self.desk.conversation(ticket_id)
            except TicketBotError:
                continue
            if conversation is None:
                continue
            said_no = agent_said_no(conversation.ticket, self.prefix, self.on_dashboard)
            reply = first_agent_reply(conversation.messages)
            if reply is None and not said_no:
                continue
            accepted = (
                reply is not None
                and not said_no  # an agent's feedback tag: the draft did not help
                and draft_accepted(draft["answer"], draft["article_id"], draft["url"], reply.body)
            )
            self.book.judge_draft(ticket_id, accepted)
            self.log.emit(
                "answer_draft_judged",
                ticket_id=ticket_id,
                category=draft["category"],
                accepted=accepted,
            )

    def settle_sent(self) -> None:
        """Answers the customer never replied to, whose ticket is solved now (the helpdesk
        solves a pending ticket after its pending period, or an agent did): resolved."""
        if not self.writes or self.served:
            return
        outcomes = self.book.outcomes()
        open_ones = [t for t in self.book.sent_rows() if t not in outcomes]
        for ticket_id in open_ones[:DRAFTS_JUDGED_PER_RUN]:
            try:
                conversation = self.desk.conversation(ticket_id)
            except TicketBotError:
                continue
            if conversation is not None and agent_said_no(
                conversation.ticket, self.prefix, self.on_dashboard
            ):  # an agent said the answer did not help (tag or dashboard): counted as re-opened
                category = self.book.sent_rows().get(ticket_id, {}).get("category")
                self.book.outcome(ticket_id, "reopened", self.now())
                self.log.emit("answer_reopened", ticket_id=ticket_id, category=category, by="agent")
                self._maybe_demote(category)
                continue
            if conversation is None or conversation.ticket.status not in ("solved", "closed"):
                continue
            messages = conversation.messages
            ours = [i for i, m in enumerate(messages) if m.public and m.from_ticketbot]
            after = messages[ours[0] + 1 :] if ours else ()
            if any(m.public and m.from_requester for m in after):
                continue  # the customer answered: the reply pass decides
            self.book.outcome(ticket_id, "resolved", self.now())
            with self._lock:
                self.counts.resolved += 1
            category = self.book.sent_rows().get(ticket_id, {}).get("category")
            self.log.emit("answer_resolved", ticket_id=ticket_id, category=category, solved=True)

    def _maybe_demote(self, category: str | None) -> None:
        if category is None or self.policy.mode_for(category) != "auto":
            return
        with self._ladder_lock:  # replies are judged on several threads: demote once
            message = demote_if_due(category, self.book, self.policy.ladder, self.now())
        if message is None:
            return
        self.log.emit("answer_category_demoted", level="warning", category=category)
        if self.alert is not None:
            self.alert(category, message)
