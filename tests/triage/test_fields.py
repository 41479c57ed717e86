"""``fields.toml``: parsing, resolving against the helpdesk's fields, extracting per ticket."""

from __future__ import annotations

import subprocess
import sys

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


# A pattern that backtracks catastrophically under Python's re: each further "a" before the "!"
# multiplies its time by about 1.6 (40 of them: 15 s; 19,000: never). Under RE2: linear.
BACKTRACKING = "[[field]]\nname = 'Order number'\npattern = '(a|aa)+$'\n"


def test_a_pattern_that_backtracks_is_matched_in_bounded_time_on_text_built_to_trip_it() -> None:
    # In a child process with a timeout: a match that does not end cannot be stopped from
    # within (it holds the interpreter), so the test would otherwise hang instead of failing.
    script = (
        "import time\n"
        "from ticket_processor.models import HelpdeskField\n"
        "from ticket_processor.triage.fields import extract, parse_fields, resolve_fields\n"
        f"rules = parse_fields({BACKTRACKING!r})\n"
        "fields = resolve_fields(rules, [HelpdeskField('901', 'Order number', 'text')])\n"
        "began = time.perf_counter()\n"
        "found = [extract(fields, 'Refund', 'a' * n + '!', {}) for n in (40, 60, 19_000)]\n"
        "print(repr(found), time.perf_counter() - began)\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("matching one ticket's text did not end within 30 s")
    found, seconds = done.stdout.rsplit(" ", 1)
    assert found == "[{}, {}, {}]"  # nothing matches, and nothing hangs
    assert float(seconds) < 1.0


def test_the_whole_match_edges_and_the_pattern_s_own_syntax_are_kept() -> None:
    def first(pattern: str, text: str) -> dict[str, str]:
        fields = resolve_fields(
            parse_fields(f"[[field]]\nname = \"Order number\"\npattern = '{pattern}'"), HELPDESK
        )
        return extract(fields, "", text, {})

    assert first(r"ORD-\d{6}", "éORD-123456 ORD-654321") == {"901": "ORD-654321"}  # any script
    assert first(r"ORD-\d{6}", "ORD-123456é") == {}
    assert first(r"ORD-\d{6}", "(ORD-123456)") == {"901": "ORD-123456"}
    assert first(r"(?i)ord-\d{6}", "see Ord-123456") == {"901": "Ord-123456"}  # flags
    assert first(r"(?P<prefix>ORD|INV)-(\d+)", "INV-42 then") == {"901": "INV-42"}  # groups
    assert first(r"\d+|\d+x", "12x") == {"901": "12x"}  # the first alternative that is whole


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(?<!X)ORD-\d{6}", "refuses it (invalid perl operator: (?<!): look-around"),
        (r"(ORD)-\1", r"refuses it (invalid escape sequence: \1): look-around"),
        (r"(?P<p>ORD)(?P=p)", "back-references"),
        (r"ORD-\d++", "possessive"),
        (r"ORD-\d{6}\Z", r"write \z for the end of the text"),
        (r"\d{5000}", "a count ({n,m}) is at most 1000"),
        ("ORD-(", "not a regular expression: missing )"),
    ],
)
def test_a_pattern_the_linear_time_matcher_cannot_run_is_refused_saying_why(
    pattern: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_fields(f"[[field]]\nname = \"Order number\"\npattern = '{pattern}'")
    said = str(caught.value)
    assert said.startswith('fields file: field "Order number": pattern: '), said
    assert message in said, said
