from decimal import Decimal

import pytest
from django.utils import translation

from apps.core.money import (
    format_money,
    from_minor_units,
    quantize,
    quantize_charge,
    to_minor_units,
)

LRM_RLM = "\u200e\u200f"


def visible(text: str) -> str:
    """What the shopper reads: bidi marks dropped, non-breaking spaces as spaces."""
    return text.strip(LRM_RLM).replace("\u200f", "").replace("\xa0", " ")


def test_arabic_price_uses_latin_digits_and_riyal_sign():
    # given an amount in riyals / when shown on an Arabic page
    shown = visible(format_money(Decimal("1234.5"), "SAR", "ar"))

    # then it reads "1,234.50 ر.س." with Latin digits, "," for thousands and "." for decimals
    assert shown.startswith("1,234.50")
    assert "ر.س" in shown
    assert not any("\u0660" <= ch <= "\u0669" for ch in shown)


def test_english_price_puts_currency_code_first():
    assert visible(format_money(Decimal("1234.5"), "SAR", "en")) == "SAR 1,234.50"


def test_language_defaults_to_the_active_one():
    with translation.override("en"):
        assert visible(format_money(Decimal("15"))) == "SAR 15.00"
    with translation.override("ar"):
        assert visible(format_money(Decimal("15"))).startswith("15.00")


def test_kuwaiti_dinar_shows_three_decimals():
    assert visible(format_money(Decimal("12.5"), "KWD", "en")) == "KWD 12.500"
    assert visible(format_money(Decimal("1234.5"), "KWD", "ar")).startswith("1,234.500")


def test_amounts_round_half_up_to_the_currency_unit():
    assert quantize(Decimal("0.005"), "SAR") == Decimal("0.01")
    assert quantize(Decimal("2.0005"), "KWD") == Decimal("2.001")
    assert visible(format_money(Decimal("0.005"), "SAR", "en")) == "SAR 0.01"


def test_empty_amount_shows_nothing():
    assert format_money(None) == ""


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("1234.50"), "SAR", 123450),
        (Decimal("0.01"), "SAR", 1),
        (Decimal("399"), "SAR", 39900),
        (Decimal("12.340"), "KWD", 12340),
        (Decimal("0.010"), "BHD", 10),
    ],
)
def test_minor_units_round_trip(amount, currency, minor):
    assert to_minor_units(amount, currency) == minor
    assert from_minor_units(minor, currency) == amount


def test_minor_units_refuse_more_precision_than_the_currency_has():
    with pytest.raises(ValueError):
        to_minor_units(Decimal("10.005"), "SAR")


def test_three_decimal_amounts_must_be_whole_multiples_of_ten_minor_units():
    # Stripe only accepts KWD/BHD/OMR amounts whose last decimal is 0.
    with pytest.raises(ValueError):
        to_minor_units(Decimal("12.345"), "KWD")


def test_unknown_currency_is_refused():
    with pytest.raises(ValueError):
        to_minor_units(Decimal("1"), "XYZ")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.345", "KWD", Decimal("12.350")),
        ("12.344", "KWD", Decimal("12.340")),
        ("0.004", "BHD", Decimal("0.000")),
        ("12.345", "SAR", Decimal("12.35")),
        ("12.344", "SAR", Decimal("12.34")),
    ],
)
def test_charge_amounts_are_in_steps_stripe_accepts(amount, currency, expected):
    charged = quantize_charge(amount, currency)
    assert charged == expected
    step = 10 if currency in ("KWD", "BHD") else 1
    assert to_minor_units(charged, currency) % step == 0
