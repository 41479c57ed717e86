"""A local stand-in of ServiceNow's Table API (and its OAuth token endpoint and Batch API) for
the tests, the demo and the benchmarks: ``serving.serve_in_thread`` in a test, ``ticketbot
sandbox --helpdesk servicenow`` on the command line (``command.py``), ``desk.py`` as a test
``Desk``."""
