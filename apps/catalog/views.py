from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render
from django.utils import translation

from apps.catalog.models import SORTS, Product, ProductPage, listing, with_listing_data
from apps.catalog.search import query_terms

RESULTS_PER_PAGE = 12


def matching_products(query: str) -> list[int]:
    """Ids of products whose index holds every word of `query` (any of its forms), best
    first: words found in the title count more than words found in the text."""
    terms = query_terms(query)
    if not terms:
        return []
    products = Product.objects.filter(is_active=True)
    for forms in terms:
        match = Q()
        for form in forms:
            match |= Q(search_title__contains=" " + form) | Q(search_text__contains=" " + form)
        products = products.filter(match)

    def score(row) -> int:
        title, text = row[1], row[2]
        return sum(3 if any(" " + form in title for form in forms) else
                   1 if any(" " + form in text for form in forms) else 0
                   for forms in terms)

    rows = list(products.values_list("pk", "search_title", "search_text"))
    return [row[0] for row in sorted(rows, key=lambda row: (-score(row), row[0]))]


def search(request):
    """Products in the page's language whose pages, in any language, hold the query's words
    (apps/catalog/search.py): ranked, or sorted by price or newest, in stock only if asked."""
    query = request.GET.get("q", "").strip()[:100]
    sort = request.GET.get("sort", "")
    in_stock_only = request.GET.get("stock") == "1"
    page_obj = None
    if query:
        ranked = matching_products(query)
        pages = listing(
            ProductPage.objects.live().filter(
                locale__language_code=translation.get_language()[:2], product_id__in=ranked),
            sort=sort, in_stock_only=in_stock_only,
        )
        pages = list(with_listing_data(pages))
        if sort not in SORTS:
            rank = {product_id: index for index, product_id in enumerate(ranked)}
            pages.sort(key=lambda page: rank[page.product_id])
        page_obj = Paginator(pages, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "catalog/search.html", {
        "query": query, "page_obj": page_obj, "sort": sort if sort in SORTS else "",
        "in_stock_only": in_stock_only,
    })
