"""Stripe API errors reach the caller as clean exceptions with a message for the shopper,
and the order stays payable."""

from decimal import Decimal

import pytest
import stripe
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.payments import gateway
from apps.payments.models import Payment
from apps.payments.services.intents import start_payment

pytestmark = pytest.mark.django_db


def test_client_settings(stripe_client, settings):
    requestor = stripe_client._requestor
    assert requestor._options.stripe_version == settings.STRIPE_API_VERSION
    assert requestor._options.max_network_retries == 2
    assert requestor._options.api_key == settings.STRIPE_SECRET_KEY


def test_production_gets_the_real_http_client_with_timeouts(settings):
    settings.STRIPE_HTTP_CLIENT = "stripe.RequestsClient"
    settings.STRIPE_SECRET_KEY = "sk_test_real_account"

    client = gateway.get_client()

    http_client = client._requestor._client
    assert isinstance(http_client, stripe.RequestsClient)
    assert http_client._timeout == (settings.STRIPE_CONNECT_TIMEOUT, settings.STRIPE_READ_TIMEOUT)


def test_create_sends_minor_units_metadata_and_our_idempotency_key(order):
    intent = gateway.create_payment_intent(
        amount=order.total, currency=order.currency, order_id=order.pk,
        order_number=order.number, order_public_id=order.public_id, sequence=1,
        description=f"Order {order.number}",
    )

    assert intent["amount"] == 12500
    assert intent["currency"] == "sar"
    assert intent["metadata"]["order_number"] == order.number
    assert intent["metadata"]["order_id"] == str(order.pk)
    assert intent["description"] == f"Order {order.number}"
    http = gateway.get_client()._requestor._client
    assert gateway.payment_intent_key(order_public_id=order.public_id, sequence=1) == (
        f"order-{order.public_id}-pi-1"
    )
    assert http.requests_made[-1][0] == "POST"


def test_three_decimal_amounts_must_be_multiples_of_ten():
    # Refused before anything is sent, as Stripe would refuse it: the pay page shows a
    # message instead of a 500.
    with pytest.raises(gateway.GatewayRejected):
        gateway.create_payment_intent(
            amount=Decimal("12.345"), currency="KWD", order_id=1, order_number="X",
            order_public_id="x", sequence=1, description="",
        )


@pytest.mark.parametrize(
    ("fault", "times", "error_class", "retryable"),
    [
        ("rate_limit", 1, gateway.GatewayUnavailable, True),
        # the SDK retries these twice (max_network_retries=2): fail all three tries
        ("connection_error", 3, gateway.GatewayUnavailable, True),
        ("api_error", 3, gateway.GatewayUnavailable, True),
        ("invalid_request", 1, gateway.GatewayRejected, False),
        ("authentication", 1, gateway.GatewayRejected, False),
    ],
)
def test_api_errors_at_checkout_leave_the_order_payable(order, fault, times, error_class,
                                                        retryable, stripe_faults):
    stripe_faults(kind=fault, times=times)

    with pytest.raises(error_class) as raised:
        start_payment(order=order)

    assert raised.value.retryable is retryable
    assert raised.value.user_message  # something to show, never a 500
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not Payment.objects.exists()
    # and the next try works
    assert start_payment(order=order).status == "pending"


def test_a_card_error_is_a_decline_with_the_shoppers_message(order):
    payment = start_payment(order=order)

    with pytest.raises(gateway.CardDeclined) as declined:
        gateway.confirm_payment_intent(
            payment_intent_id=payment.stripe_payment_intent_id,
            payment_method="pm_card_chargeDeclinedInsufficientFunds",
            return_url="https://shop.example/return", idempotency_key="confirm-1",
        )

    assert declined.value.code == "card_declined"
    assert declined.value.decline_code == "insufficient_funds"
    with translation.override("en"):
        assert "insufficient funds" in str(declined.value.user_message)
    with translation.override("ar"):
        assert "رصيد بطاقتك غير كافٍ" in str(declined.value.user_message)
    assert declined.value.payment_intent["status"] == "requires_payment_method"


def test_the_shoppers_message_is_translated(order, settings):
    from django.utils import translation

    error = gateway.CardDeclined("x", code="card_declined", decline_code="generic_decline")
    with translation.override("en"):
        assert error.user_message.startswith("Your card was declined")


def test_an_unknown_intent_is_rejected_cleanly():
    with pytest.raises(gateway.GatewayRejected) as rejected:
        gateway.retrieve_payment_intent(payment_intent_id="pi_missing")
    assert rejected.value.code == "resource_missing"
    assert rejected.value.http_status == 404


def test_list_events_pages_through_everything(order):
    for _ in range(3):
        start_payment(order=order)  # reuses: one intent
    for sequence in range(2, 6):
        gateway.create_payment_intent(
            amount=order.total, currency=order.currency, order_id=order.pk,
            order_number=order.number, order_public_id=order.public_id, sequence=sequence,
            description="",
        )

    events = list(gateway.list_events(page_size=2, types=["payment_intent.created"]))

    assert len(events) == 5
    assert len({event["id"] for event in events}) == 5
