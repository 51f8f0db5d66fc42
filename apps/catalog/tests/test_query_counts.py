"""Pages cost a fixed number of SQL queries however many products they show (measured with
the page cache off: what the first visitor after a change costs)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.catalog.tests.factories import ImageFactory, ProductFactory, create_product_page

pytestmark = pytest.mark.django_db


# The fixed cost of each page rendered (not from the page cache). Wagtail's routing: the
# site, the locale, the page and its ancestors, the view restrictions; then the page's own:
# home: featured products and categories with their images and renditions;
# category: its count, products, images and renditions (the English listing also links
# the Arabic originals);
# product: its product, image, the translation for the language switch, shipping terms;
# cart: the session, the cart, its lines with their products, images and renditions, the
# page links, shipping terms, the badge, the site.
QUERIES = {"home": 10, "category ar": 12, "category en": 13, "product": 13, "cart": 10}


def queries_to_render(client, url: str) -> int:
    """Queries for a page view once images renditions exist (the first view creates them)."""
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def add_products(catalog, count: int) -> None:
    start = len(catalog.products)
    for index in range(start, start + count):
        product = ProductFactory(
            sku=f"GE-QRY-{index:03d}", price=Decimal("10.00") + index, stock=index % 3,
            image=ImageFactory(title=f"qry-{index}"),
        )
        page_ar, _page_en = create_product_page(
            catalog.category_ar, product, title_ar=f"منتج رقم {index}", title_en=f"Product {index}"
        )  # with its English translation
        catalog.products.append(product)
        catalog.pages_ar[product.sku] = page_ar


@pytest.mark.parametrize("language", ["ar", "en"])
def test_category_page_queries_do_not_grow_with_products(client, pictured_catalog, language):
    catalog = pictured_catalog
    url = (catalog.category_ar if language == "ar" else catalog.category_en).get_url()
    with_three = queries_to_render(client, url)

    add_products(catalog, 7)
    with_ten = queries_to_render(client, url)

    assert with_ten == with_three == QUERIES[f"category {language}"]


def test_home_page_queries_do_not_grow_with_products(client, pictured_catalog):
    with_three = queries_to_render(client, "/ar/")

    add_products(pictured_catalog, 7)
    with_ten = queries_to_render(client, "/ar/")

    assert with_ten == with_three == QUERIES["home"]


def test_product_page_queries_do_not_grow_with_the_catalog(client, pictured_catalog):
    url = pictured_catalog.url(pictured_catalog.products[0])
    with_three = queries_to_render(client, url)

    add_products(pictured_catalog, 7)
    with_ten = queries_to_render(client, url)

    assert with_ten == with_three == QUERIES["product"]


def test_cart_queries_do_not_grow_with_lines(client, pictured_catalog):
    catalog = pictured_catalog
    add_products(catalog, 7)
    in_stock = [product for product in catalog.products if product.stock]
    client.post(catalog.add_url(in_stock[0]), {"quantity": "1"})
    with_one = queries_to_render(client, "/ar/cart/")

    for product in in_stock[1:5]:
        client.post(catalog.add_url(product), {"quantity": "1"})
    with_five = queries_to_render(client, "/ar/cart/")

    assert with_five == with_one == QUERIES["cart"]


def test_search_queries_do_not_grow_with_results(client, pictured_catalog):
    add_products(pictured_catalog, 2)
    with_few = queries_to_render(client, "/ar/search/?q=منتج")

    add_products(pictured_catalog, 7)
    with_many = queries_to_render(client, "/ar/search/?q=منتج")

    assert with_many == with_few
