"""Personal data beyond the usual ASCII spellings (``triage.redact_ids`` and the rules it joins
in ``redact``): each form on plain strings, each checksum on its own, digits folded for
matching and kept as written elsewhere."""

from __future__ import annotations

import pytest

from ticket_processor.triage.redact import redact
from ticket_processor.triage.redact_ids import (
    _base58check,
    _bech32,
    _dni_valid,
    _nir_valid,
    _steuer_id_valid,
    fold_digits,
    unfold,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("بطاقتي ٤١١١ ١١١١ ١١١١ ١١١١ شكرا", "بطاقتي [CARD] شكرا"),
        ("कार्ड ५५५५ ५५५५ ५५५५ ४४४४", "कार्ड [CARD]"),
        ("card ４０１２８８８８８８８８１８８１", "card [CARD]"),
        ("card 4111/1111/1111/1111 twice", "card [CARD] twice"),
        ("على +٤٤ ٢٠ ٧٩٤٦ ٠٩٥٨ مساء", "على [PHONE] مساء"),
        ("call +1 415 555 0132 ext. 2047 now", "call [PHONE] now"),
        ("Tel. 030 1234567-89 bitte", "Tel. [PHONE] bitte"),
        ("пишите иван.петров@пример.рф", "пишите [EMAIL]"),
        ("escríbeme a josé.garcía@correo.es", "escríbeme a [EMAIL]"),
        ("邮箱 王小明@例子.中国 谢谢", "邮箱 [EMAIL] 谢谢"),
        ("Nummer 86095742719 bitte", "Nummer [ID_NUMBER] bitte"),
        ("Steuer-IdNr. 47 036 892 816", "Steuer-IdNr. [ID_NUMBER]"),
        ("Reisepassnummer C01X00T47", "Reisepassnummer [ID_NUMBER]"),
        ("mein Pass C01X00T47 ist weg", "mein Pass [ID_NUMBER] ist weg"),
        ("numéro 185057800608491", "numéro [ID_NUMBER]"),
        ("doc 12345678Z and X1234567L", "doc [ID_NUMBER] and [ID_NUMBER]"),
        ("sort code 20-00-00, account 55779911", "sort code [ACCOUNT], account [ACCOUNT]"),
        ("pay 20-45-77 41234567", "pay [ACCOUNT] [ACCOUNT]"),
        ("IBAN DE89 3704 0044\n0532 0130 00 ok", "IBAN [IBAN] ok"),
        (
            "at 42 Elm Street, Springfield, IL 62704 now",
            "at [ADDRESS], Springfield, IL [ADDRESS] now",
        ),
        ("Hauptstraße 5, 10115 Berlin", "[ADDRESS], [ADDRESS] Berlin"),
        ("from 203.0.113.45 and 2a00:1450:4001:81b::200e", "from [IP] and [IP]"),
        ("to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "to [WALLET]"),
        ("to bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "to [WALLET]"),
        ("to 0x52908400098527886E0F7030069857D2E4169EE7", "to [WALLET]"),
    ],
)
def test_each_form_is_replaced(text: str, expected: str) -> None:
    assert redact(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "طلب رقم ٤٥٦٧٨ متأخر",  # an order number in Arabic-Indic digits stays as written
        "ऑर्डर १२३४५६ नहीं आया",
        "Windows 10.0.19045.3803 and version 1.2.3.4",
        "gateway 192.168.0.14, loopback ::1, link fe80::1",
        "error 0x80070005, register 0x1F",
        "order 12345678903, reference 123456789012345, IMEI 356938035643809",
        "since 2026-11-02 08:15:00 UTC, at 14:03:27, on 12-11-26",
        "invoice 12345678Z",  # a DNI's shape after a reference word is the reference
        "charged 1.234,56 € and $1,234.56",
        "model CX1234567, hash C0FFEE123, ticket F7C2D91A3",
    ],
)
def test_harmless_look_alikes_are_kept(text: str) -> None:
    assert redact(text) == (text, {})


def test_folding_keeps_positions_and_the_original_where_nothing_was_replaced() -> None:
    original = "طلب ٤٥٦٧٨ card ٤١١١ ١١١١ ١١١١ ١١١١ ok"
    folded = fold_digits(original)
    assert len(folded) == len(original)
    assert folded == "طلب 45678 card 4111 1111 1111 1111 ok"
    assert unfold("طلب 45678 card [CARD] ok", folded, original) == "طلب ٤٥٦٧٨ card [CARD] ok"


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (_steuer_id_valid, "86095742719", "86095742718"),
        (_nir_valid, "185057800608491", "185057800608492"),
        (_base58check, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3"),
        (
            _bech32,
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
            "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdp",
        ),
    ],
)
def test_checksums(check: object, good: str, bad: str) -> None:
    assert callable(check)
    assert check(good) is True
    assert check(bad) is False


def test_dni_letter() -> None:
    assert _dni_valid("12345678", "Z")
    assert not _dni_valid("12345678", "A")
    assert _dni_valid("X1234567", "L")
