"""Trust pages in the footer, the product page's breadcrumb and structured data, the cart's
free-shipping nudge and quantity errors in the shopper's words, on the demo shop."""

import json
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command

from apps.catalog.models import InfoPage, ProductPage

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", stdout=StringIO())


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


@pytest.mark.parametrize(("lang", "titles"), [
    ("ar", ["الشحن والتوصيل", "الاسترجاع والاسترداد", "سياسة الخصوصية", "الشروط والأحكام"]),
    ("en", ["Shipping and delivery", "Returns and refunds", "Privacy policy",
            "Terms and conditions"]),
])
def test_trust_pages_are_linked_from_every_footer(client, demo, lang, titles):
    for path in (f"/{lang}/", f"/{lang}/cart/", f"/{lang}/search/?q=x"):
        links = soup(client.get(path)).select(".footer-links a")
        assert [link.get_text(strip=True) for link in links] == titles, path
    for link in links:
        page = soup(client.get(link["href"]))
        assert page.html["lang"] == lang
        assert page.h1.get_text(strip=True) in titles
        assert page.select_one(".info-page .rich-text h2") is not None


def test_a_renamed_page_shows_in_the_footer_at_once(client, demo, committed):
    client.get("/ar/")  # cached, footer included
    page = InfoPage.objects.get(locale__language_code="ar", slug="returns")
    page.title = "سياسة الإرجاع"
    committed(lambda: page.save_revision().publish())

    links = soup(client.get("/ar/")).select(".footer-links a")
    assert "سياسة الإرجاع" in [link.get_text(strip=True) for link in links]


def test_every_demo_product_has_a_drawing_of_its_own():
    from apps.demo.drawings import DRAWINGS
    from apps.demo.management.commands.seed_demo import CATALOG

    assert set(DRAWINGS) == {product[0] for *_rest, products in CATALOG for product in products}


def test_product_breadcrumb_and_structured_data(client, demo):
    page = ProductPage.objects.get(locale__language_code="ar", product__sku="GE-DAT-101")
    html = soup(client.get(page.url))
    crumbs = html.select(".breadcrumbs a")
    assert [a["href"] for a in crumbs] == ["/ar/", page.get_parent().url]
    data = json.loads(html.select_one('script[type="application/ld+json"]').string)
    assert data["offers"]["url"] == f"http://testserver{page.url}"
    assert data["image"].startswith("http://testserver/")


def test_the_cart_says_how_far_free_shipping_is(client, demo):
    dates = ProductPage.objects.get(locale__language_code="ar", product__sku="GE-DAT-101")
    client.post(f"/ar/cart/add/{dates.pk}/", {"quantity": "1"})
    nudge = soup(client.get("/ar/cart/")).select_one(".free-shipping-nudge")
    # The standard zone ships free from 400.00; 85.00 in the cart.
    assert "315.00" in nudge.get_text() and "الشحن مجانيًا" in nudge.get_text()
    client.post(f"/ar/cart/add/{dates.pk}/", {"quantity": "4"})  # 425.00
    nudge = soup(client.get("/ar/cart/")).select_one(".free-shipping-nudge")
    assert nudge.get_text(strip=True) == "شحن طلبك مجاني."


def test_a_quantity_over_the_limit_is_told_in_the_shops_words(client, demo):
    page = ProductPage.objects.get(locale__language_code="ar", product__sku="GE-DAT-105")
    response = client.post(f"/ar/cart/add/{page.pk}/", {"quantity": "500"}, follow=True)
    text = soup(response).get_text(" ", strip=True)
    assert "كحد أقصى من المنتج الواحد" in text
    assert "Ensure" not in text
