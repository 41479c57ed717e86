"""What every handler of a form needs: the form read within a bound, and where the app is
mounted (``serve`` may mount it under a path: links and redirects start there)."""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

MAX_FORM_BYTES = 64 * 1024


def root_of(request: Request) -> str:
    """Where the app is mounted: links start there."""
    return str(request.scope.get("root_path", ""))


async def read_form(request: Request) -> dict[str, list[str]] | None:
    """An urlencoded form, bounded (no multipart: the dashboard's forms upload nothing)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    found: dict[str, list[str]] = {}
    for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
        found.setdefault(key, []).append(value)
    return found
