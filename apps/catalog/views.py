from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import translation

from apps.catalog.models import ProductPage, with_listing_data
from apps.core.text import to_ascii_digits

RESULTS_PER_PAGE = 12


def search(request):
    """Product titles in the current language containing the query."""
    query = to_ascii_digits(request.GET.get("q", "")).strip()[:100]
    page_obj = None
    if query:
        pages = ProductPage.objects.live().filter(
            locale__language_code=translation.get_language()[:2], title__icontains=query)
        page_obj = Paginator(with_listing_data(pages.order_by("title")), RESULTS_PER_PAGE).get_page(
            request.GET.get("page")
        )
    return render(request, "catalog/search.html", {"query": query, "page_obj": page_obj})
