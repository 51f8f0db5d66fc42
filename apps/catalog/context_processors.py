from django.core.cache import cache
from django.utils import translation

from apps.catalog.cache import NAV
from apps.catalog.models import CategoryPage, InfoPage
from apps.core.pagecache import registry


def _links(request, model, name: str):
    """Links to the live pages of `model` in the current language, computed once per
    language and kept in this process's cache until a category, an information page or the
    home page changes (the "nav" version of the page-cache registry, which every process
    reads)."""
    language = (translation.get_language() or "ar")[:2]
    key = f"{name}:{language}:{registry().newest([NAV])}"
    links = cache.get(key)
    if links is None:
        pages = model.objects.live().filter(locale__language_code=language).order_by("path")
        links = [{"title": page.title, "url": page.get_url(request)} for page in pages]
        cache.set(key, links, timeout=None)
    return links


def navigation(request):
    """Category links for the header and information pages for the footer."""
    return {"nav_categories": lambda: _links(request, CategoryPage, "nav"),
            "footer_pages": lambda: _links(request, InfoPage, "footer")}
