"""The alerts' passes in the run's order, once the run's own parts are closed (not for a dry
run): the tickets the run escalated, in one post (``EscalationPass``), and what the finished
run calls for — aborted, the LLM failing, the recent success rate below the objective
(``RunAlertsPass``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from ..passes.planner import Escalation
from ..passes.protocol import Pass, RunEnd
from ..triage.route_rules import Route, escalation_channels
from .alerter import Alerter, log_alert
from .escalation import EscalationWatch, escalation_message


class EscalationPass(Pass):
    """One post listing the tickets this run escalated (those whose ``routes`` allow the
    ``slack`` channel: a route's ``channels`` may leave it out); none when it escalated
    nothing."""

    name = "escalations"

    def __init__(
        self,
        alerter: Alerter,
        watch: EscalationWatch,
        escalation_of: Callable[[int], Escalation | None],
        ticket_url: Callable[[int], str],
        routes: Sequence[Route] = (),
        more: Callable[[], Mapping[int, tuple[str, tuple[str, ...]]]] = dict,
    ) -> None:
        self.alerter, self.watch = alerter, watch
        self.escalation_of, self.ticket_url = escalation_of, ticket_url
        self.routes = routes
        # Escalations of the run's passes (an SLA risk): ticket id -> redacted subject, routes.
        self.more = more

    def after(self, end: RunEnd) -> None:
        found = {
            **{t: ("", routes) for t, routes in self.watch.escalated().items()},
            **self.more(),
        }
        escalated = {
            ticket_id: known
            for ticket_id, known in found.items()
            if "slack" in (escalation_channels(self.routes, known[1]) or {"slack"})
        }
        if end.dry_run or not escalated:
            return
        items = [
            self.escalation_of(ticket_id) or Escalation(ticket_id, subject, routes)
            for ticket_id, (subject, routes) in escalated.items()
        ]
        message = escalation_message(items, run_id=end.run_id, ticket_url=self.ticket_url)
        outcome = self.alerter.escalations(message)
        log_alert(end.log, outcome)
        if outcome.outcome == "failed":
            # The list is one post a run, not an owed delivery: said here, it is not sent again
            # (the outbox's channels are: ``escalations.undelivered``).
            tickets = ", ".join(str(t) for t in sorted(escalated))
            end.summary.warnings.append(
                f"the escalation list (TICKETBOT_ALERT_WEBHOOK) was not delivered (tickets "
                f"{tickets}): {outcome.detail or 'no answer'}; it is not sent again"
            )


class RunAlertsPass(Pass):
    """The alerts a finished run calls for (``Alerter.after_run``). ``recent_rate``: the last
    hours' success rate, this run included; ``llm_alerted``: the LLM's breaker opened in this
    run and said so already (one message for one outage)."""

    name = "run alerts"

    def __init__(
        self,
        alerter: Alerter,
        *,
        recent_rate: Callable[[], tuple[float | None, int]],
        objective: float,
        llm_alerted: Callable[[], bool],
    ) -> None:
        self.alerter, self.recent_rate, self.objective = alerter, recent_rate, objective
        self.llm_alerted = llm_alerted

    def after(self, end: RunEnd) -> None:
        if end.dry_run:
            return
        summary = end.summary
        for outcome in self.alerter.after_run(
            status=summary.status,
            reason=summary.reason,
            recent_rate=self.recent_rate(),
            objective=self.objective,
            llm_failures=None if self.llm_alerted() else summary.fallback_reasons,
            taken_over_by=summary.fallback_engines,
        ):
            log_alert(end.log, outcome)
