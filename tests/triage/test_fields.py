"""``fields.toml``: parsing, resolving against the helpdesk's fields, extracting per ticket."""

from __future__ import annotations

import pytest

from ticket_processor.errors import ConfigError
from ticket_processor.models import FieldOption, HelpdeskField
from ticket_processor.triage.fields import extract, parse_fields, resolve_fields

FILE = """
[[field]]
name = "Order number"
pattern = 'ORD-\\d{6}'

[[field]]
name = "product"
synonyms = { "Mobile app" = ["iphone app", "android app"], web = "browser" }
"""
HELPDESK = [
    HelpdeskField("901", "Order number", "text"),
    HelpdeskField(
        "902",
        "Product",
        "dropdown",
        (
            FieldOption("Mobile app", "product_mobile_app"),
            FieldOption("Web app", "web"),
            FieldOption("Desktop client", "product_desktop"),
        ),
    ),
    HelpdeskField("903", "Due", "date"),
]
FIELDS = resolve_fields(parse_fields(FILE), HELPDESK)


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Order ORD-123456", "and later ORD-654321", {"901": "ORD-123456"}),
        ("Where is it", "my order ORD-12 never came", {}),  # a lookalike is no order number
        ("Where is it", "order ORD-1234567 or XORD-123456", {}),  # not whole matches
        ("Crash", "The iPhone app crashes since today", {"902": "product_mobile_app"}),
        ("Crash", "In the browser it works, the desktop client fails", {"902": "web"}),
        (
            "Crash",
            "The Desktop Client freezes (ORD-000001)",
            {"901": "ORD-000001", "902": "product_desktop"},
        ),
        ("Hello", "Nothing to see here, application is fine", {}),
    ],
)
def test_extract_fills_only_what_a_rule_allows(
    subject: str, body: str, expected: dict[str, str]
) -> None:
    assert extract(FIELDS, subject, body, {}) == expected


def test_a_value_already_set_is_never_overwritten() -> None:
    found = extract(FIELDS, "ORD-111111", "android app", {"901": "ORD-999999", "902": None})
    assert found == {"902": "product_mobile_app"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[[field]]\nname = "Order numbr"\npattern = "x"',
            'has no such field; its custom fields: "Order number" (901)',
        ),
        (
            '[[field]]\nname = "Product"\nsynonyms = { tablet = ["ipad"] }',
            'synonyms.tablet: no such option; the options: "Mobile app"',
        ),
        (
            '[[field]]\nname = "Product"\npattern = "x"',
            "is a dropdown field: a pattern fills a text field",
        ),
        (
            '[[field]]\nname = "Order number"\nsynonyms = { a = "b" }',
            "synonyms choose a drop-down option",
        ),
        ('[[field]]\nname = "Due"\npattern = "x"', "is a date field"),
        ('[[field]]\nname = "Order number"\npattern = "(unclosed"', "not a regular expression"),
        ('[[field]]\nname = "Order number"', "give either pattern"),
        ('[[field]]\nname = "Order number"\npattern = "x"\ncolour = 1', "colour: unknown key"),
        (
            '[[field]]\nname = "A"\npattern = "x"\n[[field]]\nname = "a"\npattern = "y"',
            "listed twice",
        ),
        ("fields = 3", "unknown top-level key"),
    ],
)
def test_a_bad_entry_is_a_config_error_naming_it(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match="fields file") as caught:
        resolve_fields(parse_fields(text), HELPDESK)
    assert message in str(caught.value)


def test_a_field_is_named_by_its_id_too() -> None:
    [resolved] = resolve_fields(parse_fields('[[field]]\nname = 901\npattern = "x"'), HELPDESK)
    assert resolved.key == "901"
