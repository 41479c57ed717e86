"""Service levels: the helpdesk's own targets on open tickets, a breach seen coming and acted on
before it happens (``run_pass.SlaPass``; ``TICKETBOT_SLA``)."""
