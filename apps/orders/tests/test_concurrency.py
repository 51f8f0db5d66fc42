"""Real concurrent checkouts on PostgreSQL (SQLite serialises writers, so it proves nothing)."""

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from apps.cart.tests.factories import cart_with
from apps.catalog.models import Product
from apps.catalog.tests.factories import ProductFactory
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


def run_together(count: int, work) -> list:
    """Run `work(index)` in `count` threads released at the same instant; each thread has its
    own database connection, closed when it ends. Returns results or raised exceptions."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def thread_main(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as error:  # returned to the test, which reports it
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=thread_main, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads), "a checkout hung (deadlock?)"
    return results


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
