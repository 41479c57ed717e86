"""The person-needed view asked in the triage call: whether a person must act before the
ticket is settled, with a short reason; its rule in the prompt, its keys in the schema, and how
an answer's values are read.

Pure (no I/O), like ``prompt``. Asked when answers are on (one more key and its reason in the
same call: never a second call). The answers' decision reads it before any threshold: a ticket
a person must act on gets no automatic reply. What comes back is untrusted, so every value that
is not a plain JSON false (a "no", a missing key, a text that argues for a reply) is read as
"a person is needed": the safe side is the suggestion an agent reads.
"""

from __future__ import annotations

from typing import Any

PERSON_KEYS = ("person_needed", "person_reason")
PERSON_REASON_MAX = 160

PERSON_RULE = (
    '\n- "person_needed": true when a person at the company must act before the ticket is '
    "settled: a refund, a cancellation, a change to the customer's account or order, a charge or "
    "payment to check, a fault or bug to fix, a complaint, a legal or privacy request, anything "
    "about the customer's own case; false only when a help-centre article's general "
    "instructions or policy can settle it (a how-to, a question about how something works)."
    '\n- "person_reason": a few words, in English, saying why (at most '
    f"{PERSON_REASON_MAX} characters)."
)


def person_properties() -> dict[str, Any]:
    """The keys the view adds to the schema."""
    return {
        "person_needed": {"type": "boolean"},
        "person_reason": {"type": "string", "maxLength": PERSON_REASON_MAX},
    }


def read_person_view(fixed: dict[str, Any], asked: bool) -> None:
    """Pop the view's keys from an answer (``fixed``) and, when it was ``asked``, put back
    what the analysis keeps: only a JSON false says no person is needed; anything else
    (missing, a string, a number, null) says one is. The reason is one line, cut to
    ``PERSON_REASON_MAX`` characters; not text: none."""
    needed = fixed.pop("person_needed", None)
    reason = fixed.pop("person_reason", None)
    if not asked:
        return
    fixed["person_needed"] = needed is not False
    said = " ".join(reason.split()) if isinstance(reason, str) else ""
    if len(said) > PERSON_REASON_MAX:
        said = said[: PERSON_REASON_MAX - 1] + "…"
    if needed is not True and needed is not False:
        said = "the triage call's answer did not say (read as a person needed)"
    fixed["person_reason"] = said or None
