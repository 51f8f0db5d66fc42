"""The checkout summary follows the chosen city at once (static/js/checkout.js), and says
shipping is set from the city before one is chosen, rather than showing a wrong figure.
Screenshots: {ar,en}-{375,1280}-checkout-estimate.png."""

from decimal import Decimal

import pytest

pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.mark.parametrize("lang", ["ar", "en"])
def test_shipping_follows_the_city(shopper_factory, lang):
    from apps.catalog.models import ProductPage

    shopper = shopper_factory(lang)
    page = shopper.page
    product_page = ProductPage.objects.get(product__sku="GE-DAT-101",
                                           locale__language_code=lang)
    page.goto(shopper.base_url + product_page.url)
    shopper.add_to_cart(1)
    shopper.goto("/checkout/")
    shipping = page.locator("[data-city-total=shipping]")
    total = page.locator("[data-city-total=total]")
    assert shopper.norm(shipping.inner_text()) == shopper.norm(shopper.t("Set from your city"))
    assert page.locator(".checkout-totals .vat").is_hidden()

    page.locator("#id_city").select_option("riyadh")  # 85.00 + 15.00
    assert shopper.norm(shipping.inner_text()) == shopper.money(Decimal("15.00"))
    assert shopper.norm(total.inner_text()) == shopper.money(Decimal("100.00"))
    assert page.locator(".checkout-totals .vat").is_visible()
    page.locator("#id_city").select_option("abha")  # the rest of the Kingdom: 25.00
    assert shopper.norm(shipping.inner_text()) == shopper.money(Decimal("25.00"))
    assert shopper.norm(total.inner_text()) == shopper.money(Decimal("110.00"))
    shopper.snap("checkout-estimate")
    shopper.assert_clean()
