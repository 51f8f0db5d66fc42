"""What shoppers see on the home, category, product and search pages."""

import json
import re


def test_home_lists_categories_and_new_arrivals(client, catalog, html):
    response = client.get("/ar/")

    assert response.status_code == 200
    assert "العطور والعود" in response.content.decode()
    assert sorted(html.texts(response, "product-title")) == sorted(
        page.title for page in catalog.pages_ar.values()
    )


def test_category_lists_its_products_with_prices_in_the_page_language(client, catalog, html):
    arabic = client.get("/ar/perfumes/")
    english = client.get("/en/perfumes/")

    assert html.texts(arabic, "product-title") == [
        "دهن عود كمبودي", "بخور معطر ملكي", "مبخرة نحاسية"
    ]
    assert html.texts(english, "product-title") == [
        "Cambodian oud oil", "Royal scented bakhoor", "Brass incense burner"
    ]
    assert "399.00\xa0ر.س." in arabic.content.decode()
    assert "SAR\xa049.50" in english.content.decode()
    assert html.texts(english, "out") == ["Out of stock"]


def test_unpublished_product_is_not_listed(client, catalog, oud, html):
    catalog.page(oud, "ar").unpublish()

    response = client.get("/ar/perfumes/")

    assert "دهن عود كمبودي" not in html.texts(response, "product-title")
    assert client.get(catalog.url(oud)).status_code == 404


def test_price_and_stock_are_shared_by_both_languages(client, catalog, oud):
    oud.price = "410.00"
    oud.stock = 0
    oud.save()

    arabic = client.get(catalog.url(oud, "ar")).content.decode()
    english = client.get(catalog.url(oud, "en")).content.decode()

    assert "410.00\xa0ر.س." in arabic
    assert "SAR\xa0410.00" in english
    assert "Out of stock" in english
    assert "Add to cart" not in english


def test_product_page_describes_the_product_for_search_engines(client, catalog, oud):
    page = client.get(catalog.url(oud, "en")).content.decode()

    data = json.loads(re.search(
        r'<script type="application/ld\+json">(.*?)</script>', page, re.S
    ).group(1))
    assert data["name"] == "Cambodian oud oil"
    assert data["sku"] == "GE-OUD-001"
    assert data["offers"]["price"] == "399"
    assert data["offers"]["priceCurrency"] == "SAR"
    assert data["offers"]["availability"] == "https://schema.org/InStock"


def test_search_finds_products_in_the_page_language(client, catalog, html):
    arabic = client.get("/ar/search/", {"q": "بخور"})
    english = client.get("/en/search/", {"q": "oud"})

    assert html.texts(arabic, "product-title") == ["بخور معطر ملكي"]
    # The title match first; the rest of its category ("Oud & incense") after it.
    assert html.texts(english, "product-title")[0] == "Cambodian oud oil"
