"""An order left unpaid, in Arabic on a phone: back from the payment page, the banner under
the header resumes it; another is given up from the cart's banner and its items come back.
Screenshots: ar-{375,1280}-unpaid-banner.png, ar-{375,1280}-unpaid-cancelled.png."""

import re

import pytest

from tests.e2e.test_payments import SUCCEEDS, assert_paid, pay_with, place_order

pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_go_back_resume_from_the_header_and_pay(shopper_factory):
    shopper = shopper_factory("ar")
    page = shopper.page
    page.set_viewport_size({"width": 375, "height": 800})
    order = place_order(shopper)

    page.go_back()  # the checkout page the order came from
    banner = page.locator(".unpaid-banner")
    banner.wait_for(state="visible")
    assert order.number in banner.inner_text()
    assert "بانتظار الدفع" in banner.inner_text()
    shopper.snap("unpaid-banner")
    with page.expect_navigation():
        banner.locator("a.button").click()
    assert re.search(rf"/ar/orders/{order.number}/pay/\?token=", page.url)
    page.locator("input[name=sandbox_card_number]").wait_for(state="visible")
    assert page.locator(".unpaid-banner").count() == 0  # not on the payment page itself
    pay_with(shopper, SUCCEEDS)
    assert_paid(shopper, order)
    shopper.goto("/cart/")
    assert page.locator(".unpaid-banner").count() == 0
    shopper.assert_clean()


def test_cancel_from_the_cart_banner_returns_the_items_and_the_stock(shopper_factory):
    from apps.catalog.models import Product

    shopper = shopper_factory("ar")
    page = shopper.page
    page.set_viewport_size({"width": 375, "height": 800})
    stock_before = Product.objects.get(sku="GE-DAT-101").stock
    order = place_order(shopper)
    assert Product.objects.get(sku="GE-DAT-101").stock == stock_before - 1

    shopper.goto("/cart/")
    assert page.locator(".cart-line").count() == 0  # the order took the cart's items
    with page.expect_navigation():
        page.locator(".unpaid-banner button[type=submit]").click()

    assert page.url.endswith("/ar/cart/")
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert Product.objects.get(sku="GE-DAT-101").stock == stock_before
    assert shopper.cart_line("GE-DAT-101").count() == 1
    assert order.number in page.locator(".messages").inner_text()
    assert page.locator(".unpaid-banner").count() == 0
    shopper.snap("unpaid-cancelled")
    shopper.assert_clean()
