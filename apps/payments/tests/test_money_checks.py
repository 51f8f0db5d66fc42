"""An order is paid only when Stripe received exactly what it charges, in its currency and in
the mode of the shop's key. Anything else is applied to nothing: the payment is held for
staff (timeline entry, dashboard count, staff alert e-mail) and the customer hears nothing."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.utils import translation
from wagtail.models import ModelLogEntry

from apps.backoffice.selectors import shop_overview
from apps.backoffice.timeline import order_timeline
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import OrderStatus
from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.audit import PAYMENT_HELD
from apps.payments.models import Payment, PaymentReview, PaymentStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import charge_payload, event_payload, intent_payload, stripe_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(order):
    return start_payment(order=order)


def assert_held(order, payment, reason: str) -> None:
    """Nothing applied; held for staff with a timeline entry, a dashboard count and one staff
    alert; no e-mail to the customer."""
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert payment.status != PaymentStatus.SUCCEEDED and not payment.settlement
    assert payment.review_reason == reason
    assert payment.flagged_at is not None
    assert ModelLogEntry.objects.filter(action=PAYMENT_HELD, object_id=str(order.pk)).count() == 1
    with translation.override("en"):
        held = [entry for entry in order_timeline(order)
                if entry.kind == "payment" and "held for review" in entry.title]
    assert len(held) == 1 and held[0].failed
    assert shop_overview().payments_held == 1
    alerts = EmailRecord.objects.filter(order=order, kind=EmailKind.PAYMENT_REVIEW)
    assert alerts.count() == 1
    assert alerts.get().to == list(settings.SHOP_STAFF_ALERT_EMAILS)
    customer_mail = EmailRecord.objects.filter(order=order).exclude(kind__in=EmailKind.for_staff())
    assert not customer_mail.exists()


def succeeded(payment, **changes) -> dict:
    intent = intent_payload(payment, status="succeeded", latest_charge=stripe_id("ch"))
    return event_payload("payment_intent.succeeded", {**intent, **changes})


def test_an_amount_that_is_not_the_orders_is_held(order, payment, post_event, committed):
    # 125.00 SAR is owed; Stripe says 1.00 SAR arrived
    response = committed(post_event, succeeded(payment, amount=100, amount_received=100))

    assert response.status_code == 200
    assert_held(order, payment, PaymentReview.AMOUNT)
    assert payment.review_facts["amount"] == 100 and payment.review_facts["currency"] == "SAR"


def test_one_minor_unit_on_the_stored_intent_is_held(order, payment, post_event, committed):
    committed(post_event, succeeded(payment, amount_received=1))

    assert_held(order, payment, PaymentReview.AMOUNT)


def test_a_currency_that_is_not_the_orders_is_held(order, payment, post_event, committed):
    committed(post_event, succeeded(payment, currency="usd"))

    assert_held(order, payment, PaymentReview.CURRENCY)
    assert payment.review_facts["currency"] == "USD"


def test_a_live_mode_event_in_test_mode_is_held(order, payment, post_event, committed):
    event = succeeded(payment, livemode=True)
    event["livemode"] = True

    response = committed(post_event, event)

    assert response.status_code == 200
    assert_held(order, payment, PaymentReview.LIVEMODE)


def test_a_charge_that_is_not_the_orders_is_held(order, payment, post_event, committed):
    charge = charge_payload(payment, charge_id=stripe_id("ch"))
    charge["amount_captured"] = charge["amount"] = 100

    committed(post_event, event_payload("charge.succeeded", charge))

    assert_held(order, payment, PaymentReview.AMOUNT)


def test_an_adopted_intent_with_the_wrong_amount_is_held(order, committed, card_holder):
    """A PaymentIntent the shop never stored (its event overtook our write, or someone made
    one) is adopted from its metadata and checked against the order like any other."""
    intent = gateway.create_payment_intent(
        amount=Decimal("1.00"), currency="SAR", order_id=order.pk, order_number=order.number,
        order_public_id=order.public_id, sequence=7, description="not the order's total",
    )

    card_holder.confirm(intent["id"], cards.SUCCEEDS)  # its webhooks follow

    payment = Payment.objects.get(stripe_payment_intent_id=intent["id"])
    assert payment.amount == order.total  # what the order charges, not what the intent says
    assert_held(order, payment, PaymentReview.AMOUNT)


def test_the_right_money_pays_the_order(order, payment, post_event, committed):
    committed(post_event, succeeded(payment))

    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert payment.review_reason == ""
    assert shop_overview().payments_held == 0
