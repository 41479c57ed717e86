"""A local Freshdesk API v2 server: tests, benchmarks, `ticketbot sandbox --helpdesk freshdesk`.

    from ticket_processor.helpdesks.freshdesk.sandbox.config import FreshdeskConfig
    from ticket_processor.helpdesks.freshdesk.sandbox.serving import serve_in_thread

    with serve_in_thread(FreshdeskConfig(plan="pro")) as sb:
        ...  # talk to sb.url with basic auth (sb.config.api_key, "X")

Modules: ``config`` (knobs, plans, Freshdesk's error bodies), ``records`` (ticket and note JSON,
field checks), ``store`` (tickets, notes), ``directory`` (groups, agents), ``solutions`` (help
centre), ``query`` (search language), ``limits`` (credits a minute), ``routes`` / ``api`` /
``api_tickets`` (endpoints), ``server`` (auth, knobs, counters), ``serving`` (HTTP, threads),
``command`` (the ``sandbox`` command's entry), ``desk`` (the sandbox as a test desk).
``openapi.yaml`` describes exactly what is served. What both sandboxes share (HTTP plumbing,
``ApiError``, jobs, the state file, the ``Desk`` protocol) is in ``ticket_processor/sandbox/``.
"""
