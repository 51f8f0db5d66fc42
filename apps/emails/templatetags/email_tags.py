"""Filters for the e-mail templates."""

from django import template
from django.utils.html import format_html

register = template.Library()

FSI, PDI = "\u2068", "\u2069"  # FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE


@register.filter
def isolate(value) -> str:
    """Plain-text `<bdi>`: wraps a number, an order number or an amount in Unicode isolates
    so it keeps its own direction inside an Arabic sentence."""
    text = str(value)
    return f"{FSI}{text}{PDI}" if text else ""


@register.filter
def bdi(value, direction: str = "") -> str:
    """`<bdi>value</bdi>` (escaped), to pass isolated numbers into `{% blocktranslate %}`, so
    the HTML and the plain-text message share one translatable sentence. `|bdi:"ltr"` for
    values without letters that must read left to right (phone numbers); `|bdi:"wrap"` for
    a name, which may wrap like any text."""
    text = str(value)
    if not text:
        return ""
    if direction == "wrap":
        return format_html("<bdi>{}</bdi>", text)
    # nowrap: an order number or an amount never breaks across lines.
    if direction in ("ltr", "rtl"):
        return format_html('<bdi dir="{}" style="white-space:nowrap;">{}</bdi>', direction, text)
    return format_html('<bdi style="white-space:nowrap;">{}</bdi>', text)
