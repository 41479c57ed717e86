"""The assignment's step and pass: skills for the helpdesk's own routing, or an agent chosen.

The step notes, for each ticket it sees planned (``attach``: it changes nothing of the
triage's write), what the ticket needs: its group (the route's, else its own), its language and
category, its customer's organisation, when it was asked. Once the batch is written, the pass
reads the tickets again, so a ticket a person assigned meanwhile is left as they left it, and:

- ``skills``: writes each ticket's skills as the helpdesk's routing attributes or skills
  (``StaffingDesk.set_ticket_skills``), and no assignee: the helpdesk's routing assigns;
- ``agents``: reads the staff and their open tickets once, serves VIP tickets first and
  assigns each ticket of a group the team opted in to the agent ``choose`` picks (an agent
  whose availability the helpdesk does not keep is at work in the group's business hours); a
  ticket no one fits stays in its group, and a note line names the skill no available agent
  has.

Every assignment is logged (``ticket_assigned``: the agent, the group, the skills), which
``revert --run`` reads to take it back (``revert.py``), and kept until a person moves it
(``moves.py``: ``assignment_moved``, counted by ``report``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, cast

from ..common.eventlog import EventSink
from ..helpdesks.staffing import SkillCatalogue, Staff, StaffingDesk
from ..models import Helpdesk, Ticket, Triage, WriteBack
from ..passes.protocol import Pass, RunEnd, RunPass
from ..steps.protocol import Step, StepRun
from ..triage.prepare import PreparedTicket
from .choose import Need, assign_batch
from .language import lingua_languages, routing_language
from .moves import AssignedBook
from .policy import SkillPolicy

Mode = Literal["skills", "agents"]
_TEXT_CHARS = 4000  # enough of a description to read its language by


@dataclass(frozen=True)
class Noted:
    """What a ticket needs, noted when its change was planned."""

    ticket_id: int
    group_id: int | None
    language: str
    category: str
    organisation_id: int | None
    created_at: str
    text: str = ""  # subject and description: the language the skills take is read from them
    by_llm: bool = False  # the LLM read ``language``


def _text(ticket: Ticket) -> str:
    return f"{ticket.subject or ''}\n{(ticket.description or '')[:_TEXT_CHARS]}"


def staffing_of(helpdesk: Helpdesk) -> StaffingDesk | None:
    """The helpdesk's ``StaffingDesk``, when its kind offers one."""
    make = getattr(helpdesk, "staffing", None)
    return cast(StaffingDesk, make()) if callable(make) else None


class AssignmentStep(Step):
    name = "assignment"

    def __init__(
        self,
        mode: Mode,
        policy: SkillPolicy,
        capacity: int,
        state_dir: Path,
        now: Callable[[], float] = time.time,
        *,
        default_language: str = "en",
    ) -> None:
        self.mode, self.policy, self.capacity = mode, policy, capacity
        self.state_dir, self.now = state_dir, now
        self.default_language = default_language  # a ticket's with no word to read by
        self._lock = threading.Lock()
        self._seen: dict[int, Noted] = {}
        self._served: StepRun | None = None

    def read(self, ticket: Ticket, prepared: PreparedTicket) -> str:
        """The ticket's subject and description, its language read from them at the pass
        (the run lets the description go before the change is planned)."""
        return _text(ticket)

    def attach(
        self,
        ticket: Ticket,
        triage: Triage,
        writeback: WriteBack,
        reading: Any,
        *,
        replanned: bool,
        language: str,
    ) -> WriteBack:
        seen = Noted(
            ticket.id,
            writeback.group_id if writeback.group_id is not None else ticket.group_id,
            triage.analysis.language,
            triage.analysis.category,
            ticket.organization_id,
            ticket.created_at or "",
            reading if isinstance(reading, str) else _text(ticket),
            triage.engine == "llm",
        )
        with self._lock:
            self._seen[ticket.id] = seen
        return writeback

    def taken(self) -> list[Noted]:
        with self._lock:
            seen, self._seen = list(self._seen.values()), {}
        return seen

    def run_pass(self, run: StepRun) -> RunPass | None:
        return AssignmentPass(self, run)

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        self._served = run  # ``serve``: no pass; its batches' tickets go after their writes

    def after_writes(self, should_stop: Callable[[], str | None]) -> None:
        if self._served is not None and not should_stop():
            AssignmentPass(self, self._served).work(self._served.log, [])


class AssignmentPass(Pass):
    name = "assignment"

    def __init__(self, step: AssignmentStep, run: StepRun) -> None:
        self.step, self.run = step, run

    def write(self, end: RunEnd) -> None:
        if end.writes:
            self.work(end.log, end.summary.warnings)

    def work(self, log: EventSink, warnings: list[str]) -> None:
        """Assign (or set the skills of) the tickets the step saw planned since it last did."""
        seen = self.step.taken()
        if not self.run.writes:
            return
        desk = staffing_of(self.run.helpdesk)
        if desk is None:
            warnings.append("assignment: this helpdesk offers no agents or skills")
            return
        book = AssignedBook(self.step.state_dir)
        if self.step.mode == "agents":  # people's moves of earlier assignments, for `report`
            book.watch(self.run.helpdesk, self.run.ticket_ids(), log)
        if not seen:
            return
        catalogue = desk.catalogue()
        warnings.extend(self.step.policy.check(catalogue))
        fresh = {t.id: t for t in self.run.helpdesk.tickets([s.ticket_id for s in seen])}
        waiting = []
        for one in seen:
            ticket = fresh.get(one.ticket_id)
            if ticket is None or ticket.status in ("solved", "closed"):
                continue
            if ticket.assignee_id is not None:  # a person's choice (or an earlier run's) stands
                log.emit("assignment_kept", ticket_id=one.ticket_id, reason="assigned")
                continue
            waiting.append((one, ticket))
        waiting = [(replace(one, language=self._language(one, catalogue)), t) for one, t in waiting]
        if self.step.mode == "skills":
            self._set_skills(desk, catalogue, waiting, log)
        else:
            self._assign(desk, catalogue, waiting, log, book)
            book.save()

    def _language(self, one: Noted, catalogue: SkillCatalogue) -> str:
        """The language the ticket's skills take (``language.routing_language``), Lingua
        choosing among the languages the helpdesk has skills for."""
        policy = self.step.policy
        codes = lingua_languages(policy.languages(catalogue))
        return routing_language(
            one.language, one.text, codes, by_llm=one.by_llm, default=self.step.default_language
        )

    def _set_skills(
        self,
        desk: StaffingDesk,
        catalogue: SkillCatalogue,
        waiting: list[tuple[Noted, Ticket]],
        log: EventSink,
    ) -> None:
        known = {name.casefold() for name in catalogue.names()}
        for one, _ in waiting:
            needs = self.step.policy.needs(one.language, one.category, catalogue)
            skills = tuple(s for s in needs if s.casefold() in known)
            if skills:
                before = desk.ticket_skills(one.ticket_id)  # what a revert gives back
                # Added to what is there (a person's or a trigger's skills stay, and stay first
                # where the helpdesk takes one skill).
                desk.set_ticket_skills(one.ticket_id, tuple(dict.fromkeys((*before, *skills))))
                written = desk.ticket_skills(one.ticket_id)
                log.emit(
                    "skills_set",
                    ticket_id=one.ticket_id,
                    skills=list(written),
                    previous=list(before),
                )

    def _assign(
        self,
        desk: StaffingDesk,
        catalogue: SkillCatalogue,
        waiting: list[tuple[Noted, Ticket]],
        log: EventSink,
        book: AssignedBook,
    ) -> None:
        policy = self.step.policy
        allowed = self._groups(policy)
        tiers: dict[int, bool] = {}
        needs = []
        for one, ticket in waiting:
            group = ticket.group_id if ticket.group_id is not None else one.group_id
            if group is None or (allowed is not None and group not in allowed):
                continue
            org = ticket.organization_id
            if org is not None and org not in tiers:
                tiers[org] = policy.is_vip(desk.organisation(org))
            skills = policy.needs(one.language, one.category, catalogue)
            vip = tiers.get(org, False) if org is not None else False
            needs.append(Need(one.ticket_id, group, skills, vip, ticket.created_at or ""))
        if not needs:
            return
        staff = desk.staff()
        groups = {n.group_id for n in needs}
        members = [a.id for a in staff if groups & set(a.group_ids)]
        loads = desk.open_load(members)
        by_id = {n.ticket_id: n for n in needs}
        in_hours = self._in_hours(desk, staff, groups)
        for choice in assign_batch(needs, staff, loads, self.step.capacity, in_hours):
            need = by_id[choice.ticket_id]
            first = " (VIP customer: served first)" if need.vip else ""
            if choice.agent is None:
                desk.note(need.ticket_id, f"Not assigned: {choice.reason}; it stays in its group.")
                log.emit(
                    "assignment_none", ticket_id=need.ticket_id, reason=choice.reason, vip=need.vip
                )
                continue
            desk.assign(need.ticket_id, choice.agent.id, None)
            named = ", ".join(need.skills) or "none needed"
            desk.note(
                need.ticket_id,
                f"Assigned to {choice.agent.name}{first}: available, skills {named}, "
                f"{loads.get(choice.agent.id, 0)} open tickets before this one.",
            )
            loads[choice.agent.id] = loads.get(choice.agent.id, 0) + 1
            book.made(need.ticket_id, choice.agent.id, need.skills)
            log.emit(
                "ticket_assigned",
                ticket_id=need.ticket_id,
                agent_id=choice.agent.id,
                group_id=need.group_id,
                skills=list(need.skills),
                vip=need.vip,
            )

    def _in_hours(
        self, desk: StaffingDesk, staff: Sequence[Staff], groups: set[int]
    ) -> dict[int, bool]:
        """Whether each group whose agents' availability the helpdesk does not keep is in its
        business hours now (a group without a schedule: it is); read only for those."""
        unknown = {g for a in staff if a.available is None for g in a.group_ids} & groups
        now = self.step.now()
        found = {}
        for group in sorted(unknown):
            schedule = desk.business_hours(group)
            found[group] = schedule is None or schedule.is_open(now)
        return found

    def _groups(self, policy: SkillPolicy) -> set[int] | None:
        if not policy.groups:
            return None
        wanted = {g.casefold() for g in policy.groups}
        return {g.id for g in self.run.helpdesk.groups() if g.name.casefold() in wanted}
