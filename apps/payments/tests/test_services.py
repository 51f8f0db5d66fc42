"""Starting a payment, fulfilment from the return page and the webhook, automatic refunds."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.catalog.models import Product
from apps.orders.models import Order, OrderStatus
from apps.orders.services import release_expired_orders
from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.models import (
    Payment,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    Settlement,
)
from apps.payments.services import PaymentNotPossible
from apps.payments.services.fulfilment import apply_payment_intent, refresh_payment
from apps.payments.services.intents import start_payment
from apps.payments.services.reconciliation import cancel_open_payments
from apps.payments.services.refunds import request_refund

pytestmark = pytest.mark.django_db


SUCCEEDED_TASK = "e-mail:order_confirmed"  # the confirmation e-mail queued


def test_the_first_visit_creates_the_intent_for_the_order_total(order):
    payment = start_payment(order=order)

    intent = gateway.retrieve_payment_intent(payment_intent_id=payment.stripe_payment_intent_id)
    assert payment.amount == Decimal("125.00") == order.total
    assert payment.currency == "SAR"
    assert payment.status == PaymentStatus.PENDING
    assert payment.client_secret == intent["client_secret"]
    assert payment.sequence == 1
    assert payment.idempotency_key == f"order-{order.public_id}-pi-1"
    assert intent["amount"] == 12500
    assert intent["metadata"]["order_number"] == order.number


def test_refresh_and_retry_after_a_decline_reuse_the_intent(order, card_holder):
    first = start_payment(order=order)
    again = start_payment(order=order)
    card_holder.confirm(first.stripe_payment_intent_id, cards.DECLINED)
    after_decline = start_payment(order=order)

    assert first.pk == again.pk == after_decline.pk
    assert after_decline.status == PaymentStatus.FAILED
    assert Payment.objects.count() == 1


def test_a_canceled_intent_is_replaced(order, committed):
    first = start_payment(order=order)
    committed(gateway.cancel_payment_intent, payment_intent_id=first.stripe_payment_intent_id,
              idempotency_key="cancel-1")
    first.refresh_from_db()
    assert first.status == PaymentStatus.CANCELED  # from the payment_intent.canceled event

    second = start_payment(order=order)

    assert second.pk != first.pk
    assert second.sequence == 2
    assert second.idempotency_key.endswith("-pi-2")


def test_a_paid_or_cancelled_order_cannot_be_paid_again(order, card_holder):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    with pytest.raises(PaymentNotPossible):
        start_payment(order=order)


def test_paying_with_4242_marks_the_order_paid_with_card_details(order, card_holder,
                                                                 enqueued):
    payment = start_payment(order=order)

    card_holder.confirm(payment.stripe_payment_intent_id, cards.spaced(cards.SUCCEEDS))

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payment.status == PaymentStatus.SUCCEEDED
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")
    assert payment.stripe_charge_id.startswith("ch_")
    assert payment.settlement == Settlement.PAID_ORDER
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert enqueued.count(SUCCEEDED_TASK) == 1


def test_every_try_is_in_the_history(order, card_holder):
    payment = start_payment(order=order)
    intent_id = payment.stripe_payment_intent_id

    card_holder.confirm(intent_id, cards.DECLINED)
    card_holder.confirm(intent_id, cards.INSUFFICIENT_FUNDS)
    card_holder.confirm(intent_id, cards.THREE_D_SECURE)
    card_holder.complete_3ds(intent_id, "fail")
    card_holder.confirm(intent_id, cards.SUCCEEDS)

    attempts = list(PaymentAttempt.objects.filter(payment=payment).values_list(
        "status", "failure_code", "decline_code"))
    assert attempts == [
        ("failed", "card_declined", "generic_decline"),
        ("failed", "card_declined", "insufficient_funds"),
        ("failed", "payment_intent_authentication_failure", ""),
        ("succeeded", "", ""),
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_a_decline_keeps_the_order_payable_with_the_reason(order, card_holder):
    payment = start_payment(order=order)

    card_holder.confirm(payment.stripe_payment_intent_id, cards.INSUFFICIENT_FUNDS)

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert payment.status == PaymentStatus.FAILED
    assert (payment.failure_code, payment.decline_code) == ("card_declined",
                                                            "insufficient_funds")
    assert (payment.card_brand, payment.card_last4) == ("visa", "9995")


def test_three_d_secure_waits_then_succeeds(order, card_holder):
    payment = start_payment(order=order)

    card_holder.confirm(payment.stripe_payment_intent_id, cards.THREE_D_SECURE)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REQUIRES_ACTION

    card_holder.complete_3ds(payment.stripe_payment_intent_id, "approve")
    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID


def test_return_page_then_webhook_pay_the_order_once(order, enqueued,
                                                     django_capture_on_commit_callbacks,
                                                     card_holder_now):
    payment = start_payment(order=order)
    # The card is confirmed; hold back the webhook deliveries for now.
    with django_capture_on_commit_callbacks(execute=False) as deliveries:
        card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    # The shopper's return page retrieves the intent and fulfils first...
    with django_capture_on_commit_callbacks(execute=True):
        result = refresh_payment(payment=payment)
    # ...then the webhook events arrive.
    with django_capture_on_commit_callbacks(execute=True):
        for deliver in deliveries:
            deliver()

    assert result.order_paid_now is True
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert enqueued.count(SUCCEEDED_TASK) == 1


def test_fulfil_twice_is_harmless(order, card_holder, enqueued):
    payment = start_payment(order=order)
    intent = card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    again = apply_payment_intent(payment_intent=intent)

    assert again.order_paid_now is False
    assert enqueued.count(SUCCEEDED_TASK) == 1


def expire_and_release(order):
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(minutes=1))
    assert release_expired_orders() == [order.number]


def test_paid_after_expiry_with_stock_left_reinstates_the_order(order, product, card_holder):
    payment = start_payment(order=order)
    expire_and_release(order)
    product.refresh_from_db()
    assert product.stock == 50

    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.stock_released is False
    assert product.stock == 49
    assert not Refund.objects.exists()


def test_paid_after_expiry_when_sold_out_is_refunded_automatically(order, product,
                                                                    card_holder):
    payment = start_payment(order=order)
    expire_and_release(order)
    Product.objects.filter(pk=product.pk).update(stock=0)  # sold to someone else meanwhile

    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    order.refresh_from_db()
    payment.refresh_from_db()
    refund = Refund.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert payment.settlement == Settlement.REFUND_OUT_OF_STOCK
    assert refund.reason == RefundReason.OUT_OF_STOCK
    assert refund.amount == payment.amount
    assert refund.stripe_refund_id.startswith("re_")
    assert refund.status == RefundStatus.SUCCEEDED  # refund.updated arrived
    assert payment.status == PaymentStatus.REFUNDED  # charge.refunded arrived
    assert payment.amount_refunded == payment.amount
    product.refresh_from_db()
    assert product.stock == 0  # never oversold


def test_a_late_failure_after_success_changes_nothing(order, card_holder):
    payment = start_payment(order=order)
    declined = card_holder.confirm(payment.stripe_payment_intent_id, cards.DECLINED)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    apply_payment_intent(payment_intent=declined, observed_at=0)

    payment.refresh_from_db()
    order.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    assert order.status == OrderStatus.PAID


def test_staff_refund_partial_then_rest(order, card_holder, committed):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    committed(request_refund, payment_id=payment.pk, amount=Decimal("25.00"),
              stripe_reason="requested_by_customer", requested_by=None,
              idempotency_key="form-1")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PARTIALLY_REFUNDED
    assert payment.amount_refunded == Decimal("25.00")
    order.refresh_from_db()
    assert order.status == OrderStatus.PARTIALLY_REFUNDED

    committed(request_refund, payment_id=payment.pk, amount=None,
              stripe_reason="requested_by_customer", requested_by=None,
              idempotency_key="form-2")
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.REFUNDED
    assert list(payment.refunds.values_list("amount", "status")) == [
        (Decimal("25.00"), "succeeded"), (Decimal("100.00"), "succeeded")]
    with pytest.raises(PaymentNotPossible):
        request_refund(payment_id=payment.pk, amount=None, stripe_reason="duplicate",
                       requested_by=None, idempotency_key="form-3")
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert list(order.status_changes.values_list("to_status", flat=True)) == [
        "pending_payment", "paid", "partially_refunded", "refunded"]


def test_expired_orders_cancel_their_open_intent(order, committed):
    payment = start_payment(order=order)
    expire_and_release(order)

    committed(cancel_open_payments, order=order)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED


def test_cancelling_an_intent_that_succeeded_meanwhile_fulfils_it(
    order, django_capture_on_commit_callbacks, card_holder_now
):
    payment = start_payment(order=order)
    expire_and_release(order)
    # paid in the last second; its webhooks are still on the way (never delivered here)
    with django_capture_on_commit_callbacks(execute=False):
        card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    cancel_open_payments(order=order)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # reinstated: stock was still there
