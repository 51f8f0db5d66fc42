"""Real concurrent checkouts on PostgreSQL (SQLite serialises writers, so it proves nothing)."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from apps.cart.tests.factories import cart_with
from apps.catalog.models import Product
from apps.catalog.tests.factories import ProductFactory
from apps.core.tests.concurrency import run_together
from apps.orders.models import Order
from apps.orders.services import CheckoutError, Contact, next_order_number, place_order
from apps.orders.tests.factories import delivery_address

pytestmark = [
    pytest.mark.postgres,
    # Decided before any database set-up, so on SQLite nothing is flushed.
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="needs PostgreSQL: DATABASE_URL=postgres://… pytest -m postgres"),
    # Committed data is flushed after each test; serialized_rollback restores what migrations
    # created (Wagtail's root page, locales…) so later transactional tests find it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_checkouts_of_the_last_unit_make_exactly_one_order():
    # given one unit left and two shoppers with it in their cart
    product = ProductFactory(sku="GE-LAST-001", price=Decimal("520.00"), stock=1)
    carts = [cart_with((product, 1)), cart_with((product, 1))]

    # when both place their order at the same moment
    results = run_together(2, lambda i: place_order(
        cart=carts[i],
        address=delivery_address(),
        contact=Contact(email=f"shopper{i}@example.com", language="ar"),
    ))

    # then one gets the order, the other is told there is not enough stock
    orders = [result for result in results if isinstance(result, Order)]
    refusals = [result for result in results if isinstance(result, CheckoutError)]
    assert (len(orders), len(refusals)) == (1, 1), results
    assert Order.objects.count() == 1
    assert Product.objects.get(pk=product.pk).stock == 0


def test_many_checkouts_never_oversell():
    product = ProductFactory(sku="GE-LAST-002", price=Decimal("85.00"), stock=3)
    other = ProductFactory(sku="GE-LAST-003", price=Decimal("42.50"), stock=50)
    # carts take the products in different orders: the service must not deadlock
    carts = [
        cart_with((product, 1), (other, 1)) if i % 2 else cart_with((other, 1), (product, 1))
        for i in range(6)
    ]

    results = run_together(6, lambda i: place_order(
        cart=carts[i],
        address=delivery_address(),
        contact=Contact(email=f"shopper{i}@example.com", language="en"),
    ))

    assert not [r for r in results if isinstance(r, Exception) and not isinstance(r, CheckoutError)]
    assert sum(isinstance(result, Order) for result in results) == 3
    assert Product.objects.get(pk=product.pk).stock == 0
    assert Product.objects.get(pk=other.pk).stock == 47


def test_concurrent_order_numbers_are_never_equal():
    def take_numbers(_index):
        numbers = []
        for _ in range(5):
            with transaction.atomic():
                numbers.append(next_order_number())
        return numbers

    results = run_together(6, take_numbers)

    assert not [r for r in results if isinstance(r, Exception)], results
    numbers = [number for batch in results for number in batch]
    assert len(numbers) == 30
    assert len(set(numbers)) == 30
    sequence = sorted(int(number.rsplit("-", 1)[1]) for number in numbers)
    assert sequence == list(range(sequence[0], sequence[0] + 30))


def test_a_checkout_form_sent_twice_at_once_places_one_order(client, shipping_zones, html):
    """The same shopper's checkout form posted twice at the same moment (a double click, a
    retried request), ten times over: one order each time, its stock reserved once."""
    from django.test import Client

    from apps.catalog.tests.factories import build_catalog
    from apps.orders.tests.factories import checkout_form_data

    catalog = build_catalog()
    product = catalog.products[0]
    Product.objects.filter(pk=product.pk).update(stock=100)
    for round_ in range(1, 11):
        client.post(catalog.add_url(product), {"quantity": "1"})
        form = html.hidden_fields(client.get("/ar/checkout/"))
        shoppers = [Client(), Client()]
        for shopper in shoppers:
            shopper.cookies = client.cookies  # the same browser session

        answers = run_together(2, lambda i, shoppers=shoppers, form=form: shoppers[i].post(
            "/ar/checkout/", {**form, **checkout_form_data()}))

        assert [answer.status_code for answer in answers] == [302, 302], answers
        assert Order.objects.count() == round_
        order = Order.objects.order_by("-pk").first()
        assert {answer["Location"].split("?")[0] for answer in answers} == {
            f"/ar/orders/{order.number}/pay/"}
        product.refresh_from_db()
        assert product.stock == 100 - round_
