"""A local Zendesk-compatible API server for tests, benchmarks, ``ticketbot seed`` and ``demo``.

    from ticket_processor.helpdesks.zendesk.sandbox.config import SandboxConfig
    from ticket_processor.helpdesks.zendesk.sandbox.server import serve_in_thread

    with serve_in_thread(SandboxConfig(latency_ms=20)) as sb:
        ...  # talk to sb.url with basic auth f"{email}/token", token

Modules: ``config`` (knobs, Zendesk's error bodies), ``records`` (ticket/comment JSON rules),
``store`` and ``ticket_book`` (tickets), ``search`` (query language), ``limits`` (rate limits),
``routes`` / ``api`` / ``listing_api`` / ``guide_api`` / ``people`` (endpoints), ``server``
(HTTP, auth, knobs), ``command`` (the ``sandbox`` command's entry), ``desk`` (the sandbox as
a test desk). What both sandboxes share (HTTP plumbing, ``ApiError``, jobs, the state file, the
``Desk`` protocol) is in ``ticket_processor/sandbox/``.
"""
