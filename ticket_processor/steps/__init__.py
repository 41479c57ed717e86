"""The per-ticket step interface (``protocol``): what a feature does on each ticket and each
customer's reply after its triage, listed in order in ``run/order.ticket_steps``; what a step
shows on the dashboard (``shown``); and what its feature declares beyond the step, known
without a run (``extras``, listed in ``run/order.STEP_EXTRAS``)."""
