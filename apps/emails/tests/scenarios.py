"""What happens to an order, done the way the shop does it: the sandbox card form, a staff
refund, Stripe's signed webhooks."""

import time
from decimal import Decimal

from apps.payments.models import Payment
from apps.payments.services import request_refund, start_payment
from apps.payments.tests.factories import event_payload, stripe_id

SUCCEEDS = "4242424242424242"
DECLINED = "4000000000000002"


def pay(order, sandbox) -> Payment:
    payment = start_payment(order=order)
    sandbox.confirm(payment.stripe_payment_intent_id, SUCCEEDS)
    payment.refresh_from_db()
    return payment


def decline(order, sandbox) -> Payment:
    payment = start_payment(order=order)
    sandbox.confirm(payment.stripe_payment_intent_id, DECLINED)
    payment.refresh_from_db()
    return payment


def refund(order, sandbox, committed, amount: Decimal | None = Decimal("25.00")) -> Payment:
    payment = pay(order, sandbox)
    committed(request_refund, payment_id=payment.pk, amount=amount,
              stripe_reason="requested_by_customer", requested_by=None,
              idempotency_key=f"form-{stripe_id('k')}")
    payment.refresh_from_db()
    return payment


def dispute_event(payment: Payment, *, status: str = "needs_response") -> dict:
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
        "reason": "fraudulent",
        "status": status,
    })


def dispute(order, sandbox, committed, post_event) -> Payment:
    payment = pay(order, sandbox)
    response = committed(post_event, dispute_event(payment))
    assert response.status_code == 200
    return payment
