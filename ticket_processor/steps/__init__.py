"""The per-ticket step interface (``protocol``): what a feature does on each ticket and each
customer's reply after its triage, opened in the features' order (``features.registry``) by
``run/order.ticket_steps``; what a step shows on the dashboard (``shown``); what its feature
declares beyond the step, known without a run (``extras``); and the feature's descriptor that
holds them (``feature``)."""
