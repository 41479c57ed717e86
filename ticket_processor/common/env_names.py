"""Names in the environment or a ``.env`` that set nothing, and the closest name that would.

``settings.read.read_settings`` hands over every name it saw and every variable ticketbot reads
(``known``). An unknown ``TICKETBOT_*`` name is ticketbot's, misspelt; an unknown ``OPENAI_*``,
``ZENDESK_*``, ``FRESHDESK_*`` or ``SERVICENOW_*`` name is a misspelling when it is close to a
known variable (``OPENAI_BASEURL``, ``ZENDESK_APITOKEN``, ``FRESHDESK_DOMIAN``) or is another
tool's name for one (``OPENAI_API_BASE``), and another program's own otherwise (``OPENAI_ORG_ID``,
left alone); a name in another case than a known one's sets nothing either (names are case
sensitive). Each gets one warning with the closest known variable. A near miss of
``OPENAI_BASE_URL`` while ``OPENAI_BASE_URL`` itself is unset is refused: the openai SDK's default
endpoint would carry ticket text to api.openai.com, which is not what whoever wrote
``OPENAI_BASEURL`` meant. Pure.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..errors import ConfigError

# Beside ticketbot's own names, those of the services it talks to: an unknown name under one of
# these prefixes that is close to a known variable is a misspelling (OPENAI_BASEURL), while one
# that is close to nothing is another program's (OPENAI_ORG_ID is the openai SDK's) and is left
# alone. Every unknown TICKETBOT_* name is ticketbot's, close to something or not.
PREFIX = "TICKETBOT_"
NEAR_PREFIXES = (PREFIX, "OPENAI_", "ZENDESK_", "FRESHDESK_", "SERVICENOW_")
# Names other tools use for a setting ticketbot names otherwise: a near miss whatever the distance.
OTHER_SPELLINGS = {
    "OPENAI_API_BASE": "OPENAI_BASE_URL",
    "OPENAI_API_BASE_URL": "OPENAI_BASE_URL",
    "OPENAI_API_URL": "OPENAI_BASE_URL",
    "OPENAI_URL": "OPENAI_BASE_URL",
    "OPENAI_ENDPOINT": "OPENAI_BASE_URL",
    "OPENAI_KEY": "OPENAI_API_KEY",
    "OPENAI_TOKEN": "OPENAI_API_KEY",
}
# The variable whose absence sends ticket text to OpenAI's public endpoint: a near miss of it
# with it unset is refused, never taken as "use api.openai.com".
BASE_URL_VAR = "OPENAI_BASE_URL"


def close_match(name: str, known: Iterable[str]) -> str | None:
    """The known variable ``name`` misspells: the closest under the same prefix, compared after
    it. The whole names share ``TICKETBOT_``, which made any two look alike (``ENGNE`` after
    the prefix, someone after the ``--engine`` flag, was offered ``TICKETBOT_RETRIAGE``)."""
    upper = name.upper()
    prefix = next((p for p in NEAR_PREFIXES if upper.startswith(p)), "")
    rests = {k[len(prefix) :]: k for k in known if k.startswith(prefix)}
    found = difflib.get_close_matches(upper[len(prefix) :], list(rests), n=1, cutoff=0.75)
    return rests[found[0]] if found else None


def near_misses(
    environ: Mapping[str, str],
    file_values: Iterable[str],
    *,
    env_file: Path | None,
    known: tuple[str, ...],
) -> list[tuple[str, str, str | None]]:
    """``(name, where, closest known variable or None)`` for each name that sets nothing: an
    unknown ``TICKETBOT_*`` name, an unknown ``OPENAI_*`` / ``ZENDESK_*`` / ``FRESHDESK_*``
    name close to a known one, and a name in another case than a known one's (environment or
    ``.env``); ``where`` says which of the two holds it."""

    def closest(name: str) -> str | None:
        if name.upper() in OTHER_SPELLINGS:
            return OTHER_SPELLINGS[name.upper()]
        return close_match(name, known)

    found: list[tuple[str, str, str | None]] = []
    for names, where in ((environ, "in the environment"), (file_values, f"in {env_file}")):
        for name in sorted(names):
            upper = name.upper()
            if name in known or not upper.startswith(NEAR_PREFIXES):
                continue
            near = closest(name)
            if name != upper or name.startswith(PREFIX) or near is not None:
                found.append((name, where, near))
    return found


def unknown_name_warnings(
    environ: Mapping[str, str],
    file_values: Iterable[str],
    *,
    env_file: Path | None,
    known: tuple[str, ...],
) -> tuple[str, ...]:
    """One warning per name that sets nothing (``near_misses``), each with the closest ``known``
    variable; a lower-case name in the ``.env`` is warned about whatever its prefix."""
    listed = list(file_values)
    misses = near_misses(environ, listed, env_file=env_file, known=known)
    seen = {(name, where) for name, where, _ in misses}
    where_file = f"in {env_file}"
    for name in sorted(listed):  # names are case sensitive: ticketbot_workers sets nothing
        if name != name.upper() and (name, where_file) not in seen:
            misses.append((name, where_file, close_match(name, known)))
    # One warning a name: a .env sourced into the shell (``set -a; . ./.env``) sets it in both
    # places, and the same line twice reads like two mistakes.
    places: dict[str, list[str]] = {}
    nearest: dict[str, str | None] = {}
    for name, where, near in misses:
        places.setdefault(name, []).append(where.removeprefix("in "))
        nearest[name] = nearest.get(name) or near
    warnings = []
    for name, found_in in places.items():
        where, near = "in " + " and ".join(found_in), nearest[name]
        hint = f"; did you mean {near}?" if near else ""
        if name != name.upper():
            warnings.append(f"{name} ({where}) is ignored: setting names are upper case{hint}")
        else:
            warnings.append(f"{name} ({where}) is not a ticketbot setting and is ignored{hint}")
    return tuple(warnings)


def refuse_public_fallback(
    environ: Mapping[str, str],
    file_values: Mapping[str, str | None],
    *,
    env_file: Path | None,
    known: tuple[str, ...],
) -> None:
    """A ``ConfigError`` when ``OPENAI_BASE_URL`` is not set and a near miss of it is: the
    openai SDK's default would send ticket text to api.openai.com, which is not what whoever
    wrote ``OPENAI_BASEURL=http://llm.internal`` meant."""
    if environ.get(BASE_URL_VAR) or file_values.get(BASE_URL_VAR):
        return
    misses = near_misses(environ, file_values, env_file=env_file, known=known)
    meant = [(name, where) for name, where, near in misses if near == BASE_URL_VAR]
    if meant:
        name, where = meant[0]
        raise ConfigError(
            f"{name} ({where}) is not a ticketbot setting; did you mean {BASE_URL_VAR}? Without "
            f"{BASE_URL_VAR} ticket text would go to OpenAI's public endpoint (api.openai.com), "
            f"so nothing runs: rename it to {BASE_URL_VAR}, or set "
            f"{BASE_URL_VAR}=https://api.openai.com/v1 to use OpenAI itself"
        )
