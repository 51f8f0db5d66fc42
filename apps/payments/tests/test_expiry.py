"""Unpaid orders past their reservation: stock back, and their open PaymentIntent canceled
in (card_holder) Stripe after the order's cancellation commits."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.orders.models import Order, OrderStatus
from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.models import PaymentStatus, Refund
from apps.payments.services.intents import start_payment
from apps.payments.services.reconciliation import expire_unpaid_orders
from apps.payments.tasks import expire_unpaid_orders_task

pytestmark = pytest.mark.django_db


def expire(order):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))


def stripe_status(payment) -> str:
    """The intent's status as Stripe has it."""
    return gateway.retrieve_payment_intent(
        payment_intent_id=payment.stripe_payment_intent_id
    )["status"]


def test_an_expired_order_releases_stock_and_cancels_its_payment_intent(order, product,
                                                                       committed):
    payment = start_payment(order=order)
    expire(order)

    report = committed(expire_unpaid_orders)

    order.refresh_from_db()
    product.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert product.stock == 50
    assert stripe_status(payment) == "canceled"
    assert payment.status == PaymentStatus.CANCELED
    assert report.orders_cancelled == [order.number]
    assert report.payments_canceled == [payment.stripe_payment_intent_id]
    assert report.errors == []


def test_a_declined_intent_is_canceled_too(order, committed, card_holder):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.DECLINED)
    expire(order)

    committed(expire_unpaid_orders)

    assert stripe_status(payment) == "canceled"


def test_stripe_is_called_only_after_the_cancellation_commits(
    order, product, django_capture_on_commit_callbacks
):
    payment = start_payment(order=order)
    expire(order)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        report = expire_unpaid_orders()
        # Cancelled and stock back, but Stripe not asked yet: the transaction is open.
        assert stripe_status(payment) == "requires_payment_method"
        assert report.payments_canceled == []

    for callback in callbacks:
        callback()
    assert stripe_status(payment) == "canceled"
    assert report.payments_canceled == [payment.stripe_payment_intent_id]


def test_an_intent_that_succeeded_meanwhile_is_fulfilled(order, product, committed,
                                                       django_capture_on_commit_callbacks,
                                                       card_holder_now):
    payment = start_payment(order=order)
    # The shopper paid just before the expiry, and Stripe's webhook has not arrived yet.
    with django_capture_on_commit_callbacks(execute=False):
        card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    expire(order)

    report = committed(expire_unpaid_orders)

    order.refresh_from_db()
    product.refresh_from_db()
    payment.refresh_from_db()
    assert stripe_status(payment) == "succeeded"
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID  # reinstated: its stock was still there
    assert product.stock == 49
    assert not Refund.objects.exists()
    assert report.payments_canceled == []


def test_stripe_down_leaves_the_intent_for_reconcile(order, product, committed, caplog,
                                                     stripe_faults):
    payment = start_payment(order=order)
    expire(order)
    stripe_faults(kind="connection_error", times=10)

    report = committed(expire_unpaid_orders)

    order.refresh_from_db()
    product.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert product.stock == 50
    assert payment.status == PaymentStatus.PENDING
    assert [error.split(":")[0] for error in report.errors] == [order.number]
    assert "left for reconcile_payments" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_command_cancels_the_intent(order, product, capsys):
    # Real commits, as under cron or `make run`.
    payment = start_payment(order=order)
    expire(order)

    call_command("release_expired_orders")

    out = capsys.readouterr().out
    assert f"Released 1 expired order(s). {order.number}" in out
    assert f"Canceled 1 PaymentIntent(s). {payment.stripe_payment_intent_id}" in out
    assert stripe_status(payment) == "canceled"


def test_the_task_cancels_the_intent(order, product, committed):
    payment = start_payment(order=order)
    expire(order)

    result = committed(expire_unpaid_orders_task.enqueue)

    assert result.return_value == [order.number]
    product.refresh_from_db()
    assert product.stock == 50
    assert stripe_status(payment) == "canceled"
