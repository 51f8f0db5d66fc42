"""The pages this round added or changed, in Arabic and English at phone and desktop width,
with no console errors and no English on the Arabic pages: trust pages, search and
category listings with their sort and stock controls, the 404 page, the cart's
free-shipping nudge. Screenshots: {lang}-{375,1280}-{step}.png."""

import pytest

pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]
LANGS = pytest.mark.parametrize("lang", ["ar", "en"])


@LANGS
def test_trust_pages_from_the_footer(shopper_factory, lang):
    shopper = shopper_factory(lang)
    page = shopper.page
    shopper.goto("/")
    links = page.locator(".footer-links a")
    assert links.count() == 4
    for index, step in enumerate(["info-shipping", "info-returns", "info-privacy",
                                  "info-terms"]):
        shopper.goto("/")
        with page.expect_navigation():
            page.locator(".footer-links a").nth(index).click()
        shopper.assert_direction()
        assert page.locator(".info-page h2").count() >= 2
        shopper.snap(step)
    shopper.assert_clean()


@LANGS
def test_listings_search_and_not_found(shopper_factory, lang):
    shopper = shopper_factory(lang)
    page = shopper.page
    shopper.goto("/search/?q=" + ("تمر" if lang == "ar" else "dates"))
    assert page.locator(".product-grid li").count() >= 3
    shopper.snap("search-ranked")
    page.locator("#listing-sort").select_option("-price")
    page.locator(".listing-controls input[name=stock]").check()
    with page.expect_navigation():
        page.locator(".listing-controls button[type=submit]").click()
    assert "sort=-price" in page.url and "stock=1" in page.url
    shopper.snap("search-sorted")

    shopper.goto("/no-such-page/")
    assert page.locator("h1").count() == 1
    assert page.locator("form.error-search").count() == 1
    shopper.snap("not-found")
    shopper.assert_clean()


@LANGS
def test_cart_nudges_towards_free_shipping(shopper_factory, lang):
    from apps.catalog.models import ProductPage

    shopper = shopper_factory(lang)
    page = shopper.page
    product_page = ProductPage.objects.get(product__sku="GE-DAT-101",
                                           locale__language_code=lang)
    page.goto(shopper.base_url + product_page.url)
    assert page.locator(".breadcrumbs a").count() == 2  # home › category
    shopper.snap("product-breadcrumb")
    shopper.add_to_cart(1)
    assert page.locator(".free-shipping-nudge").is_visible()
    shopper.snap("cart-nudge")
    shopper.assert_clean()
