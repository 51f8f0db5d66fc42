"""The sandbox's stand-in for Stripe.js's confirm call (what static/payments/sandbox-stripe.js
posts to): authorised by the intent's client secret, answering like Stripe.js, with errors
in the page's language."""

import pytest
from django.urls import reverse
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.payments.messages import failure_message
from apps.payments.models import PaymentStatus
from apps.payments.services import start_payment
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db


def confirm_url(order, language="ar"):
    with translation.override(language):
        return reverse("payments:sandbox_confirm", kwargs={"number": order.number})


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """POST to the endpoint as the stand-in does; Stripe's webhooks follow after commit."""

    def post(order, payment, language="ar", **fields):
        data = {"client_secret": payment.client_secret, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(confirm_url(order, language), data,
                               headers={"Accept": "application/json"})

    return post


def arabic(code, decline_code=None):
    with translation.override("ar"):
        return failure_message(code, decline_code)


def test_the_card_that_succeeds(order, confirm):
    payment = start_payment(order=order)

    response = confirm(order, payment, card_number="4242 4242 4242 4242")

    assert response.status_code == 200
    assert response.json() == {"payment_intent": {"id": payment.stripe_payment_intent_id,
                                                  "status": "succeeded"}}
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # through the signed webhook


def test_a_decline_answers_402_in_arabic(order, confirm):
    payment = start_payment(order=order)

    response = confirm(order, payment, card_number="4000000000000002")

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["code"], error["decline_code"]) == ("card_declined", "generic_decline")
    assert error["message"] == arabic("card_declined", "generic_decline")
    assert response.json()["payment_intent"]["status"] == "requires_payment_method"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_a_bad_card_number_is_refused_before_stripe(order, confirm):
    payment = start_payment(order=order)

    response = confirm(order, payment, card_number="4242 4242 4242 4241")

    assert response.status_code == 400
    assert response.json() == {"error": {"type": "validation_error", "code": "incorrect_number",
                                         "message": arabic("incorrect_number")}}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not payment.attempts.exists()


def test_another_orders_client_secret_is_not_found(order, product, confirm):
    payment = start_payment(order=order)
    other = place_test_order(product=product)

    response = confirm(other, payment, language="en", card_number="4242424242424242")

    assert response.status_code == 404
    assert response.json()["error"]["message"] == (
        "This payment could not be found. Please reload the page."
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not payment.attempts.exists()


def test_no_client_secret_is_not_found(order, client):
    start_payment(order=order)

    response = client.post(confirm_url(order), {"card_number": "4242424242424242"})

    assert response.status_code == 404


def test_a_replay_after_success_charges_once_and_points_to_the_payment(order, confirm):
    payment = start_payment(order=order)
    confirm(order, payment, card_number="4242424242424242")

    replay = confirm(order, payment, language="en", card_number="4242424242424242")

    assert replay.status_code == 400
    error = replay.json()["error"]
    assert error["code"] == "payment_intent_unexpected_state"
    assert error["message"] == "This order is already paid."
    # Like Stripe.js, the error carries the intent: the page goes on to the return page.
    assert error["payment_intent"] == {"id": payment.stripe_payment_intent_id,
                                       "status": "succeeded"}
    assert payment.attempts.count() == 1


def test_three_d_secure_through_the_endpoint(order, confirm):
    payment = start_payment(order=order)

    challenge = confirm(order, payment, card_number="4000 0025 0000 3155")
    assert challenge.json()["payment_intent"]["status"] == "requires_action"

    failed = confirm(order, payment, three_ds="fail")
    assert failed.status_code == 402
    assert failed.json()["error"]["message"] == arabic("payment_intent_authentication_failure")

    confirm(order, payment, card_number="4000 0025 0000 3155")
    approved = confirm(order, payment, three_ds="approve")
    assert approved.json()["payment_intent"]["status"] == "succeeded"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_not_there_with_real_stripe(order, client, settings):
    settings.STRIPE_SANDBOX = False

    response = client.post(confirm_url(order), {"card_number": "4242424242424242"})

    assert response.status_code == 404
