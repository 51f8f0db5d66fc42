"""The page cache for anonymous visitors' catalog pages (apps/core/pagecache.py): nothing
personal is ever served from it, add-to-cart works from a cached page, and each change
invalidates exactly the pages that show it, at once, also in another process."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import Client

BASE_DIR = Path(__file__).resolve().parents[3]


@pytest.fixture
def page_cache(settings, tmp_path):
    """The page cache on, with this test's own versions file and an empty store."""
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": True,
                           "VERSIONS": f"file:{tmp_path / 'versions.json'}"}
    caches[settings.PAGE_CACHE["STORE"]].clear()
    yield settings.PAGE_CACHE
    caches[settings.PAGE_CACHE["STORE"]].clear()


def badge(html, response) -> str:
    return html.soup(response).select_one(".cart-link .badge").get_text(strip=True)


@pytest.mark.django_db
def test_two_visitors_alternating_never_see_each_others_cart_name_or_messages(
    client, page_cache, catalog, customer, html
):
    # Noura is signed in, has 2 oud oils in her cart and a message waiting.
    noura = client
    noura.force_login(customer)
    noura.post(catalog.add_url(catalog.products[0]), {"quantity": "2"})
    stranger = Client()
    pages = [catalog.home_ar.url, catalog.category_ar.url, catalog.url(catalog.products[0]),
             catalog.home_en.url]

    for _round in range(3):
        for url in pages:
            theirs = stranger.get(url)
            hers = noura.get(url)

            assert theirs.status_code == hers.status_code == 200
            assert badge(html, theirs) == "0"
            assert badge(html, hers) == "2"
            assert customer.email not in theirs.content.decode()
            assert not html.soup(theirs).select(".messages")
            assert "X-Page-Cache" not in hers  # never from the cache with a session
            assert "csrfmiddlewaretoken" not in theirs.content.decode()
    # the stranger's pages did come from the cache
    assert stranger.get(pages[0])["X-Page-Cache"] == "hit"


@pytest.mark.django_db
def test_a_new_visitor_adds_to_the_cart_from_a_cached_product_page(page_cache, catalog, html):
    url = catalog.url(catalog.products[0])
    Client().get(url)  # someone else's visit stored the page
    visitor = Client(enforce_csrf_checks=True)

    page = visitor.get(url)
    assert page["X-Page-Cache"] == "hit"
    form = html.soup(page).select_one("form.add-to-cart")
    added = visitor.post(form["action"], {"quantity": "1"})

    assert added.status_code == 302
    cart = visitor.get("/ar/cart/")
    assert badge(html, cart) == "1"
    # With a session now, the page is rendered for them, token included: CSRF is enforced.
    mine = visitor.get(url)
    assert "X-Page-Cache" not in mine
    assert html.soup(mine).select_one("form.add-to-cart input[name=csrfmiddlewaretoken]")
    forged = visitor.post(form["action"], {"quantity": "1"})
    assert forged.status_code == 403


@pytest.mark.django_db
def test_another_site_cannot_fill_a_new_visitors_cart(page_cache, catalog, html):
    url = catalog.url(catalog.products[0])
    action = html.soup(Client().get(url)).select_one("form.add-to-cart")["action"]
    browser = Client(enforce_csrf_checks=True)

    forged = browser.post(action, {"quantity": "1"}, headers={"Origin": "https://evil.example"})
    same_site = browser.post(action, {"quantity": "1"}, headers={"Origin": "http://testserver"})

    assert forged.status_code == 403
    assert same_site.status_code == 302


@pytest.mark.django_db
def test_cached_pages_carry_validators_for_a_cdn(page_cache, catalog):
    url = catalog.category_ar.url
    first = Client().get(url)
    again = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == "public, no-cache"
    assert first["ETag"].startswith('"')
    assert "Cookie" not in first.get("Vary", "")
    assert again.status_code == 304


@pytest.mark.django_db
def test_a_price_change_in_this_process_shows_at_once(page_cache, catalog, committed):
    product = catalog.products[0]
    url = catalog.url(product)
    assert "399.00" in Client().get(url).content.decode()

    product.price = Decimal("420.00")
    committed(product.save)

    assert "420.00" in Client().get(url).content.decode()
