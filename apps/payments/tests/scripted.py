"""A scripted month of payments whose every figure is known: the dashboard and `/metrics`
tests check what they show against it.

Each payment goes through the offline Stripe sandbox (card confirmations, webhook events,
a staff refund); only the clock is then set, so the times are exact.

Last 7 days
  A  declined (generic_decline), then paid; page to paid 4 s
  B  insufficient_funds, never paid
  C  paid; 8 s; a dispute still open
  D  paid; 30 s; SAR 25.00 refunded
10 days ago
  E  lost_card, then paid; 60 s
40 days ago (in no window)
  F  stolen_card
Webhook lags applied in the last 7 days 1, 2, 3, 4, 10 s; 12 days ago one of 20 s; one
event failing now; every other event applied 40 days ago.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from apps.orders.models import Order
from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment, PaymentAttempt, StripeEvent
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import place_test_order


@dataclass
class ScriptedPayments:
    payments: dict[str, Payment]


def _pay(product, card_holder, *numbers) -> Payment:
    payment = start_payment(order=place_test_order(product=product))
    for number in numbers:
        card_holder.confirm(payment.stripe_payment_intent_id, number)
    payment.refresh_from_db()
    return payment


def _move(payment: Payment, *, days_ago: int, seconds_to_pay: int | None) -> None:
    now = timezone.now()
    paid_at = now - timedelta(days=days_ago)
    PaymentAttempt.objects.filter(payment=payment).update(created_at=paid_at)
    if seconds_to_pay is None:
        Payment.objects.filter(pk=payment.pk).update(created_at=paid_at)
    else:
        Payment.objects.filter(pk=payment.pk).update(
            created_at=paid_at - timedelta(seconds=seconds_to_pay), succeeded_at=paid_at)


def script_payments(product, card_holder, committed, refunds_user) -> ScriptedPayments:
    payments = {
        "A": _pay(product, card_holder, cards.DECLINED, cards.SUCCEEDS),
        "B": _pay(product, card_holder, cards.INSUFFICIENT_FUNDS),
        "C": _pay(product, card_holder, cards.SUCCEEDS),
        "D": _pay(product, card_holder, cards.SUCCEEDS),
        "E": _pay(product, card_holder, cards.LOST_CARD, cards.SUCCEEDS),
        "F": _pay(product, card_holder, cards.STOLEN_CARD),
    }
    committed(request_refund, payment_id=payments["D"].pk, amount=Decimal("25.00"),
              stripe_reason="requested_by_customer", note="Scripted", requested_by=refunds_user,
              idempotency_key="scripted-refund")
    for name, seconds in (("A", 4), ("C", 8), ("D", 30)):
        _move(payments[name], days_ago=0, seconds_to_pay=seconds)
    _move(payments["B"], days_ago=0, seconds_to_pay=None)
    _move(payments["E"], days_ago=10, seconds_to_pay=60)
    _move(payments["F"], days_ago=40, seconds_to_pay=None)
    Order.objects.filter(pk=payments["C"].order_id).update(dispute_status="needs_response")

    now = timezone.now()
    events = list(StripeEvent.objects.order_by("pk"))
    assert len(events) >= 7, "the sandbox sends an event per outcome"
    StripeEvent.objects.update(processed_at=now - timedelta(days=40))
    lags = [(1, 1), (1, 2), (1, 3), (1, 4), (1, 10), (12, 20)]  # (days ago, seconds)
    for event, (days_ago, lag) in zip(events, lags, strict=False):
        created = int((now - timedelta(days=days_ago)).timestamp())
        StripeEvent.objects.filter(pk=event.pk).update(
            stripe_created=created,
            processed_at=datetime.fromtimestamp(created + lag, UTC))
    StripeEvent.objects.filter(pk=events[len(lags)].pk).update(
        processed_at=None, error="OperationalError: the database went away", received_at=now)
    return ScriptedPayments(payments)
