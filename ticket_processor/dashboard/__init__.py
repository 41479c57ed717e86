"""``ticketbot dashboard``: the audit store in a browser — an overview that refreshes itself, the
ticket list with its filters as a shareable link, each ticket's history, and the review queue
where a lead accepts or corrects what ticketbot only suggested.

A Starlette app (``web.build_app``) that ``serve`` may mount, served by uvicorn (``server``);
HTML rendered on the server with Jinja2 (autoescaping: every value from a ticket is text), its
CSS, script and icons shipped in the package (no request leaves ticketbot). Read-only and on
loopback by default; ``access`` holds the rules for anything more.
"""
