from django import template
from django.urls import translate_url
from django.utils.html import format_html

from apps.core.money import format_money

register = template.Library()


@register.filter
def money(amount, currency=None):
    """`{{ order.total|money:order.currency }}`: the shop's one money format."""
    return format_money(amount, currency)


@register.simple_tag(takes_context=True)
def other_language_url(context, language_code: str) -> str:
    """The current page in another language: the Wagtail translation for pages, the same
    route with the other prefix for everything else."""
    request = context.get("request")
    page = context.get("page")
    if page is not None and hasattr(page, "get_translations"):
        translated = page.get_translations(inclusive=True).filter(
            locale__language_code=language_code
        ).live().first()
        if translated is not None:
            return translated.get_url(request=request)
    if request is None:
        return f"/{language_code}/"
    url = translate_url(request.get_full_path(), language_code)
    if url == request.get_full_path():
        # No matching route (e.g. a 404 page): the other language's home page.
        return f"/{language_code}/"
    return url


# --- bidi isolation (pages and e-mails) ------------------------------------------------

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


@register.filter
def isolated(value) -> str:
    """`<bdi>value</bdi>` (escaped) for pages, to pass a number or an amount into
    `{% blocktranslate %}`: no inline style (the pages' CSP allows none; the stylesheet keeps
    `bdi` whole)."""
    text = str(value)
    return format_html("<bdi>{}</bdi>", text) if text else ""
