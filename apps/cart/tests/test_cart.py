"""The cart as a shopper uses it without JavaScript: forms posted to product and cart pages."""

import re

import pytest

from apps.cart.models import Cart, CartLine
from apps.cart.tests.factories import cart_with


def lines_of_session_cart(client) -> dict[str, int]:
    cart = Cart.objects.get(pk=client.session["cart_id"])
    return {line.product.sku: line.quantity for line in cart.lines.select_related("product")}


def test_adding_from_the_product_page_puts_it_in_the_cart(client, catalog, oud):
    # when a shopper posts the product page's form
    response = client.post(catalog.add_url(oud), {"quantity": "2"})

    # then they land on their cart, which holds the product under its Arabic name
    assert response.status_code == 302
    assert response.url == "/ar/cart/"
    assert lines_of_session_cart(client) == {oud.sku: 2}
    page = client.get("/ar/cart/")
    assert "دهن عود كمبودي" in page.content.decode()


def test_adding_the_same_product_again_adds_up(client, catalog, oud):
    client.post(catalog.add_url(oud), {"quantity": "1"})

    client.post(catalog.add_url(oud), {"quantity": "2"})

    assert lines_of_session_cart(client) == {oud.sku: 3}


def test_quantity_typed_with_arabic_indic_digits_is_understood(client, catalog, oud):
    response = client.post(catalog.add_url(oud), {"quantity": "٢"})

    assert response.status_code == 302
    assert lines_of_session_cart(client) == {oud.sku: 2}


def test_quantity_above_stock_is_refused_in_arabic(client, catalog, oud, html):
    # given 5 units in stock / when an Arabic shopper asks for 6
    response = client.post(catalog.add_url(oud), {"quantity": "6"})

    # then the product page comes back with the reason, in Arabic, and nothing is added
    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 1
    assert "5" in errors[0]
    assert html.is_arabic(errors[0]), errors[0]
    assert not CartLine.objects.exists()


def test_quantity_above_stock_is_refused_in_english(client, catalog, oud, html):
    response = client.post(catalog.add_url(oud, "en"), {"quantity": "6"})

    assert response.status_code == 400
    assert html.alerts(response) == ["Only 5 left in stock."]
    assert not CartLine.objects.exists()


def test_what_is_already_in_the_cart_counts_against_stock(client, catalog, oud, html):
    client.post(catalog.add_url(oud, "en"), {"quantity": "4"})

    response = client.post(catalog.add_url(oud, "en"), {"quantity": "2"})

    assert response.status_code == 400
    assert html.alerts(response) == ["Only 5 left in stock."]
    assert lines_of_session_cart(client) == {oud.sku: 4}


@pytest.mark.parametrize("quantity", ["0", "-1", "abc", ""])
def test_nonsense_quantities_are_refused_in_arabic(client, catalog, oud, html, quantity):
    response = client.post(catalog.add_url(oud), {"quantity": quantity})

    assert response.status_code == 400
    errors = html.alerts(response)
    assert errors and all(html.is_arabic(error) for error in errors), errors
    assert not CartLine.objects.exists()


def test_sold_out_product_cannot_be_added(client, catalog, burner, html):
    # the page offers no add-to-cart button
    page = client.get(catalog.url(burner, "en"))
    assert "Out of stock" in page.content.decode()
    assert "Add to cart" not in page.content.decode()

    # and a hand-made POST is refused
    response = client.post(catalog.add_url(burner, "en"), {"quantity": "1"})
    assert response.status_code == 400
    assert html.alerts(response) == ["This product is out of stock."]
    assert not CartLine.objects.exists()


def test_sold_out_product_is_refused_in_arabic(client, catalog, burner, html):
    response = client.post(catalog.add_url(burner), {"quantity": "1"})

    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 1 and html.is_arabic(errors[0]), errors


def test_product_taken_off_sale_cannot_be_added(client, catalog, oud, html):
    oud.is_active = False
    oud.save()

    response = client.post(catalog.add_url(oud, "en"), {"quantity": "1"})

    assert response.status_code == 400
    assert html.alerts(response) == ["This product is no longer for sale."]


def test_header_badge_counts_items(client, catalog, oud, bakhoor):
    client.post(catalog.add_url(oud), {"quantity": "2"})
    client.post(catalog.add_url(bakhoor), {"quantity": "1"})

    page = client.get("/ar/cart/").content.decode()

    assert re.search(r'class="badge"><bdi>3</bdi>', page)


def test_viewing_the_cart_creates_nothing(client, catalog):
    response = client.get("/ar/cart/")

    assert response.status_code == 200
    assert not Cart.objects.exists()


def test_changing_a_line_quantity(client, catalog, oud):
    client.post(catalog.add_url(oud), {"quantity": "1"})
    line = CartLine.objects.get()

    response = client.post("/ar/cart/update/", {"line": line.pk, "quantity": "3"})

    assert response.status_code == 302
    assert lines_of_session_cart(client) == {oud.sku: 3}


def test_changing_a_line_above_stock_is_refused(client, catalog, oud, html):
    client.post(catalog.add_url(oud, "en"), {"quantity": "1"})
    line = CartLine.objects.get()

    response = client.post("/en/cart/update/", {"line": line.pk, "quantity": "9"})

    assert response.status_code == 400
    assert html.alerts(response) == ["Only 5 left in stock."]
    assert lines_of_session_cart(client) == {oud.sku: 1}


def test_changing_a_line_above_stock_is_refused_in_arabic(client, catalog, oud, html):
    client.post(catalog.add_url(oud), {"quantity": "1"})
    line = CartLine.objects.get()

    response = client.post("/ar/cart/update/", {"line": line.pk, "quantity": "9"})

    assert response.status_code == 400
    errors = html.alerts(response)
    assert len(errors) == 1 and html.is_arabic(errors[0]) and "5" in errors[0], errors


def test_quantity_zero_removes_the_line(client, catalog, oud, bakhoor):
    client.post(catalog.add_url(oud), {"quantity": "1"})
    client.post(catalog.add_url(bakhoor), {"quantity": "1"})
    line = CartLine.objects.get(product=oud)

    client.post("/ar/cart/update/", {"line": line.pk, "quantity": "0"})

    assert lines_of_session_cart(client) == {bakhoor.sku: 1}


def test_removing_a_line(client, catalog, oud, bakhoor, html):
    client.post(catalog.add_url(oud), {"quantity": "1"})
    client.post(catalog.add_url(bakhoor), {"quantity": "1"})
    line = CartLine.objects.get(product=bakhoor)

    response = client.post("/ar/cart/remove/", {"line": line.pk})

    assert response.status_code == 302
    assert lines_of_session_cart(client) == {oud.sku: 1}
    assert html.texts(client.get("/ar/cart/"), "product-title") == ["دهن عود كمبودي"]


def test_another_shoppers_lines_cannot_be_touched(client, catalog, oud, bakhoor, html):
    # given someone else's cart line and my own cart
    theirs = cart_with((oud, 2)).lines.get()
    client.post(catalog.add_url(bakhoor, "en"), {"quantity": "1"})

    # when I post their line id to my cart forms
    update = client.post("/en/cart/update/", {"line": theirs.pk, "quantity": "1"})
    client.post("/en/cart/remove/", {"line": theirs.pk})

    # then their line is untouched
    assert update.status_code == 400
    assert html.alerts(update) == ["That item is no longer in your cart."]
    theirs.refresh_from_db()
    assert theirs.quantity == 2


def test_cart_shows_prices_and_totals_in_the_page_language(client, catalog, oud, shipping_zones):
    client.post(catalog.add_url(oud), {"quantity": "2"})

    arabic = client.get("/ar/cart/").content.decode()
    english = client.get("/en/cart/").content.decode()

    assert "798.00\xa0ر.س." in arabic
    assert "SAR\xa0798.00" in english
    assert "Cambodian oud oil" in english
