"""Stripe does not promise delivery order, and it redelivers. Every permutation of a
payment's events, duplicates included, must end in the same state."""

import itertools
import json
from decimal import Decimal

import pytest
from django.conf import settings

from apps.catalog.tests.factories import ProductFactory
from apps.orders.models import OrderStatus
from apps.payments.models import PaymentStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import (
    card_error,
    charge_payload,
    event_payload,
    intent_payload,
    place_test_order,
    stripe_id,
    tick,
)
from apps.payments.tests.fixtures import stripe_signature
from apps.payments.webhooks import process_webhook

pytestmark = pytest.mark.django_db

SUCCEEDED_TASK = "e-mail:order_confirmed"  # the confirmation e-mail queued


def deliver(event):
    payload = json.dumps(event)
    result = process_webhook(
        payload=payload.encode(),
        signature_header=stripe_signature(payload, settings.STRIPE_WEBHOOK_SECRET),
    )
    assert result.status_code == 200, result


def paid_then_partly_refunded(payment):
    """A decline, a 3-D Secure challenge, success, a partial refund; success delivered
    twice."""
    declined_charge, paid_charge = stripe_id("ch"), stripe_id("ch")
    failed = event_payload("payment_intent.payment_failed", intent_payload(
        payment, status="requires_payment_method", latest_charge=declined_charge,
        last_payment_error=card_error(charge=declined_charge)))
    action = event_payload("payment_intent.requires_action",
                           intent_payload(payment, status="requires_action"))
    succeeded = event_payload("payment_intent.succeeded", intent_payload(
        payment, status="succeeded", latest_charge=paid_charge))
    refunded = event_payload("charge.refunded", charge_payload(
        payment, charge_id=paid_charge, amount_refunded=2500))
    return [failed, action, succeeded, refunded, succeeded]


def paid_then_fully_refunded(payment):
    paid_charge = stripe_id("ch")
    failed = event_payload("payment_intent.payment_failed", intent_payload(
        payment, status="requires_payment_method",
        last_payment_error=card_error(charge=stripe_id("ch"), decline_code="insufficient_funds")))
    succeeded = event_payload("payment_intent.succeeded", intent_payload(
        payment, status="succeeded", latest_charge=paid_charge))
    charge_ok = event_payload("charge.succeeded", charge_payload(payment, charge_id=paid_charge))
    refunded = event_payload("charge.refunded", charge_payload(
        payment, charge_id=paid_charge, amount_refunded=12500))
    return [failed, succeeded, charge_ok, refunded, refunded]


def declined_twice_then_canceled(payment):
    first, second = stripe_id("ch"), stripe_id("ch")
    failed_1 = event_payload("payment_intent.payment_failed", intent_payload(
        payment, status="requires_payment_method", latest_charge=first,
        last_payment_error=card_error(charge=first)))
    action = event_payload("payment_intent.requires_action",
                           intent_payload(payment, status="requires_action"))
    failed_2 = event_payload("payment_intent.payment_failed", intent_payload(
        payment, status="requires_payment_method", latest_charge=second,
        last_payment_error=card_error(charge=second, decline_code="insufficient_funds")))
    canceled = event_payload("payment_intent.canceled", {
        **intent_payload(payment, status="canceled"), "cancellation_reason": "abandoned"})
    return [failed_1, action, failed_2, canceled, failed_1]


def final_state(order, payment):
    order.refresh_from_db()
    payment.refresh_from_db()
    return {
        "order": order.status,
        "paid_transitions": order.status_changes.filter(to_status=OrderStatus.PAID).count(),
        "payment": payment.status,
        "refunded": payment.amount_refunded,
        "settlement": payment.settlement,
        "card": payment.card_last4,
        "last_failure": (payment.failure_code, payment.decline_code),
        "attempts": sorted(payment.attempts.values_list("status", "stripe_charge_id")),
    }


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        (paid_then_partly_refunded, {
            "order": OrderStatus.PARTIALLY_REFUNDED, "paid_transitions": 1,
            "payment": PaymentStatus.PARTIALLY_REFUNDED, "refunded": Decimal("25.00"),
            "settlement": "paid_order", "card": "4242", "queued": 1,
            "last_failure": ("card_declined", "generic_decline"),
        }),
        (paid_then_fully_refunded, {
            "order": OrderStatus.REFUNDED, "paid_transitions": 1,
            "payment": PaymentStatus.REFUNDED, "refunded": Decimal("125.00"),
            "settlement": "paid_order", "card": "4242", "queued": 1,
            "last_failure": ("card_declined", "insufficient_funds"),
        }),
        (declined_twice_then_canceled, {
            "order": OrderStatus.PENDING_PAYMENT, "paid_transitions": 0,
            "payment": PaymentStatus.CANCELED, "refunded": Decimal("0"),
            "settlement": "", "card": "0002", "queued": 0,
            "last_failure": ("card_declined", "insufficient_funds"),
        }),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_every_delivery_order_ends_in_the_same_state(scenario, expected, enqueued,
                                                     django_capture_on_commit_callbacks):
    product = ProductFactory(price=Decimal("100.00"), stock=200)
    outcomes = {}
    runs = 0
    for order_of_delivery in itertools.permutations(range(5)):
        order = place_test_order(product=product)
        payment = start_payment(order=order)
        events = scenario(payment)
        queued_before = enqueued.count(SUCCEEDED_TASK)

        with django_capture_on_commit_callbacks(execute=True):
            for index in order_of_delivery:
                deliver(events[index])

        state = final_state(order, payment)
        state["queued"] = enqueued.count(SUCCEEDED_TASK) - queued_before
        attempts = state.pop("attempts")
        outcomes.setdefault(json.dumps(state, default=str, sort_keys=True), []).append(
            order_of_delivery)
        assert {key: state[key] for key in expected} == expected, order_of_delivery
        assert len(attempts) == len({charge for _status, charge in attempts})
        runs += 1
        tick()

    assert runs == 120
    assert len(outcomes) == 1
