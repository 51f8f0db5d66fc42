"""Who can see an order: its customer, or whoever holds its signed guest link. Nobody else."""

from apps.orders.tests.factories import order_for


def test_customer_sees_their_own_order(client, customer, oud, html):
    order = order_for((oud, 1), user=customer)
    client.force_login(customer)

    response = client.get(f"/ar/account/orders/{order.number}/")

    assert response.status_code == 200
    assert html.texts(response, "order-number") == [order.number]


def test_customer_lists_only_their_own_orders(client, customer, other_customer, oud, html):
    mine = order_for((oud, 1), user=customer)
    order_for((oud, 1), user=other_customer)
    order_for((oud, 1))  # a guest's
    client.force_login(customer)

    response = client.get("/ar/account/orders/")

    assert response.status_code == 200
    assert html.texts(response, "order-number") == [mine.number]


def test_another_customers_order_is_not_found(client, customer, other_customer, oud):
    theirs = order_for((oud, 1), user=other_customer)
    client.force_login(customer)

    response = client.get(f"/ar/account/orders/{theirs.number}/")

    assert response.status_code == 404


def test_a_guest_order_is_not_found_in_an_account(client, customer, oud):
    guest_order = order_for((oud, 1))
    client.force_login(customer)

    response = client.get(f"/ar/account/orders/{guest_order.number}/")

    assert response.status_code == 404


def test_guest_link_shows_the_order_without_signing_in(client, oud, html):
    order = order_for((oud, 1))

    response = client.get(order.get_guest_url())

    assert response.status_code == 200
    assert html.texts(response, "order-number") == [order.number]


def test_tampered_guest_link_is_not_found(client, oud):
    order = order_for((oud, 1))
    other = order_for((oud, 1))
    public_id, signature = order.guest_token.rsplit(":", 1)
    forged_signature = signature[:-1] + ("A" if signature[-1] != "A" else "B")

    for token in (
        f"{public_id}:{forged_signature}",  # signature altered
        f"{other.public_id}:{signature}",  # another order's id with this order's signature
        str(order.public_id),  # no signature at all
    ):
        response = client.get(f"/ar/orders/track/{token}/")
        assert response.status_code == 404, token


def test_anonymous_shopper_is_sent_to_sign_in(client, customer, oud):
    order = order_for((oud, 1), user=customer)

    for url in ("/ar/account/orders/", f"/ar/account/orders/{order.number}/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url == f"/ar/accounts/login/?next={url}"
