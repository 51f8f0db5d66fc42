"""What the sandbox's Stripe.js stand-in calls: the Payment Element's content and the
browser's confirmation of a PaymentIntent, authorised like Stripe's browser API by the
publishable key and the client secret, answering with Stripe's shapes and, for errors, the
page's language."""

import pytest
from django.conf import settings
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.messages import failure_message
from apps.payments.models import PaymentStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db


def confirm_url(payment) -> str:
    return f"/stripe-sandbox/v1/payment_intents/{payment.stripe_payment_intent_id}/confirm"


@pytest.fixture
def confirm(client, django_capture_on_commit_callbacks):
    """POST as stripe.js does (no cookie, no CSRF token); Stripe's webhooks follow after
    commit."""

    def post(payment, *, locale="ar", **fields):
        data = {"key": settings.STRIPE_PUBLISHABLE_KEY, "client_secret": payment.client_secret,
                "locale": locale, **fields}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(confirm_url(payment), data, headers={"Accept": "application/json"})

    return post


def arabic(code, decline_code=None):
    with translation.override("ar"):
        return failure_message(code, decline_code)


def test_the_card_that_succeeds(order, confirm):
    payment = start_payment(order=order)

    response = confirm(payment, card_number=cards.spaced(cards.SUCCEEDS))

    assert response.status_code == 200
    intent = response.json()
    assert (intent["object"], intent["id"], intent["status"]) == (
        "payment_intent", payment.stripe_payment_intent_id, "succeeded")
    assert "metadata" not in intent  # a publishable key does not see it
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # through the signed webhook


def test_a_decline_answers_402_in_arabic(order, confirm):
    payment = start_payment(order=order)

    response = confirm(payment, card_number=cards.DECLINED)

    assert response.status_code == 402
    error = response.json()["error"]
    assert (error["type"], error["code"], error["decline_code"]) == (
        "card_error", "card_declined", "generic_decline")
    assert error["message"] == arabic("card_declined", "generic_decline")
    assert error["payment_intent"]["status"] == "requires_payment_method"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


def test_a_bad_card_number_is_refused_before_stripe(order, confirm):
    payment = start_payment(order=order)

    response = confirm(payment, card_number="4242 4242 4242 4241")

    assert response.status_code == 400
    assert response.json() == {"error": {"type": "validation_error", "code": "incorrect_number",
                                         "message": arabic("incorrect_number")}}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert not payment.attempts.exists()


def test_another_orders_client_secret_is_not_found(order, product, confirm):
    payment = start_payment(order=order)
    other = start_payment(order=place_test_order(product=product))
    payment.client_secret = other.client_secret  # the wrong intent's secret

    response = confirm(payment, locale="en", card_number=cards.SUCCEEDS)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "resource_missing"
    assert response.json()["error"]["message"] == (
        "This payment could not be found. Please reload the page."
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert not payment.attempts.exists()


def test_no_client_secret_or_a_secret_key_is_refused(order, client):
    payment = start_payment(order=order)

    no_secret = client.post(confirm_url(payment), {"key": settings.STRIPE_PUBLISHABLE_KEY,
                                                   "card_number": cards.SUCCEEDS})
    secret_key = client.post(confirm_url(payment), {
        "key": settings.STRIPE_SECRET_KEY, "client_secret": payment.client_secret,
        "card_number": cards.SUCCEEDS,
    })

    assert no_secret.status_code == 400
    assert secret_key.status_code == 401
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING


def test_a_replay_after_success_charges_once_and_points_to_the_payment(order, confirm):
    payment = start_payment(order=order)
    confirm(payment, card_number=cards.SUCCEEDS)

    replay = confirm(payment, locale="en", card_number=cards.SUCCEEDS)

    assert replay.status_code == 400
    error = replay.json()["error"]
    assert error["code"] == "payment_intent_unexpected_state"
    assert error["message"] == "This order is already paid."
    # Like Stripe.js, the error carries the intent: the page goes on to the return page.
    assert error["payment_intent"]["id"] == payment.stripe_payment_intent_id
    assert error["payment_intent"]["status"] == "succeeded"
    assert payment.attempts.count() == 1


def test_three_d_secure_through_the_endpoint(order, confirm):
    payment = start_payment(order=order)

    challenge = confirm(payment, card_number=cards.THREE_D_SECURE)
    assert challenge.json()["status"] == "requires_action"

    failed = confirm(payment, three_ds="fail")
    assert failed.status_code == 402
    assert failed.json()["error"]["message"] == arabic("payment_intent_authentication_failure")

    confirm(payment, card_number=cards.THREE_D_SECURE)
    approved = confirm(payment, three_ds="approve")
    assert approved.json()["status"] == "succeeded"
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


@pytest.mark.parametrize(("locale", "says"), [("ar", "بطاقات"), ("en", "test cards")])
def test_the_payment_element_comes_in_the_pages_language(client, locale, says):
    response = client.get(f"/stripe-sandbox/elements/payment?locale={locale}")

    assert response.status_code == 200
    content = response.content.decode()
    assert says in content
    assert cards.spaced(cards.SUCCEEDS) in content
    assert 'name="sandbox_card_number"' in content
