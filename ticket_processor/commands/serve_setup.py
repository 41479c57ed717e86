"""``ticketbot serve --print-setup``: what to create on this installation's helpdesk so that it
calls ``serve`` (``--apply``: create it through the helpdesk's API, Zendesk's only).

The set-up itself is each helpdesk's (``helpdesks/<kind>/webhooks.py``, named by its
descriptor); this module picks the URL the helpdesk calls, prints, and says how to set
``TICKETBOT_SERVE_SECRET``. The signing secret Zendesk chose is printed only with
``--show-secret``, as one ``TICKETBOT_SERVE_SECRET=…`` line on stdout (ready for ``>> .env``);
everything else goes to stdout as text, hints to stderr.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import typer

from ..exitcodes import ExitCode
from ..helpdesks.registry import KINDS
from ..helpdesks.webhook_setup import endpoint_url
from ..settings import Settings
from .common import err_console

_LOOPBACK = ("127.0.0.1", "localhost", "::1", "0.0.0.0", "")  # noqa: S104 - only compared


def check_flags(*, print_setup: bool, apply: bool, show_secret: bool) -> None:
    """``--apply`` and ``--show-secret`` only go with ``--print-setup`` (a usage error, 2)."""
    if (apply or show_secret) and not print_setup:
        raise typer.BadParameter("--apply and --show-secret go with --print-setup")
    if show_secret and not apply:
        raise typer.BadParameter("--show-secret goes with --print-setup --apply")


def print_setup(
    settings: Settings,
    *,
    public_url: str | None,
    host: str,
    port: int,
    apply: bool,
    show_secret: bool,
) -> int:
    """Print (or, with ``apply``, make) the helpdesk's webhook set-up; the exit code."""
    kind = KINDS[settings.helpdesk]
    base = public_url or f"http://{'127.0.0.1' if host in ('', '0.0.0.0') else host}:{port}"  # noqa: S104
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise typer.BadParameter(f"--public-url must be an http(s) URL, not {base!r}")
    endpoint = endpoint_url(base, kind.name)
    if parts.hostname in _LOOPBACK:
        err_console.print(
            f"note: {kind.label} must reach {endpoint}; behind a proxy or tunnel, pass "
            "--public-url https://your-host",
            markup=False,
        )
    secret = settings.serve_secret.get_secret_value() if settings.serve_secret else None
    setup = kind.webhook_setup()
    if not apply:
        typer.echo(setup.instructions(endpoint, secret_set=bool(secret)))
        return ExitCode.OK
    if show_secret and not setup.chooses_secret:
        raise typer.BadParameter(
            f"{kind.label}'s secret is the one you chose: TICKETBOT_SERVE_SECRET itself"
        )
    report = setup.apply(settings.desk, endpoint, secret)
    # What was done is status, on stderr: with --show-secret, stdout is the one line that
    # `>> .env` appends, and a status line there broke every later command's settings.
    for line in report.done:
        typer.echo(line, err=True)
    if report.secret is None:
        return ExitCode.OK
    if show_secret:
        typer.echo(f"TICKETBOT_SERVE_SECRET={report.secret}")
        return ExitCode.OK
    if report.secret_matches is None:
        # Made, but not usable yet: serve would refuse every delivery, so not a success (1).
        err_console.print(
            "TICKETBOT_SERVE_SECRET is not set, so serve would refuse every delivery: set it "
            "to the webhook's signing secret (rerun with --show-secret to print it, or reveal "
            "it on the webhook's page in Admin Center) before starting serve",
            markup=False,
        )
        return ExitCode.ABORTED
    elif report.secret_matches:
        err_console.print("TICKETBOT_SERVE_SECRET matches the webhook's signing secret")
    else:
        err_console.print(
            "TICKETBOT_SERVE_SECRET is not the webhook's signing secret: serve would refuse "
            "every delivery; set it again (rerun with --show-secret to print it)",
            markup=False,
        )
        return ExitCode.ABORTED
    return ExitCode.OK
