"""A document's front matter: the ``key: value`` lines of a leading ``---`` block, and the one
key a sync reads of it, ``visibility``.

A document is ``internal`` unless its front matter says ``visibility: public`` (the key and
the value in any case: ``Visibility: PUBLIC`` is public too). Any other value, and a misspelt
key, keep it internal, since the mistake that costs is quoting an internal page to a customer;
``visibility_said`` tells ``kb sync`` to say so ("visiblity" is no key ticketbot reads), so a
page meant for customers is not kept from them in silence either. Pure.
"""

from __future__ import annotations

import difflib
import re

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FIELD = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:[ \t]*(.*?)[ \t]*$")
VALUES = ("public", "internal")


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """The ``key: value`` lines of a leading ``---`` block (keys lower-cased) and the rest."""
    found = _FRONT_MATTER.match(text)
    if found is None:
        return {}, text
    fields: dict[str, str] = {}
    for line in found.group(1).splitlines():
        pair = _FIELD.match(line)
        if pair is not None:
            fields[pair.group(1).lower()] = pair.group(2).strip("'\"")
    return fields, text[found.end() :]


def visibility_of(fields: dict[str, str]) -> str:
    """``everyone`` for a document marked public, else ``internal``."""
    return "everyone" if fields.get("visibility", "").strip().lower() == "public" else "internal"


def visibility_said(name: str, fields: dict[str, str]) -> str | None:
    """What ``kb sync`` says of document ``name``'s front matter when it means something the
    sync does not read: a key like ``visibility`` misspelt, or a value neither public nor
    internal (the document stays internal either way). None: nothing to say."""
    value = fields.get("visibility")
    if value is not None:
        if value.strip().lower() in VALUES:
            return None
        return f"{name}: visibility {value!r} is neither public nor internal: kept internal"
    for key in fields:
        if difflib.get_close_matches(key, ["visibility"], n=1, cutoff=0.75):
            return (
                f"{name}: front matter key {key!r} is not one ticketbot reads (did you mean "
                "visibility?): kept internal"
            )
    return None
