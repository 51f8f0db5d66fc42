from django import template
from django.urls import translate_url
from django.utils import translation

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


@register.simple_tag
def language_name(language_code: str) -> str:
    return {"ar": "العربية", "en": "English"}[language_code]


@register.simple_tag
def current_language() -> str:
    return (translation.get_language() or "ar")[:2]
