"""The one place that knows how money is rounded, converted and shown.

Amounts are `Decimal` in the currency's major unit everywhere in the shop; integer minor units
exist only at the Stripe boundary (`to_minor_units` / `from_minor_units`).
"""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_currency
from django.conf import settings
from django.utils import translation

# ISO 4217 minor units for the currencies we sell in. Gulf dinars/rials have three decimals.
CURRENCY_DECIMALS: dict[str, int] = {
    "SAR": 2,
    "AED": 2,
    "QAR": 2,
    "USD": 2,
    "EUR": 2,
    "KWD": 3,
    "BHD": 3,
    "OMR": 3,
    "JOD": 3,
}

# Babel locale per UI language: Arabic as written in Saudi Arabia, with Latin digits.
BABEL_LOCALES = {"ar": "ar_SA", "en": "en"}


def default_currency() -> str:
    return settings.SHOP_CURRENCY


def currency_decimals(currency: str) -> int:
    try:
        return CURRENCY_DECIMALS[currency.upper()]
    except KeyError as exc:
        raise ValueError(f"Unsupported currency: {currency}") from exc


def quantize(amount: Decimal | int | str, currency: str | None = None) -> Decimal:
    """Round to the currency's minor unit, half up (how Gulf tax invoices round)."""
    currency = currency or default_currency()
    exponent = Decimal(1).scaleb(-currency_decimals(currency))
    return Decimal(amount).quantize(exponent, rounding=ROUND_HALF_UP)


def charge_step(currency: str) -> Decimal:
    """The smallest amount Stripe can charge or refund: one minor unit, except three-decimal
    currencies, which Stripe takes in steps of 10 minor units (0.010)."""
    decimals = currency_decimals(currency)
    return Decimal(10 if decimals == 3 else 1).scaleb(-decimals)


def quantize_charge(amount: Decimal | int | str, currency: str | None = None) -> Decimal:
    """Round (half up) to an amount Stripe accepts; the same as `quantize` for two-decimal
    currencies such as SAR."""
    currency = currency or default_currency()
    step = charge_step(currency)
    steps = (Decimal(amount) / step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return quantize(steps * step, currency)


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Decimal major units -> integer minor units, refusing amounts that would lose precision.

    Stripe wants three-decimal currencies as multiples of 10 minor units, so those are checked.
    """
    decimals = currency_decimals(currency)
    minor = Decimal(amount).scaleb(decimals)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimals for {currency}")
    minor_int = int(minor)
    if decimals == 3 and minor_int % 10:
        raise ValueError(f"{amount} {currency}: Stripe needs the last decimal to be 0")
    return minor_int


def from_minor_units(amount: int, currency: str) -> Decimal:
    return quantize(Decimal(amount).scaleb(-currency_decimals(currency)), currency)


def format_money(
    amount: Decimal | int | str | None,
    currency: str | None = None,
    language: str | None = None,
) -> str:
    """Format an amount for shoppers: "‏1,234.50 ر.س.‏" in Arabic, "SAR 1,234.50" in English."""
    if amount is None or amount == "":
        return ""
    currency = (currency or default_currency()).upper()
    language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
    amount = quantize(amount, currency)
    if language == "ar":
        return format_currency(
            amount, currency, locale=BABEL_LOCALES["ar"], numbering_system="latn"
        )
    decimals = currency_decimals(currency)
    pattern = "¤\xa0#,##0" + ("." + "0" * decimals if decimals else "")
    return format_currency(
        amount, currency, format=pattern, locale="en", currency_digits=False
    )
