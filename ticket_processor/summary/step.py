"""The running summary as a per-ticket step (``TICKETBOT_SUMMARY_FIELD``): after a run's batch,
its pass refreshes the field of each ticket the run triaged or saw changed (``run_pass``); under
``serve``, each batch of delivered tickets is refreshed on a thread of its own (``served``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ..errors import ConfigError, TicketBotError
from ..passes.protocol import RunPass
from ..steps.protocol import Step, StepRun
from .run_pass import SummaryPass, SummaryQueue, SummaryRunPass
from .summarise import Complete


class SummaryStep(Step):
    """``field``: the setting's value (a field's title or id); ``complete``: the LLM's
    plain-text call (None: the extractive summary); ``held_tags``: a ticket carrying one (the
    spam gate's) gets no summary."""

    name = "summary"

    def __init__(
        self,
        field: str,
        *,
        complete: Complete | None,
        language: str,
        held_tags: Collection[str],
    ) -> None:
        self.field = field
        self.complete = complete
        self.language = language
        self.held_tags = frozenset(held_tags)
        self._queue: SummaryQueue | None = None

    def summary_pass(self, run: StepRun) -> SummaryPass | str:
        """The pass over a batch's tickets, or why the field cannot be used (the run goes on
        without it)."""
        from ..learned.embed import embed_texts  # numpy and the weights: only with a summary
        from .field import resolve_summary_field

        try:
            field = resolve_summary_field(self.field, run.helpdesk.ticket_fields())
        except (ConfigError, TicketBotError) as exc:
            return str(exc)
        return SummaryPass(
            run.helpdesk,
            field.key,
            run.log,
            run.run_id,
            not run.writes,
            embed_texts,
            complete=self.complete,
            journal=run.journal if run.writes else None,
            claims=run.claims,
            flush_after=run.flush_after,
            admits=run.options.scope.admits,
            workers=run.options.workers,
            language=self.language,
            public_only=field.shown_to_customers,
            held_tags=self.held_tags,
        )

    def run_pass(self, run: StepRun) -> RunPass | None:
        return SummaryRunPass(lambda: self.summary_pass(run), run.ticket_ids, run.should_stop)

    def served(self, run: StepRun, ticket_ids: Sequence[int]) -> None:
        if self._queue is None:
            self._queue = SummaryQueue(lambda: self.summary_pass(run), run.log)
        self._queue.add(ticket_ids)

    def close(self) -> None:
        if self._queue is not None:
            self._queue.close()
