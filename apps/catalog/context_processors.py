from django.core.cache import cache
from django.utils import translation

from apps.catalog.cache import NAV
from apps.catalog.models import CategoryPage, InfoPage
from apps.core.pagecache import registry


def navigation(request):
    """Category links for the header and information pages for the footer, in the current language: computed once per language
    and kept in this process's cache until a category or the home page changes (the "nav"
    version of the page-cache registry, which every process reads)."""

    def categories() -> list[dict[str, str]]:
        language = (translation.get_language() or "ar")[:2]
        key = f"nav:{language}:{registry().newest([NAV])}"
        links = cache.get(key)
        if links is None:
            pages = CategoryPage.objects.live().filter(
                locale__language_code=language).order_by("path")
            links = [{"title": page.title, "url": page.get_url(request)} for page in pages]
            cache.set(key, links, timeout=None)
        return links

    def info_pages() -> list[dict[str, str]]:
        language = (translation.get_language() or "ar")[:2]
        key = f"footer:{language}:{registry().newest([NAV])}"
        links = cache.get(key)
        if links is None:
            pages = InfoPage.objects.live().filter(
                locale__language_code=language).order_by("path")
            links = [{"title": page.title, "url": page.get_url(request)} for page in pages]
            cache.set(key, links, timeout=None)
        return links

    return {"nav_categories": categories, "footer_pages": info_pages}
