"""Stripe disputes: kept on the payment and its order for staff, closed ones never reopened
by a late event, and one staff alert per dispute."""

import time

import pytest

from apps.backoffice.selectors import shop_overview
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import DisputeStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.metrics import orders_with_open_dispute
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import event_payload, stripe_id

pytestmark = pytest.mark.django_db


def dispute(payment, dispute_id: str, status: str, *, created: int) -> dict:
    """A charge.dispute.* event as Stripe sends it (fields from Stripe's Dispute object)."""
    kind = ("closed" if status in DisputeStatus.closed()
            else "created" if status == "needs_response" else "updated")
    return event_payload(f"charge.dispute.{kind}", {
        "id": dispute_id,
        "object": "dispute",
        "amount": 12500,
        "charge": payment.stripe_charge_id,
        "created": created,
        "currency": "sar",
        "evidence_details": {"due_by": created + 7 * 24 * 3600, "has_evidence": False,
                             "past_due": False, "submission_count": 0},
        "livemode": False,
        "metadata": {},
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": "fraudulent",
        "status": status,
    }, created=created)


@pytest.fixture
def paid(order, card_holder):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    payment.refresh_from_db()
    return payment


@pytest.mark.parametrize("closed", sorted(DisputeStatus.closed()))
def test_a_closed_dispute_is_not_reopened_by_a_late_event(paid, post_event, committed,
                                                          closed):
    """Every closing status counts, charge_refunded included (a refunded charge ends a
    dispute: it once stayed "open" on the payment while the dashboard counted it closed)."""
    dispute_id = stripe_id("du")
    now = int(time.time())
    assert committed(post_event, dispute(paid, dispute_id, closed, created=now)).status_code == 200
    late = dispute(paid, dispute_id, "needs_response", created=now - 60)

    assert committed(post_event, late).status_code == 200

    paid.refresh_from_db()
    order = paid.order
    order.refresh_from_db()
    assert paid.dispute_status == order.dispute_status == closed
    assert not orders_with_open_dispute().exists()
    assert shop_overview().open_disputes == 0


def test_an_open_dispute_is_counted_and_alerts_staff_once(paid, post_event, committed):
    dispute_id = stripe_id("du")
    event = dispute(paid, dispute_id, "needs_response", created=int(time.time()))

    committed(post_event, event)
    committed(post_event, {**event, "id": stripe_id("evt")})  # another event, same dispute

    paid.order.refresh_from_db()
    assert paid.order.dispute_status == DisputeStatus.NEEDS_RESPONSE
    assert list(orders_with_open_dispute()) == [paid.order]
    assert EmailRecord.objects.filter(order=paid.order, kind=EmailKind.DISPUTE_ALERT).count() == 1


def test_every_dispute_status_has_a_label_and_unknown_ones_read_as_they_are():
    assert all(DisputeStatus.label_of(value) != value for value in DisputeStatus.values)
    assert DisputeStatus.label_of("a_new_status") == "a_new_status"
    assert DisputeStatus.label_of("") == ""


def test_a_dispute_under_review_is_followed(paid, post_event, committed):
    dispute_id = stripe_id("du")
    now = int(time.time())
    committed(post_event, dispute(paid, dispute_id, "needs_response", created=now - 10))

    committed(post_event, dispute(paid, dispute_id, "under_review", created=now))

    paid.order.refresh_from_db()
    assert paid.order.dispute_status == DisputeStatus.UNDER_REVIEW


def test_a_card_its_bank_disputes_reaches_staff_from_stripes_own_event(order, card_holder):
    """Stripe's "fraudulent dispute" test card: paid, then `charge.dispute.created` arrives
    through the webhook as Stripe would send it."""
    payment = start_payment(order=order)

    card_holder.confirm(payment.stripe_payment_intent_id, cards.DISPUTED)

    payment.refresh_from_db()
    order.refresh_from_db()
    assert order.status == "paid"
    assert (payment.dispute_status, order.dispute_status) == ("needs_response",) * 2
    assert order in orders_with_open_dispute()
    assert EmailRecord.objects.filter(order=order, kind=EmailKind.DISPUTE_ALERT).count() == 1
