"""What happens to an order, done the way the shop does it: the sandbox card form, a staff
refund, Stripe's signed webhooks."""

import time
from decimal import Decimal

from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import event_payload, intent_payload, stripe_id


def pay(order, card_holder) -> Payment:
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    payment.refresh_from_db()
    return payment


def decline(order, card_holder) -> Payment:
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.DECLINED)
    payment.refresh_from_db()
    return payment


def refund(order, card_holder, committed, amount: Decimal | None = Decimal("25.00")) -> Payment:
    payment = pay(order, card_holder)
    committed(request_refund, payment_id=payment.pk, amount=amount,
              stripe_reason="requested_by_customer", requested_by=None,
              idempotency_key=f"form-{stripe_id('k')}")
    payment.refresh_from_db()
    return payment


def dispute_event(payment: Payment, *, status: str = "needs_response",
                  reason: str = "fraudulent") -> dict:
    """charge.dispute.created as Stripe sends it (fields from Stripe's Dispute object)."""
    now = int(time.time())
    return event_payload("charge.dispute.created", {
        "id": stripe_id("du"),
        "object": "dispute",
        "amount": 12500,
        "balance_transactions": [],
        "charge": payment.stripe_charge_id,
        "created": now,
        "currency": "sar",
        "evidence_details": {"due_by": now + 7 * 24 * 3600, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": reason,
        "status": status,
    })


def dispute(order, card_holder, committed, post_event, **event) -> Payment:
    payment = pay(order, card_holder)
    response = committed(post_event, dispute_event(payment, **event))
    assert response.status_code == 200
    return payment


def held(order, committed, post_event) -> Payment:
    """Stripe reports the order's payment succeeded with 1.00 instead of the total: held."""
    payment = start_payment(order=order)
    intent = intent_payload(payment, status="succeeded", latest_charge=stripe_id("ch"))
    response = committed(post_event, event_payload(
        "payment_intent.succeeded", {**intent, "amount": 100, "amount_received": 100}))
    assert response.status_code == 200
    return payment


def remind(order, committed) -> None:
    """The order is still unpaid a few minutes before its reservation ends."""
    from datetime import timedelta

    from apps.payments.services.reconciliation import send_payment_reminders

    assert committed(send_payment_reminders,
                     now=order.reserved_until - timedelta(minutes=5)) == [order.number]


def ship(order, card_holder, committed) -> None:
    """Paid, then handed to a carrier with a tracking link."""
    from django.db import transaction

    from apps.emails.notifications import order_shipped
    from apps.orders.services import mark_shipped

    pay(order, card_holder)

    def shipped():
        with transaction.atomic():
            shipment = mark_shipped(order_id=order.pk, carrier="SMSA",
                                    tracking_number="290012345678",
                                    tracking_url="https://track.smsaexpress.com/290012345678")
            order_shipped(order, shipment)

    committed(shipped)
