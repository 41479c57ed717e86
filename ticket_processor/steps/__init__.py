"""The per-ticket step interface (``protocol``): what a feature does on each ticket and each
customer's reply after its triage, listed in order in ``run/order.ticket_steps``."""
