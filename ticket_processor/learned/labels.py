"""Labels from a helpdesk ticket: what agents tagged, and whether anyone reviewed it at all.

By default a field's label is the ``<prefix>category_<value>`` (``urgency_``, ``sentiment_``)
tag; ``--label category=tag:team_cat_`` reads another tag prefix and
``--label category=field:<custom field id or name>`` a custom field. A ticket with two
different tags for one field has no label for it (ambiguous beats wrong).

A label ticketbot wrote itself and nobody changed is not a label: training on it would learn
ticketbot's own guesses. Ticketbot's internal note says what it wrote (its trailer, read by
``tags.note_labels``; older notes without one by their ``Category:`` lines); ``is_unreviewed``
compares that with the label tags the ticket carries now. An agent's feedback tag
``<prefix>feedback_wrong_category`` says ticketbot's category is wrong: with the category tag
left as ticketbot wrote it, the ticket has no category label (``without_disowned``). Pure, no
I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from ..errors import ConfigError
from ..models import sanitise_tag
from ..writeback.note import note_labels

SpecKind = Literal["tag", "field"]
# The fields a model predicts and a label can be read for (numpy-free: a run imports this).
FIELD_NAMES = ("category", "urgency", "sentiment")
# What a model file may hold a head for: the fields, and a subcategory within the category.
MODEL_FIELDS = (*FIELD_NAMES, "subcategory")
# What an agent says of ticketbot's work by a tag on the ticket (``ratings.tags``).
VERDICTS = ("helped", "not_helped", "wrong_category")


def feedback_tag(prefix: str, verdict: str) -> str:
    """The tag an agent adds to give ``verdict``: ``ai_feedback_helped`` and so on."""
    return f"{prefix}feedback_{verdict}"


def verdicts_in(tags: Iterable[str], prefix: str) -> list[str]:
    """The verdicts the ticket's feedback tags give, in ``VERDICTS``' order."""
    present = set(tags)
    return [v for v in VERDICTS if feedback_tag(prefix, v) in present]


def without_disowned(
    labels: Mapping[str, str], tags: Iterable[str], written: Mapping[str, str] | None, prefix: str
) -> dict[str, str]:
    """``labels`` less a category an agent called wrong (the feedback tag) that is still the
    one ticketbot wrote: a wrong label is worse than none."""
    kept = dict(labels)
    wrong = "wrong_category" in verdicts_in(tags, prefix)
    if wrong and written is not None and kept.get("category") == written.get("category"):
        kept.pop("category", None)
    return kept


@dataclass(frozen=True)
class LabelSpec:
    """Where one field's label is read: a tag prefix, or a custom field (id or name)."""

    field: str
    kind: SpecKind
    key: str


def default_specs(prefix: str) -> dict[str, LabelSpec]:
    return {name: LabelSpec(name, "tag", f"{prefix}{name}_") for name in FIELD_NAMES}


def parse_label_spec(text: str) -> LabelSpec:
    """``FIELD=tag:PREFIX`` or ``FIELD=field:CUSTOM_FIELD``; anything else is a ConfigError."""
    usage = "expected FIELD=tag:PREFIX or FIELD=field:NAME, e.g. category=tag:team_cat_"
    name, equals, source = text.partition("=")
    name = name.strip()
    kind, colon, key = source.partition(":")
    kind, key = kind.strip(), key.strip()
    if not equals or not colon:
        raise ConfigError(f"--label {text!r}: {usage}")
    if name not in FIELD_NAMES:
        raise ConfigError(f"--label {text!r}: {name!r} is not one of {', '.join(FIELD_NAMES)}")
    if kind not in ("tag", "field"):
        raise ConfigError(f"--label {text!r}: {kind!r} is neither 'tag' nor 'field' ({usage})")
    if not key:
        raise ConfigError(f"--label {text!r}: the {kind} name is empty ({usage})")
    if kind == "tag" and sanitise_tag(key + "x") != key + "x":
        raise ConfigError(f"--label {text!r}: {key!r} cannot start a helpdesk tag")
    return LabelSpec(name, "tag" if kind == "tag" else "field", key)


def label_specs(prefix: str, overrides: Sequence[str] = ()) -> dict[str, LabelSpec]:
    """The default tag specs with each ``--label`` override applied (later ones win)."""
    specs = default_specs(prefix)
    for text in overrides:
        spec = parse_label_spec(text)
        specs[spec.field] = spec
    return specs


def _value(raw: object) -> str | None:
    if raw is None or isinstance(raw, bool):
        return None
    value = sanitise_tag(str(raw))
    return value or None


def labels_from_tags(
    tags: Iterable[str],
    prefix: str = "ai_",
    mapping: Mapping[str, LabelSpec] | None = None,
    *,
    custom_fields: Mapping[str, object] | None = None,
    allowed: Mapping[str, Iterable[str]] | None = None,
) -> dict[str, str]:
    """The labels a ticket carries, per field; a field with no or conflicting values is absent.

    ``allowed`` (per field, e.g. ``labelled_file.allowed_values(taxonomy)``) drops values
    outside it.
    """
    specs = mapping if mapping is not None else default_specs(prefix)
    tag_list = list(tags)
    labels: dict[str, str] = {}
    for name, spec in specs.items():
        if spec.kind == "tag":
            found = {t[len(spec.key) :] for t in tag_list if t.startswith(spec.key)}
            values = {v for v in (_value(f) for f in found) if v}
        else:
            value = _value((custom_fields or {}).get(spec.key))
            values = {value} if value else set()
        if allowed is not None and name in allowed:
            values &= set(allowed[name])
        if len(values) == 1:
            labels[name] = values.pop()
    return labels


def written_labels(note_text: str | None) -> dict[str, str] | None:
    """What ticketbot's internal note says it wrote (category, urgency, sentiment), or None
    when the text is not a ticketbot note."""
    return note_labels(note_text)


def is_unreviewed(tags: Iterable[str], note_text: str | None, prefix: str = "ai_") -> bool:
    """True when the ticket's label tags are exactly what ticketbot wrote (nobody changed them).

    Without a ticketbot note the labels are an agent's own, so they are reviewed (False).
    """
    written = written_labels(note_text)
    if written is None:
        return False
    tag_list = set(tags)
    for name in FIELD_NAMES:
        present = {t for t in tag_list if t.startswith(f"{prefix}{name}_")}
        expected = {f"{prefix}{name}_{written[name]}"} if name in written else set()
        if present != expected:
            return False
    return True
