from decimal import Decimal

from babel.numbers import format_decimal
from django import template
from django.utils import translation
from django.utils.html import format_html

from apps.core.money import currency_decimals
from apps.invoices.labels import LABELS

register = template.Library()


def label_in(key: str, language: str) -> str:
    with translation.override(language):
        return str(LABELS[key])


@register.simple_tag
def both(key: str):
    """A label in Arabic, then in English (isolated, left to right)."""
    return format_html('<span class="ar" lang="ar">{}</span> <span class="en" lang="en" '
                       'dir="ltr">{}</span>', label_in(key, "ar"), label_in(key, "en"))


@register.simple_tag
def label(key: str, language: str) -> str:
    return label_in(key, language)


@register.filter
def amount(value, currency: str) -> str:
    """1,000.00: Latin digits and the currency's decimals, as tax documents print them."""
    places = currency_decimals(currency)
    text = format_decimal(Decimal(str(value)), format="#,##0." + "0" * places, locale="en")
    return format_html('<bdi dir="ltr">{}</bdi>', text)


@register.filter
def percent(rate) -> str:
    return f"{(Decimal(str(rate)) * 100).normalize():f}%"
