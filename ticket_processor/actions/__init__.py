"""Actions a team declares (``actions.toml``): lookups in its shop or billing system that ground
the note (and a reply), and changes such as a refund that run once an agent approved them.

``setup.actions_step`` makes the run's step when ``TICKETBOT_ACTIONS`` is set; nothing of the
feature is imported otherwise."""
