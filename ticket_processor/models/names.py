"""The closed vocabularies of names: language codes, category and subcategory names, tag names
(what any helpdesk accepts, and a long one fitted to a helpdesk's limit)."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

# The closed vocabulary of language tags: only ISO 639-1 codes become ``<prefix>lang_xx`` tags,
# whoever proposed them (a model can answer ``zz``); anything else is ``und`` ("undetermined",
# the ISO 639-2 code for exactly this).

UNDETERMINED = "und"

# The 183 two-letter codes of ISO 639-1 (the Library of Congress registry), deprecated ones not.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
"""
ISO_639_1: frozenset[str] = frozenset(_ISO_639_1_CODES.split())
# Withdrawn codes models still produce, and the code that replaced each.
_RENAMED = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}


def closed_language(code: str) -> str:
    """``code`` if it is an ISO 639-1 code (case and a region suffix forgiven), else ``und``."""
    head = code.strip().lower().replace("_", "-").split("-", 1)[0]
    head = _RENAMED.get(head, head)
    return head if head in ISO_639_1 else UNDETERMINED


CATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Longer: source intents run to 48 characters ("balance_not_updated_after_cheque_or_cash_deposit");
# the tag ``<prefix>subcategory_<name>`` stays under Zendesk's 80.
SUBCATEGORY_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")
LANGUAGE_CODE = re.compile(r"^(?:[a-z]{2}|und)$")  # ISO 639-1, or und (undetermined)

# Tag names: what any helpdesk accepts, and a long one fitted to a helpdesk's limit. Zendesk
# folds tags to lower case and turns spaces into underscores; we go further and keep only
# characters that are safe in every Zendesk tag context (views, triggers, search).
_TAG_UNSAFE = re.compile(r"[^a-z0-9_\-]+")
_UNDERSCORES = re.compile(r"_{2,}")
_TAG_MAX = 80
# The shortest tag a helpdesk ticketbot writes to takes (Freshdesk's); Zendesk takes 80.
SHORT_TAG_MAX = 32


# A run asks for the same few dozen tags for every ticket (the marker, each field's values):
# each is worked out once. Bounded, for the odd tag made of a ticket's own words.
@functools.lru_cache(maxsize=4096)
def sanitise_tag(raw: str) -> str:
    """A Zendesk-safe tag: ASCII lower case, [a-z0-9_-], no runs of '_', at most 80 characters."""
    folded = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    tag = _TAG_UNSAFE.sub("_", folded.strip().lower())
    tag = _UNDERSCORES.sub("_", tag).strip("_-")
    return tag[:_TAG_MAX].rstrip("_-")


def fit_tag(tag: str, limit: int) -> str:
    """``tag`` within a helpdesk's length limit (Freshdesk: 32): a longer one is cut and ends
    in six hex digits of its hash, so each long tag keeps one short form, the same every run."""
    if len(tag) <= limit:
        return tag
    digest = hashlib.sha1(tag.encode("utf-8"), usedforsecurity=False).hexdigest()[:6]
    return f"{tag[: limit - 7].rstrip('_-')}_{digest}"
