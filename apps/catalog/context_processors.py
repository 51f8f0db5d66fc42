from wagtail.models import Locale

from apps.catalog.models import CategoryPage


def navigation(request):
    """Category links for the header, in the current language (queried only when rendered)."""

    def categories():
        return list(CategoryPage.objects.live().filter(locale=Locale.get_active()).order_by("path"))

    return {"nav_categories": categories}
