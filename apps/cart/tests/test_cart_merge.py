"""An anonymous shopper's cart follows them into their account when they sign in."""

from apps.cart.models import Cart
from apps.cart.tests.factories import CartFactory, CartLineFactory


def account_cart(user) -> dict[str, int]:
    cart = Cart.objects.get(user=user)
    return {line.product.sku: line.quantity for line in cart.lines.select_related("product")}


def sign_in(client, email, password, language="ar"):
    return client.post(f"/{language}/accounts/login/", {"login": email, "password": password})


def test_anonymous_cart_moves_into_the_account_at_login(client, catalog, oud, customer, password):
    # given an anonymous shopper with an item in their cart
    client.post(catalog.add_url(oud), {"quantity": "2"})
    anonymous_cart_id = client.session["cart_id"]

    # when they sign in with allauth's form
    response = sign_in(client, customer.email, password)

    # then they are signed in and their account's cart holds the item
    assert response.status_code == 302
    assert account_cart(customer) == {oud.sku: 2}
    assert not Cart.objects.filter(pk=anonymous_cart_id).exists()
    assert "cart_id" not in client.session
    page = client.get("/ar/cart/")
    assert "دهن عود كمبودي" in page.content.decode()


def test_quantities_in_both_carts_add_up_within_stock(
    client, catalog, oud, bakhoor, customer, password
):
    # given the account already holds 4 of the oud (5 in stock) and the last bakhoor
    account = CartFactory(user=customer)
    CartLineFactory(cart=account, product=oud, quantity=4)
    CartLineFactory(cart=account, product=bakhoor, quantity=1)
    # and, signed out, the shopper adds 2 more oud and the bakhoor again
    client.post(catalog.add_url(oud), {"quantity": "2"})
    client.post(catalog.add_url(bakhoor), {"quantity": "1"})

    sign_in(client, customer.email, password)

    # then the merged quantities never exceed the stock
    assert account_cart(customer) == {oud.sku: 5, bakhoor.sku: 1}


def test_signing_in_without_an_anonymous_cart_keeps_the_account_cart(
    client, catalog, oud, customer, password
):
    account = CartFactory(user=customer)
    CartLineFactory(cart=account, product=oud, quantity=3)

    response = sign_in(client, customer.email, password)

    assert response.status_code == 302
    assert account_cart(customer) == {oud.sku: 3}


def test_wrong_password_merges_nothing(client, catalog, oud, customer):
    client.post(catalog.add_url(oud), {"quantity": "1"})

    response = sign_in(client, customer.email, "not-my-password")

    assert response.status_code == 200
    assert not Cart.objects.filter(user=customer).exists()
    assert Cart.objects.get(pk=client.session["cart_id"]).lines.count() == 1


def test_signed_in_shopper_adds_to_the_account_cart(client, catalog, oud, customer, password):
    sign_in(client, customer.email, password)

    client.post(catalog.add_url(oud), {"quantity": "1"})

    assert account_cart(customer) == {oud.sku: 1}
