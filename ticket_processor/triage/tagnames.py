"""Tag names: what any helpdesk accepts, and a long one fitted to a helpdesk's limit. Pure."""

from __future__ import annotations

import hashlib
import re
import unicodedata

# Zendesk folds tags to lower case and turns spaces into underscores; we go further and keep
# only characters that are safe in every Zendesk tag context (views, triggers, search).
_TAG_UNSAFE = re.compile(r"[^a-z0-9_\-]+")
_TAG_MAX = 80


def sanitise_tag(raw: str) -> str:
    """A Zendesk-safe tag: ASCII lower case, [a-z0-9_-], no runs of '_', at most 80 characters."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    tag = _TAG_UNSAFE.sub("_", folded.strip().lower())
    tag = re.sub(r"_{2,}", "_", tag).strip("_-")
    return tag[:_TAG_MAX].rstrip("_-")


# The shortest tag a helpdesk ticketbot writes to takes (Freshdesk's); Zendesk takes 80.
SHORT_TAG_MAX = 32


def fit_tag(tag: str, limit: int) -> str:
    """``tag`` within a helpdesk's length limit (Freshdesk: 32): a longer one is cut and ends
    in six hex digits of its hash, so each long tag keeps one short form, the same every run."""
    if len(tag) <= limit:
        return tag
    digest = hashlib.sha1(tag.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return f"{tag[: limit - 7].rstrip('_-')}_{digest}"
