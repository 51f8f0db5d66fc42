"""Checkout over HTTP, as a guest and signed in, including everything it must refuse."""

import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from apps.cart.models import CartLine
from apps.orders.models import Order, OrderStatus
from apps.orders.tests.factories import checkout_form_data
from apps.users.models import Address
from apps.users.tests.factories import AddressFactory


def fill_cart(client, catalog, *items, language="ar"):
    for product, quantity in items:
        response = client.post(catalog.add_url(product, language), {"quantity": str(quantity)})
        assert response.status_code == 302


def open_checkout(client, html, language="ar") -> dict[str, str]:
    """GET the checkout page; returns what its form will post back besides the shopper's input
    (the cart's fingerprint, the form's own checkout token)."""
    response = client.get(f"/{language}/checkout/")
    assert response.status_code == 200
    # (An earlier unpaid order's banner carries its own form, with its guest token.)
    hidden = {name: value for name, value in html.hidden_fields(response).items()
              if name != "token"}
    assert set(hidden) == {"cart_fingerprint", "checkout_token"}
    return hidden


def place(client, html, language="ar", **fields):
    hidden = open_checkout(client, html, language)
    return client.post(f"/{language}/checkout/", {**hidden, **checkout_form_data(**fields)})


def test_guest_checkout_places_the_order(client, catalog, oud, shipping_zones, html):
    # given a guest with two bottles of oud oil (399.00 each, 5 in stock) in their cart
    fill_cart(client, catalog, (oud, 2))

    # when they check out with a Riyadh address
    response = place(client, html, phone="05 1234 5678", email="Guest@Example.com")

    # then an order exists, a snapshot of what they bought
    order = Order.objects.get()
    assert order.user is None
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.language == "ar"
    assert order.phone == "+966512345678"
    assert order.city == "riyadh"
    line = order.lines.get()
    assert (line.sku, line.name_ar, line.name_en) == (
        "GE-OUD-001", "دهن عود كمبودي", "Cambodian oud oil"
    )
    assert (line.unit_price, line.quantity, line.line_total) == (
        Decimal("399.00"), 2, Decimal("798.00")
    )
    # 798.00 is above Riyadh's free-shipping threshold; VAT is 15/115 of the total
    assert order.currency == "SAR"
    assert order.subtotal == Decimal("798.00")
    assert order.shipping == Decimal("0")
    assert order.total == Decimal("798.00")
    assert order.vat_amount == Decimal("104.09")
    # the units are reserved and the cart is empty
    oud.refresh_from_db()
    assert oud.stock == 3
    assert not CartLine.objects.exists()
    # and the guest goes on to pay, through their order's signed token
    assert response.status_code == 302
    assert response.url == f"/ar/orders/{order.number}/pay/?" + urlencode(
        {"token": order.guest_token}
    )
    # and their private order link shows the order
    assert order.get_guest_url().startswith("/ar/orders/track/")
    page = client.get(order.get_guest_url())
    assert page.status_code == 200
    assert html.texts(page, "order-number") == [order.number]
    assert "دهن عود كمبودي" in page.content.decode()
    assert "798.00\xa0ر.س." in page.content.decode()


def test_later_catalog_changes_do_not_alter_the_order(client, catalog, oud, shipping_zones, html):
    fill_cart(client, catalog, (oud, 1))
    place(client, html)

    oud.price = Decimal("450.00")
    oud.save()
    page = catalog.page(oud)
    page.title = "اسم جديد"
    page.save_revision().publish()

    line = Order.objects.get().lines.get()
    assert (line.unit_price, line.name_ar) == (Decimal("399.00"), "دهن عود كمبودي")


def test_shipping_and_vat_outside_the_free_threshold(
    client, catalog, bakhoor, shipping_zones, html
):
    fill_cart(client, catalog, (bakhoor, 1))

    place(client, html, city="abha")

    order = Order.objects.get()
    assert order.subtotal == Decimal("49.50")
    assert order.shipping == Decimal("25.00")  # default zone
    assert order.total == Decimal("74.50")
    assert order.vat_amount == Decimal("9.72")  # 74.50 * 15 / 115 = 9.717…


@pytest.mark.parametrize(
    "typed", ["05 1234 5678", "+966512345678", "٠٥١٢٣٤٥٦٧٨", "00966-51-234-5678", "512345678"]
)
def test_saudi_mobile_is_stored_in_one_format(client, catalog, oud, shipping_zones, html, typed):
    fill_cart(client, catalog, (oud, 1))

    response = place(client, html, phone=typed)

    assert response.status_code == 302
    assert Order.objects.get().phone == "+966512345678"


def test_arabic_indic_digits_in_address_numbers_are_accepted(
    client, catalog, oud, shipping_zones, html
):
    fill_cart(client, catalog, (oud, 1))

    place(client, html, postal_code="١٢٢١١", building_number="١٢٣٤", additional_number="٥٦٧٨")

    order = Order.objects.get()
    assert (order.postal_code, order.building_number, order.additional_number) == (
        "12211", "1234", "5678"
    )


@pytest.mark.parametrize(
    ("language", "field", "value", "english_error"),
    [
        ("ar", "phone", "0412345678", None),
        ("en", "phone", "0412345678", "Enter a Saudi mobile number such as 05XXXXXXXX."),
        ("en", "phone", "+9715012345678", "Enter a Saudi mobile number such as 05XXXXXXXX."),
        ("ar", "postal_code", "1221", None),
        ("en", "postal_code", "1221", "The postal code is 5 digits."),
        ("en", "postal_code", "12a11", "The postal code is 5 digits."),
        ("ar", "building_number", "12", None),
        ("en", "building_number", "12", "The building number is 4 digits."),
        ("ar", "district", "", None),
        ("en", "district", "", "This field is required."),
        ("ar", "email", "not-an-email", None),
        ("en", "email", "not-an-email", "Enter a valid email address."),
    ],
)
def test_invalid_address_is_refused_with_a_field_error_in_the_page_language(
    client, catalog, oud, shipping_zones, html, language, field, value, english_error
):
    fill_cart(client, catalog, (oud, 1), language=language)

    response = place(client, html, language=language, **{field: value})

    # the form comes back with the error beside the field, in the page's language
    assert response.status_code == 400
    errors = html.field_errors(response, field)
    assert len(errors) == 1, errors
    if language == "en":
        assert errors == [english_error]
    else:
        assert html.is_arabic(errors[0]), errors[0]
    assert html.texts(response, "error") == errors  # no other field is blamed
    # nothing was ordered or reserved, and the cart is still there
    assert not Order.objects.exists()
    oud.refresh_from_db()
    assert oud.stock == 5
    assert CartLine.objects.count() == 1


@pytest.mark.parametrize("language", ["ar", "en"])
def test_tampered_cart_fingerprint_is_refused(
    client, catalog, oud, shipping_zones, html, language
):
    # given a shopper who edits the hidden field to pretend the oud costs 1.00
    fill_cart(client, catalog, (oud, 2), language=language)
    hidden = open_checkout(client, html, language)
    fingerprint = hidden["cart_fingerprint"]
    assert "@399.00" in fingerprint
    tampered = fingerprint.replace("@399.00", "@1.00")

    response = client.post(
        f"/{language}/checkout/",
        {**hidden, **checkout_form_data(), "cart_fingerprint": tampered},
    )

    # then no order is placed and the page explains why, in its language
    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 1
    if language == "en":
        assert errors[0].startswith("Your cart changed since you opened this page")
    else:
        assert html.is_arabic(errors[0]), errors[0]
    assert not Order.objects.exists()
    oud.refresh_from_db()
    assert oud.stock == 5


def test_tampered_quantity_in_fingerprint_is_refused(client, catalog, oud, shipping_zones, html):
    fill_cart(client, catalog, (oud, 2))
    hidden = open_checkout(client, html)
    fingerprint = hidden["cart_fingerprint"]

    response = client.post(
        "/ar/checkout/",
        {**hidden, **checkout_form_data(), "cart_fingerprint": fingerprint.replace("x2@", "x1@")},
    )

    assert response.status_code == 400
    assert not Order.objects.exists()


def test_price_change_after_opening_checkout_asks_to_confirm_again(
    client, catalog, oud, shipping_zones, html
):
    # given a shopper on the checkout page
    fill_cart(client, catalog, (oud, 1))
    hidden = open_checkout(client, html, "en")
    # when staff change the price before they press "Place order"
    oud.price = Decimal("420.00")
    oud.save()
    first = client.post("/en/checkout/", {**hidden, **checkout_form_data()})

    # then the order is not placed; the page shows the new total and can be sent again
    assert first.status_code == 400
    assert "SAR\xa0420.00" in first.content.decode()
    assert not Order.objects.exists()
    refreshed = html.hidden_fields(first)
    assert refreshed["cart_fingerprint"] != hidden["cart_fingerprint"]
    second = client.post("/en/checkout/", {**refreshed, **checkout_form_data()})
    assert second.status_code == 302
    assert Order.objects.get().total == Decimal("420.00")


def test_stock_sold_meanwhile_is_refused_in_the_page_language(
    client, catalog, oud, shipping_zones, html
):
    # given 4 oud in an Arabic shopper's cart, then others buy all but 2
    fill_cart(client, catalog, (oud, 4))
    hidden = open_checkout(client, html)
    oud.stock = 2
    oud.save()

    response = client.post("/ar/checkout/", {**hidden, **checkout_form_data()})

    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 1
    assert "دهن عود كمبودي" in errors[0]
    assert html.is_arabic(errors[0]), errors[0]
    assert not Order.objects.exists()
    oud.refresh_from_db()
    assert oud.stock == 2


def test_stock_sold_meanwhile_names_the_product_in_english(
    client, catalog, oud, bakhoor, shipping_zones, html
):
    fill_cart(client, catalog, (oud, 1), (bakhoor, 1), language="en")
    hidden = open_checkout(client, html, "en")
    bakhoor.stock = 0
    bakhoor.save()

    response = client.post("/en/checkout/", {**hidden, **checkout_form_data()})

    assert response.status_code == 400
    assert html.alerts(response) == [
        "Not enough stock for Royal scented bakhoor. Please lower the quantity."
    ]
    # all or nothing: the oud was not reserved either
    oud.refresh_from_db()
    assert oud.stock == 5


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(client, catalog):
    response = client.get("/ar/checkout/")

    assert response.status_code == 302
    assert response.url == "/ar/cart/"


def test_guests_are_not_offered_the_address_book(client, catalog, oud, html):
    fill_cart(client, catalog, (oud, 1))

    response = client.get("/ar/checkout/")

    assert html.input_value(response, "save_address") is None


def test_signed_in_checkout_can_save_the_address(
    customer_client, customer, catalog, oud, shipping_zones, html
):
    fill_cart(customer_client, catalog, (oud, 1))

    response = place(customer_client, html, email=customer.email, save_address="on")

    order = Order.objects.get()
    assert order.user == customer
    assert response.url == f"/ar/orders/{order.number}/pay/"
    assert customer_client.get(order.get_absolute_url()).status_code == 200
    address = Address.objects.get(user=customer)
    assert address.is_default
    assert (address.full_name, address.phone, address.postal_code) == (
        "نورة العتيبي", "+966512345678", "12211"
    )
    # the same address again is not saved twice
    fill_cart(customer_client, catalog, (oud, 1))
    place(customer_client, html, email=customer.email, save_address="on")
    assert Order.objects.count() == 2
    assert Address.objects.filter(user=customer).count() == 1


def test_signed_in_checkout_without_saving_keeps_the_address_book_empty(
    customer_client, customer, catalog, oud, shipping_zones, html
):
    fill_cart(customer_client, catalog, (oud, 1))

    place(customer_client, html, email=customer.email)

    assert Order.objects.get().user == customer
    assert not Address.objects.filter(user=customer).exists()


def test_checkout_is_prefilled_from_the_default_address(
    customer_client, customer, catalog, oud, html
):
    AddressFactory(user=customer, full_name="سارة القحطاني", postal_code="23456", is_default=True)
    fill_cart(customer_client, catalog, (oud, 1))

    response = customer_client.get("/ar/checkout/")

    assert html.input_value(response, "email") == customer.email
    assert html.input_value(response, "full_name") == "سارة القحطاني"
    assert html.input_value(response, "postal_code") == "23456"


def test_order_numbers_are_readable_unique_and_sequential(
    client, catalog, oud, shipping_zones, html
):
    for _ in range(3):
        fill_cart(client, catalog, (oud, 1))
        place(client, html)
    numbers = list(Order.objects.order_by("pk").values_list("number", flat=True))

    year = timezone.localdate().year
    assert all(re.fullmatch(rf"GE-{year}-\d{{6}}", number) for number in numbers), numbers
    sequence = [int(number.rsplit("-", 1)[1]) for number in numbers]
    assert sequence == [sequence[0], sequence[0] + 1, sequence[0] + 2]
