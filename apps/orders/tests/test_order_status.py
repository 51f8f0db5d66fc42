"""The order state machine, stock release and the expired-reservation sweep."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.orders.models import Order, OrderStatus, OrderStatusChange
from apps.orders.services import IllegalTransition, release_expired_orders, transition_order
from apps.orders.tests.factories import order_for

PENDING, PAID = OrderStatus.PENDING_PAYMENT, OrderStatus.PAID
FULFILLED, CANCELLED = OrderStatus.FULFILLED, OrderStatus.CANCELLED


def move(order, *statuses):
    for status in statuses:
        order, _changed = transition_order(order_id=order.pk, to_status=status)
    return order


def test_an_order_is_paid_then_shipped(oud):
    order = order_for((oud, 1))

    order = move(order, PAID, FULFILLED)

    assert order.status == FULFILLED
    history = list(OrderStatusChange.objects.filter(order=order).values_list(
        "from_status", "to_status"
    ))
    assert history == [("", PENDING), (PENDING, PAID), (PAID, FULFILLED)]


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((CANCELLED,), PAID),
        ((CANCELLED,), PENDING),
        ((PAID,), PENDING),
        ((PAID, FULFILLED), PENDING),
        ((PAID, FULFILLED), CANCELLED),
        ((PAID, FULFILLED), PAID),
        ((), FULFILLED),  # shipping before payment
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(oud, path, refused):
    order = move(order_for((oud, 1)), *path)
    status_before = order.status
    changes_before = order.status_changes.count()

    with pytest.raises(IllegalTransition):
        transition_order(order_id=order.pk, to_status=refused)

    order.refresh_from_db()
    assert order.status == status_before
    assert order.status_changes.count() == changes_before


def test_moving_to_the_current_status_is_a_harmless_no_op(oud):
    order = move(order_for((oud, 1)), PAID)

    order, changed = transition_order(order_id=order.pk, to_status=PAID)

    assert changed is False
    assert order.status == PAID
    assert order.status_changes.filter(to_status=PAID).count() == 1


def test_cancelling_returns_the_stock_exactly_once(oud):
    # given 5 in stock and an order for 2
    order = order_for((oud, 2))
    oud.refresh_from_db()
    assert oud.stock == 3

    # when it is cancelled, and the cancellation arrives again
    order, changed = transition_order(order_id=order.pk, to_status=CANCELLED)
    again, changed_again = transition_order(order_id=order.pk, to_status=CANCELLED)

    # then the two units are back, once
    assert (changed, changed_again) == (True, False)
    oud.refresh_from_db()
    assert oud.stock == 5
    assert again.stock_released is True


def test_paying_keeps_the_stock_reserved(oud):
    order = order_for((oud, 2))

    move(order, PAID, FULFILLED)

    oud.refresh_from_db()
    assert oud.stock == 3


def expire(order, minutes_ago=1):
    Order.objects.filter(pk=order.pk).update(
        reserved_until=timezone.now() - timedelta(minutes=minutes_ago)
    )


def test_release_expired_orders_cancels_only_expired_unpaid_orders(oud, bakhoor):
    # given an expired unpaid order, an unpaid one still reserved, and an expired but paid one
    expired = order_for((oud, 2))
    expire(expired)
    still_reserved = order_for((oud, 1))
    paid = order_for((bakhoor, 1))
    move(paid, PAID)
    expire(paid)

    cancelled = release_expired_orders()

    assert cancelled == [expired.number]
    statuses = dict(Order.objects.values_list("number", "status"))
    assert statuses == {
        expired.number: CANCELLED, still_reserved.number: PENDING, paid.number: PAID
    }
    oud.refresh_from_db()
    bakhoor.refresh_from_db()
    assert oud.stock == 4  # 5 - 2 - 1 + 2
    assert bakhoor.stock == 0


def test_release_expired_orders_twice_releases_once(oud):
    order = order_for((oud, 2))
    expire(order)

    assert release_expired_orders() == [order.number]
    assert release_expired_orders() == []

    oud.refresh_from_db()
    assert oud.stock == 5


def test_reservation_lasts_the_configured_time(oud, settings):
    settings.ORDER_RESERVATION_MINUTES = 30
    order = order_for((oud, 1))

    assert release_expired_orders(now=timezone.now() + timedelta(minutes=29)) == []
    assert release_expired_orders(now=timezone.now() + timedelta(minutes=31)) == [order.number]


def test_release_expired_orders_command(oud, capsys):
    order = order_for((oud, 3))
    expire(order)

    call_command("release_expired_orders")

    assert f"Released 1 expired order(s). {order.number}" in capsys.readouterr().out
    oud.refresh_from_db()
    assert oud.stock == 5
    order.refresh_from_db()
    assert order.status == CANCELLED
