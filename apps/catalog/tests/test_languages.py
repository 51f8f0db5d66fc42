"""Arabic first, English second: page direction and the language switch link."""

import re

import pytest


def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.content.decode()).group(0)


@pytest.mark.parametrize("path", ["/ar/", "/ar/perfumes/", "/ar/perfumes/ge-oud-001/", "/ar/cart/",
                                  "/ar/accounts/login/"])
def test_arabic_pages_are_right_to_left(client, catalog, path):
    response = client.get(path)

    assert response.status_code == 200
    assert html_tag(response) == '<html lang="ar" dir="rtl">'


@pytest.mark.parametrize("path", ["/en/", "/en/perfumes/", "/en/perfumes/ge-oud-001/", "/en/cart/",
                                  "/en/accounts/login/"])
def test_english_pages_are_left_to_right(client, catalog, path):
    response = client.get(path)

    assert response.status_code == 200
    assert html_tag(response) == '<html lang="en" dir="ltr">'


def test_root_url_redirects_to_arabic(client, catalog):
    response = client.get("/")

    assert response.status_code == 302
    assert response.url == "/ar/"


def test_product_page_links_to_its_own_english_translation(client, catalog, bakhoor, html):
    response = client.get(catalog.url(bakhoor, "ar"))

    assert html.links(response, "lang-switch") == [catalog.url(bakhoor, "en")]
    english = client.get(catalog.url(bakhoor, "en"))
    assert "Royal scented bakhoor" in english.content.decode()


def test_english_product_page_links_back_to_arabic(client, catalog, bakhoor, html):
    response = client.get(catalog.url(bakhoor, "en"))

    assert html.links(response, "lang-switch") == [catalog.url(bakhoor, "ar")]


def test_translated_slugs_are_followed(client, catalog, oud, html):
    # an editor gives the English page its own slug
    english = catalog.page(oud, "en")
    english.slug = "cambodian-oud-oil"
    english.save_revision().publish()

    response = client.get(catalog.url(oud, "ar"))

    assert html.links(response, "lang-switch") == ["/en/perfumes/cambodian-oud-oil/"]


def test_category_and_home_link_to_their_translations(client, catalog, html):
    assert html.links(client.get("/ar/perfumes/"), "lang-switch") == ["/en/perfumes/"]
    assert html.links(client.get("/ar/"), "lang-switch") == ["/en/"]


@pytest.mark.parametrize(
    ("path", "switch"),
    [("/ar/cart/", "/en/cart/"), ("/en/cart/", "/ar/cart/"),
     ("/ar/accounts/login/", "/en/accounts/login/"),
     # browsers send the query percent-encoded
     ("/ar/search/?q=%D8%B9%D9%88%D8%AF", "/en/search/?q=%D8%B9%D9%88%D8%AF")],
)
def test_other_pages_link_to_the_same_route_in_the_other_language(
    client, catalog, html, path, switch
):
    response = client.get(path)

    assert html.links(response, "lang-switch") == [switch]
