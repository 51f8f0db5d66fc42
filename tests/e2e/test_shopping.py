"""A shopper's whole journey in a real browser, in Arabic and in English.

Guest: home -> category -> product -> add -> another category -> product -> add -> cart ->
change a quantity -> checkout (one validation error, then fixed) -> order page with totals.
Signed in: log in -> add products -> checkout saving the address -> "My orders" -> order page.
Screenshots of every step at phone and desktop width land in tests/e2e/screenshots/.
"""

import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")
LANGS = pytest.mark.parametrize("lang", ["ar", "en"])
ORDER_NUMBER = re.compile(r"^GE-\d{4}-\d{6}$")
INVALID_PHONE_MESSAGE = "Enter a Saudi mobile number such as 05XXXXXXXX."


def expected_totals(items: dict[str, int], city: str) -> dict[str, Decimal]:
    """Totals worked out here from the products' prices and the shipping zones in the DB."""
    from apps.catalog.models import Product
    from apps.core.money import quantize
    from apps.pricing.models import ShippingZone

    subtotal = sum(
        (Product.objects.get(sku=sku).price * quantity for sku, quantity in items.items()),
        Decimal(0),
    )
    zones = list(ShippingZone.objects.all())
    zone = next((z for z in zones if city in z.cities), None) or next(
        z for z in zones if z.is_default
    )
    free = zone.free_above is not None and subtotal >= zone.free_above
    shipping = Decimal(0) if free else zone.rate
    total = subtotal + shipping
    rate = settings.SHOP_VAT_RATE
    return {
        "subtotal": quantize(subtotal),
        "shipping": quantize(shipping),
        "total": quantize(total),
        "vat": quantize(total * rate / (1 + rate)),
    }


def page_title(sku: str, lang: str) -> str:
    from apps.catalog.models import ProductPage

    return ProductPage.objects.get(product__sku=sku, locale__language_code=lang).title


def assert_totals_shown(shopper, expected: dict[str, Decimal]) -> None:
    shown = shopper.totals()
    assert shown["subtotal"] == shopper.money(expected["subtotal"])
    if expected["shipping"]:
        assert shown["shipping"] == shopper.money(expected["shipping"])
    else:
        assert shown["shipping"] == shopper.norm(shopper.t("Free"))
    assert shown["total"] == shopper.money(expected["total"])
    assert expected["total"] == expected["subtotal"] + expected["shipping"]
    # The VAT line: "Includes VAT (15%)" and the VAT part of the total.
    assert shown["vat"] == shopper.money(expected["vat"])
    assert "15%" in shown["vat_label"]


def open_category(shopper, slug: str, *, via: str) -> None:
    link = shopper.page.locator(f"{via} a[href$='/{slug}/']").first
    shopper.submit(link)
    assert shopper.page.url.endswith(f"/{shopper.lang}/{slug}/"), shopper.page.url
    assert shopper.page.locator(".product-grid .product-card").count() == 5


def open_product(shopper, sku: str) -> None:
    shopper.submit(shopper.page.locator(f".product-card a[href$='/{sku.lower()}/']"))
    shopper.assert_direction()
    assert shopper.page.locator("h1").inner_text().strip() == page_title(sku, shopper.lang)
    assert shopper.page.locator(".product-info .sku").inner_text().strip() == sku


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@LANGS
def test_guest_then_customer_checkout(shopper_factory, lang):
    from apps.catalog.models import HomePage
    from apps.demo.management.commands.seed_demo import CUSTOMER_EMAIL, CUSTOMER_PASSWORD
    from apps.orders.models import Order

    # --- Guest -----------------------------------------------------------------------
    guest = shopper_factory(lang)
    page = guest.page

    guest.goto("/")
    home = HomePage.objects.get(locale__language_code=lang)
    assert page.locator(".hero h1").inner_text().strip() == home.title
    assert page.locator(".category-grid li").count() == 3
    guest.snap("home")

    open_category(guest, "dates", via=".category-grid")
    guest.snap("category")
    open_product(guest, "GE-DAT-105")
    guest.snap("product")
    guest.add_to_cart(2)
    assert page.locator(".messages .message-success").count() == 1
    assert guest.cart_line("GE-DAT-105").locator("input.qty").input_value() == "2"

    # Another category, from the header's category bar this time.
    open_category(guest, "coffee", via=".category-nav")
    open_product(guest, "GE-TEA-204")
    guest.add_to_cart(3)
    assert page.locator(".cart-line").count() == 2
    assert page.locator(".cart-link .badge").inner_text().strip() == "5"

    # Change a quantity in the cart.
    tea = guest.cart_line("GE-TEA-204")
    tea.locator("input.qty").fill("1")
    guest.submit(tea.locator("form.qty-form button[type=submit]"))
    tea = guest.cart_line("GE-TEA-204")
    assert tea.locator("input.qty").input_value() == "1"
    items = {"GE-DAT-105": 2, "GE-TEA-204": 1}
    assert guest.norm(tea.locator(".line-total").inner_text()) == guest.money(
        expected_totals({"GE-TEA-204": 1}, "riyadh")["subtotal"]
    )
    assert page.locator(".cart-link .badge").inner_text().strip() == "3"
    assert guest.totals()["subtotal"] == guest.money(expected_totals(items, "riyadh")["subtotal"])
    guest.snap("cart")

    # Checkout as a guest.
    guest.submit(page.locator(".summary a.button.primary"))
    assert page.url.endswith(f"/{lang}/checkout/")
    assert page.locator(".checkout-form a[href*='/accounts/login/']").count() == 1
    assert page.locator("#id_save_address").count() == 0  # guests have no address book
    guest.fill_address(phone="12345", city="riyadh", email="guest@example.com")
    guest.snap("checkout")

    # A wrong mobile number: the page comes back with the error and keeps what was typed.
    response = guest.submit(page.locator(".checkout-form > button[type=submit]"))
    assert response.status == 400
    error = page.locator(".field.has-error:has(#id_phone) .error")
    assert guest.norm(error.inner_text()) == guest.norm(guest.t(INVALID_PHONE_MESSAGE))
    assert page.locator("#id_city").input_value() == "riyadh"
    assert page.locator("#id_postal_code").input_value() == "12345"
    expected = expected_totals(items, "riyadh")
    assert_totals_shown(guest, expected)  # now priced for Riyadh
    assert not Order.objects.exists()
    guest.snap("checkout-error")

    page.locator("#id_phone").fill("0512345678")
    guest.submit(page.locator(".checkout-form > button[type=submit]"))
    # Placing the order leads straight to its payment page (guests through their token) ...
    assert re.search(rf"/{lang}/orders/GE-\d{{4}}-\d{{6}}/pay/\?token=[^&]+$", page.url), page.url

    number = page.locator("h1 .order-number").inner_text().strip()
    assert ORDER_NUMBER.match(number), number
    assert number in guest.norm(page.locator(".messages .message-success").inner_text())
    assert_totals_shown(guest, expected)
    # ... and the guest's private link shows the order.
    with translation.override(lang):
        guest_url = Order.objects.get(number=number).get_guest_url()
    page.goto(guest.base_url + guest_url)
    guest.assert_direction()
    assert re.search(rf"/{lang}/orders/track/[^/]+/$", page.url), page.url
    assert page.locator("h1 .order-number").inner_text().strip() == number
    assert_totals_shown(guest, expected)
    rows = page.locator("table.order-lines tbody tr")
    assert rows.count() == 2
    for sku, quantity in items.items():
        row = rows.filter(has_text=sku)
        assert page_title(sku, lang) in row.inner_text()
        assert row.locator("td").nth(1).inner_text().strip() == str(quantity)
    assert "+966512345678" in page.locator("address").inner_text()
    guest.snap("order")
    guest.assert_clean()

    order = Order.objects.get(number=number)
    assert order.user is None and order.email == "guest@example.com"
    assert order.language == lang and order.city == "riyadh" and order.phone == "+966512345678"
    assert (order.subtotal, order.shipping, order.total) == (
        expected["subtotal"],
        expected["shipping"],
        expected["total"],
    )

    # --- Signed-in customer ----------------------------------------------------------
    customer = shopper_factory(lang)
    page = customer.page
    customer.goto("/accounts/login/")
    page.locator("main form input[name=login]").fill(CUSTOMER_EMAIL)
    page.locator("main form input[name=password]").fill(CUSTOMER_PASSWORD)
    customer.snap("login")
    customer.submit(page.locator("main form:has(input[name=password]) button[type=submit]"))
    assert page.url.endswith(f"/{lang}/account/orders/"), page.url  # LOGIN_REDIRECT_URL
    assert page.locator("table.order-list").count() == 0  # no orders yet

    customer.goto("/")
    open_category(customer, "coffee", via=".category-grid")
    open_product(customer, "GE-COF-201")
    customer.add_to_cart(2)
    open_category(customer, "dates", via=".category-nav")
    open_product(customer, "GE-DAT-101")
    customer.add_to_cart(1)
    items = {"GE-COF-201": 2, "GE-DAT-101": 1}

    customer.submit(page.locator(".summary a.button.primary"))
    assert page.locator("#id_email").input_value() == CUSTOMER_EMAIL  # prefilled
    # Arabic-Indic digits are accepted and normalised.
    phone = "٠٥١٢٣٤٥٦٧٨" if lang == "ar" else "0512345678"
    customer.fill_address(phone=phone, city="jeddah")
    page.locator("#id_save_address").check()
    customer.snap("checkout-customer")
    customer.submit(page.locator(".checkout-form > button[type=submit]"))
    assert re.search(rf"/{lang}/orders/GE-\d{{4}}-\d{{6}}/pay/$", page.url), page.url
    number = page.locator("h1 .order-number").inner_text().strip()
    customer.goto(f"/account/orders/{number}/")
    assert page.locator("h1 .order-number").inner_text().strip() == number
    expected = expected_totals(items, "jeddah")
    assert_totals_shown(customer, expected)
    customer.snap("order-customer")

    # "My orders" from the header.
    customer.submit(page.locator(".header-links a[href$='/account/orders/']"))
    assert page.url.endswith(f"/{lang}/account/orders/")
    rows = page.locator("table.order-list tbody tr")
    assert rows.count() == 1
    assert rows.first.locator(".order-number").inner_text().strip() == number
    assert customer.norm(rows.first.locator("td").nth(3).inner_text()) == customer.money(
        expected["total"]
    )
    customer.snap("my-orders")
    customer.submit(rows.first.locator("td").first.locator("a"))
    assert page.url.endswith(f"/{lang}/account/orders/{number}/")
    assert page.locator("h1 .order-number").inner_text().strip() == number
    assert_totals_shown(customer, expected)
    assert page.locator("table.order-lines tbody tr").count() == 2

    order = Order.objects.get(number=number)
    assert order.user.email == CUSTOMER_EMAIL and order.total == expected["total"]

    # The saved address fills the next checkout.
    customer.goto("/")
    open_category(customer, "perfumes", via=".category-grid")
    open_product(customer, "GE-OUD-002")
    customer.add_to_cart(1)
    customer.submit(page.locator(".summary a.button.primary"))
    assert page.locator("#id_city").input_value() == "jeddah"
    assert page.locator("#id_postal_code").input_value() == "12345"
    assert page.locator("#id_building_number").input_value() == "1234"
    customer.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@LANGS
def test_invalid_phone_is_refused_in_page_language(shopper_factory, lang):
    from apps.catalog.models import ProductPage
    from apps.orders.models import Order

    shopper = shopper_factory(lang)
    page = shopper.page
    product_page = ProductPage.objects.get(product__sku="GE-DAT-101", locale__language_code=lang)
    page.goto(shopper.base_url + product_page.url)
    shopper.assert_direction()
    shopper.add_to_cart(1)
    shopper.goto("/checkout/")
    shopper.fill_address(phone="0412345678", city="dammam", email="someone@example.com")

    response = shopper.submit(page.locator(".checkout-form > button[type=submit]"))

    assert response.status == 400
    assert page.url.endswith(f"/{lang}/checkout/")
    errors = page.locator(".field.has-error .error")
    assert errors.count() == 1  # only the phone
    error = shopper.norm(page.locator(".field.has-error:has(#id_phone) .error").inner_text())
    assert error == shopper.norm(shopper.t(INVALID_PHONE_MESSAGE))
    if lang == "ar":
        assert ARABIC_LETTERS.search(error), f"English error on an Arabic page: {error!r}"
        assert error != INVALID_PHONE_MESSAGE
    else:
        assert error == INVALID_PHONE_MESSAGE
    assert page.locator("#id_phone").input_value() == "0412345678"
    assert not Order.objects.exists()
    shopper.check_language("checkout-error")

    # The cart is untouched.
    shopper.goto("/cart/")
    assert page.locator(".cart-line").count() == 1
    shopper.assert_clean()
