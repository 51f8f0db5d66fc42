"""The return page, where Stripe.js sends the shopper after confirmPayment: it asks Stripe
(here the card_holder) for the PaymentIntent and never believes the query parameters."""

from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.orders.tests.factories import checkout_form_data
from apps.payments import stripe_test_cards as cards
from apps.payments.messages import failure_message
from apps.payments.models import PaymentStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_order(customer, product):
    return place_test_order(product=product, user=customer)


def return_url(order, payment=None, language="ar", **params):
    """The return page as Stripe.js builds it (payment_intent, client secret, status)."""
    with translation.override(language):
        url = reverse("payments:pay_return", kwargs={"number": order.number})
    if payment is not None:
        params = {"payment_intent": payment.stripe_payment_intent_id,
                  "payment_intent_client_secret": payment.client_secret, **params}
    return f"{url}?{urlencode(params)}" if params else url


def paid_in_the_browser(payment, card_holder_now, card=cards.SUCCEEDS,
                        capture=None):
    """The shopper confirms with Stripe.js; Stripe's webhook has not arrived yet."""
    with capture(execute=False):
        return card_holder_now.confirm(payment.stripe_payment_intent_id, card)


def message(code, decline_code=None, language="ar"):
    with translation.override(language):
        return failure_message(code, decline_code)


def test_success_is_read_from_stripe_and_marks_the_order_paid(
    customer_client, my_order, html, django_capture_on_commit_callbacks, card_holder_now
):
    payment = start_payment(order=my_order)
    paid_in_the_browser(payment, card_holder_now, capture=django_capture_on_commit_callbacks)
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT  # no webhook yet

    response = customer_client.get(
        return_url(my_order, payment, language="en", redirect_status="succeeded")
    )

    assert response.status_code == 200
    assert response.context["outcome"] == "succeeded"
    assert "Thank you! Your payment was received." in html.content(response)
    my_order.refresh_from_db()
    payment.refresh_from_db()
    assert my_order.status == OrderStatus.PAID
    assert (payment.card_brand, payment.card_last4) == ("visa", "4242")


def test_a_forged_success_on_an_unpaid_intent_changes_nothing(customer_client, my_order):
    payment = start_payment(order=my_order)

    response = customer_client.get(return_url(my_order, payment, redirect_status="succeeded"))

    # Never confirmed: back to the payment page, still unpaid.
    assert response.status_code == 302
    assert response["Location"] == reverse("payments:pay", kwargs={"number": my_order.number})
    my_order.refresh_from_db()
    payment.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert payment.status == PaymentStatus.PENDING


def test_a_forged_success_on_a_declined_intent_shows_the_decline(
    customer_client, my_order, html, card_holder
):
    payment = start_payment(order=my_order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.INSUFFICIENT_FUNDS)

    response = customer_client.get(
        return_url(my_order, payment, redirect_status="succeeded",
                   payment_intent="pi_of_someone_else_who_paid")
    )

    assert response.status_code == 200
    assert response.context["outcome"] == "failed"
    alert = " ".join(html.alerts(response))
    assert message("card_declined", "insufficient_funds") in alert
    assert html.links(response, "retry-payment") == [
        reverse("payments:pay", kwargs={"number": my_order.number})
    ]
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT


def test_a_failed_3ds_check_offers_a_retry_that_reuses_the_intent(
    customer_client, my_order, html, card_holder
):
    payment = start_payment(order=my_order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.THREE_D_SECURE, "fail")

    response = customer_client.get(return_url(my_order, payment, language="en",
                                              redirect_status="failed"))

    assert message("payment_intent_authentication_failure", language="en") in " ".join(
        html.alerts(response)
    )
    retry = customer_client.get(html.links(response, "retry-payment")[0])
    assert retry.status_code == 200
    assert retry.context["payment"] == payment


def test_processing_is_shown_as_processing(customer_client, my_order, html, card_holder,
                                           stripe_log):
    payment = start_payment(order=my_order)
    # Stripe reports the payment as still processing (e.g. a bank debit).
    intent = card_holder.intent(payment.stripe_payment_intent_id)
    intent["status"] = "processing"
    stripe_log.objects.filter(pk=intent["id"], kind="payment_intent").update(data=intent)

    response = customer_client.get(return_url(my_order, payment, language="en",
                                              redirect_status="succeeded"))

    assert response.status_code == 200
    assert response.context["outcome"] == "processing"
    assert "Your payment is being processed" in html.content(response)
    assert html.alerts(response) == []
    my_order.refresh_from_db()
    payment.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert payment.status == PaymentStatus.PROCESSING


def test_stripe_unreachable_on_return_is_not_a_500(customer_client, my_order, html,
                                                   django_capture_on_commit_callbacks,
                                                   card_holder_now, stripe_faults):
    payment = start_payment(order=my_order)
    paid_in_the_browser(payment, card_holder_now, capture=django_capture_on_commit_callbacks)
    stripe_faults(kind="connection_error", method="GET", times=3)

    response = customer_client.get(return_url(my_order, payment, language="en"))

    # We do not know yet: "being processed", and the webhook will settle it.
    assert response.status_code == 200
    assert response.context["outcome"] == "processing"
    assert "try again" in " ".join(html.alerts(response))


def test_an_expired_order_offers_no_retry(customer_client, my_order, html, committed):
    from datetime import timedelta

    from django.utils import timezone

    from apps.orders.models import Order
    from apps.payments.services.reconciliation import expire_unpaid_orders

    payment = start_payment(order=my_order)
    Order.objects.filter(pk=my_order.pk).update(
        reserved_until=timezone.now() - timedelta(minutes=1)
    )
    committed(expire_unpaid_orders)

    response = customer_client.get(return_url(my_order, payment, language="en"))

    assert response.context["outcome"] == "failed"
    assert "can no longer be paid" in " ".join(html.alerts(response))
    assert html.links(response, "retry-payment") == []


def test_someone_elses_return_page_is_404(client, other_customer, my_order):
    payment = start_payment(order=my_order)
    client.force_login(other_customer)

    assert client.get(return_url(my_order, payment)).status_code == 404


def test_a_guest_returns_through_the_signed_link(client, order, html,
                                                 django_capture_on_commit_callbacks,
                                                 card_holder_now):
    payment = start_payment(order=order)
    paid_in_the_browser(payment, card_holder_now, capture=django_capture_on_commit_callbacks)

    response = client.get(return_url(order, payment, token=order.guest_token))

    assert response.context["outcome"] == "succeeded"
    assert response.context["order_url"] == order.get_guest_url()
    assert client.get(return_url(order, payment, token="forged")).status_code == 404


def test_after_paying_the_cart_is_empty(client, catalog, oud, shipping_zones, html,
                                        django_capture_on_commit_callbacks, card_holder_now):
    # A guest checks out (the order takes the cart's lines) and lands on the payment page.
    client.post(catalog.add_url(oud), {"quantity": "1"})
    checkout = client.get("/ar/checkout/")
    placed = client.post("/ar/checkout/", {**html.hidden_fields(checkout),
                                           **checkout_form_data()})
    pay_page = client.get(placed["Location"])
    payment = pay_page.context["payment"]
    paid_in_the_browser(payment, card_holder_now, capture=django_capture_on_commit_callbacks)

    response = client.get(pay_page.context["return_url"])

    assert response.context["outcome"] == "succeeded"
    assert "Your cart is empty." in html.content(client.get("/en/cart/"))
