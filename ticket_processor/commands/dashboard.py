"""``ticketbot dashboard``: the audit store in a browser (``dashboard/``).

The command reads the settings, applies the access rules before anything listens (a ``--host``
beyond loopback without ``TICKETBOT_DASHBOARD_TOKEN``, or ``--review`` without a way to sign in:
exit 2), binds the port and prints the address, and only then builds the app (the store opens
on the first request). ``--export-reviews FILE`` writes the leads' reviews as the labelled
JSON-lines file ``ticketbot learn FILE`` trains on, and serves nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from ..settings import Settings
from .common import err_console, exit_codes, load
from .serve import approver_of

if TYPE_CHECKING:
    from ..dashboard.from_helpdesk import HelpdeskRead
    from ..dashboard.signals import Signals

DEFAULT_PORT = 8780


def _choices(settings: Settings) -> dict[str, list[str]]:
    """The values a lead may correct each field to: the taxonomy's and the enums'."""
    from ..models import Sentiment, Urgency
    from ..triage.taxonomy import load_taxonomy

    taxonomy = load_taxonomy(settings.taxonomy_file)
    return {
        "category": list(taxonomy.names),
        "subcategory": list(taxonomy.subcategory_names),
        "urgency": [u.value for u in Urgency],
        "sentiment": [s.value for s in Sentiment],
    }


def _export(settings: Settings, out: Path) -> None:
    from ..dashboard.labels import export_labelled, reviewed_labels
    from ..run.audit import open_store
    from ..run.connect import connect

    with open_store(settings) as store, store.engine.connect() as conn:
        labels = reviewed_labels(conn, account=store.account)
    if not labels:
        err_console.print("no reviews in the audit store yet: nothing to export")
        raise typer.Exit(1)
    helpdesk = connect(settings)
    try:
        rows = export_labelled(labels, helpdesk.tickets, out)
    finally:
        helpdesk.close()
    typer.echo(
        f"{rows} reviewed tickets written to {out} (labelled JSON lines: `ticketbot learn "
        f"{out}` trains on them)"
    )


# The helpdesk's fields (which one is the summary field) are read once an hour: they rarely
# change, and a renamed field is still picked up without a restart.
FIELDS_LIFETIME = 3600.0


def _helpdesk_reader(settings: Settings) -> HelpdeskRead:
    """What a ticket's page shows of the helpdesk (the page keeps it a minute): its internal
    notes and, when a feature writes a field of its own (``TICKETBOT_SUMMARY_FIELD``), the
    field's value, one request for both; the helpdesk's fields, which say the field's key, at
    most once an hour for every page."""
    from ..dashboard.kept_reads import KeptReads
    from ..errors import ConfigError, TicketBotError
    from ..features.registry import own_fields
    from ..run.connect import connect

    own = next(iter(own_fields(settings)), None)

    def field_key(_: int) -> str:
        assert own is not None
        helpdesk = connect(settings)
        try:
            return own.resolve(helpdesk.ticket_fields()).key
        finally:
            helpdesk.close()

    keys = KeptReads(field_key, most=1, lifetime=FIELDS_LIFETIME) if own and own.name else None

    def read(ticket_id: int) -> tuple[list[str], object]:
        try:
            key = keys(0) if keys is not None else None  # one entry: the account's field
            helpdesk = connect(settings)
            try:
                if key is None:
                    return helpdesk.notes(ticket_id), None
                return helpdesk.notes_and_field(ticket_id, key)
            finally:
                helpdesk.close()
        except (TicketBotError, ConfigError) as exc:  # shown on the page: never with a secret
            raise TicketBotError(settings.scrubber().text(str(exc))) from None

    return read


def _signals(settings: Settings) -> Callable[[datetime], Signals]:
    """The overview's incidents and rising categories from the state directory; an
    incident's ticket linked through the helpdesk's URL when one is configured here."""
    from ..dashboard.signals import read_signals
    from ..errors import TicketBotError
    from ..run.connect import connect

    def link(key: int) -> str | None:
        try:
            helpdesk = connect(settings)
        except TicketBotError:  # no helpdesk configured: the ticket's number, unlinked
            return None
        try:
            return helpdesk.ticket_url(key)
        finally:
            helpdesk.close()

    return lambda now: read_signals(settings.state_dir, now.date(), link)


def dashboard(
    host: Annotated[
        str,
        typer.Option(help="Address to listen on; beyond loopback needs TICKETBOT_DASHBOARD_TOKEN."),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port to listen on (0: any free one).")
    ] = DEFAULT_PORT,
    review: Annotated[
        bool | None,
        typer.Option(
            "--review/--no-review",
            help="The review queue: a signed-in lead accepts or corrects suggestions, which "
            "writes to the helpdesk [TICKETBOT_DASHBOARD_REVIEW].",
        ),
    ] = None,
    export_reviews: Annotated[
        Path | None,
        typer.Option(
            "--export-reviews",
            dir_okay=False,
            help="Write the leads' reviews as labelled JSON lines for `learn`, then stop.",
        ),
    ] = None,
) -> None:
    """Serve the audit store as a web page: overview, ticket list, history, review queue."""
    from ..dashboard.access import Access, check_listen, is_loopback

    settings: Settings | None = None
    with exit_codes(lambda: settings.secrets if settings else ()):
        settings = load()
        if export_reviews is not None:
            _export(settings, export_reviews)
            return
        token = settings.dashboard_token.get_secret_value() if settings.dashboard_token else None
        review_on = settings.dashboard_review if review is None else review
        proxy = settings.dashboard_proxy_header
        check_listen(host, token=token, proxy_header=proxy, review=review_on)
        if review_on:
            settings.require_helpdesk()
        from ..dashboard.server import bind, url_of

        sock = bind(host, port)  # listening from here: the rest loads behind the open port
        typer.echo(f"ticketbot dashboard on {url_of(sock)} (Ctrl-C stops it)")
        if not is_loopback(host):
            err_console.print(
                f"[yellow]note:[/] listening on {escape(host)}: every request must sign in "
                "with TICKETBOT_DASHBOARD_TOKEN; put TLS in front (a reverse proxy)"
            )
        from ..dashboard.qa_view import conversation_reader
        from ..dashboard.review import ReviewDesk
        from ..dashboard.server import serve_forever
        from ..dashboard.web import DashboardConfig, build_app
        from ..run.audit import open_store
        from ..run.build import review_writers
        from ..run.connect import connect

        chosen = settings
        desk = None
        if review_on:
            writer, sender = review_writers(chosen)
            desk = ReviewDesk(writer, _choices(chosen), sender)
        access = Access(
            token=token, proxy_header=proxy, review=review_on, loopback=is_loopback(host)
        )
        app = build_app(
            DashboardConfig(
                open_store=lambda: open_store(chosen),
                access=access,
                review=desk,
                helpdesk=_helpdesk_reader(chosen),
                summary_field=chosen.summary_field is not None,
                signals=_signals(chosen),
                tag_prefix=chosen.tag_prefix,
                categories=tuple(_choices(chosen)["category"]),
                approve=approver_of(chosen),
                qa=conversation_reader(lambda: connect(chosen), chosen.scrubber().text)
                if chosen.qa
                else None,
            )
        )
        serve_forever(app, sock)
