"""The payment page: it creates the order's PaymentIntent once, shows the amount and mounts
Stripe's Payment Element with pay.js; the card holder confirms in Stripe.js, and Stripe sends
them to the return page."""

import pytest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.messages import failure_message
from apps.payments.models import Payment, PaymentStatus
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_order(customer, product):
    return place_test_order(product=product, user=customer)


def pay_url(order, language="ar"):
    with translation.override(language):
        return reverse("payments:pay", kwargs={"number": order.number})


def return_url(order, language="ar"):
    with translation.override(language):
        return reverse("payments:pay_return", kwargs={"number": order.number})


def test_the_page_creates_the_intent_once_and_mounts_the_payment_element(
    customer_client, my_order, html, settings
):
    first = customer_client.get(pay_url(my_order))
    again = customer_client.get(pay_url(my_order))

    assert first.status_code == again.status_code == 200
    assert Payment.objects.count() == 1
    payment = first.context["payment"]
    assert payment.amount == my_order.total
    page = html.soup(first)
    form = page.select_one("form#payment-form")
    assert form["data-client-secret"] == payment.client_secret
    assert form["data-publishable-key"] == settings.STRIPE_PUBLISHABLE_KEY
    assert form["data-locale"] == "ar"
    assert form["data-return-url"].endswith(return_url(my_order))
    scripts = [script.get("src", "") for script in page.select("script[src]")]
    # One payment script, after Stripe.js from wherever the settings say.
    assert scripts[-2:] == [static(settings.STRIPE_JS_URL), "/static/payments/pay.js"]


def test_the_page_takes_no_card_data(customer_client, my_order):
    response = customer_client.post(pay_url(my_order), {"card_number": cards.SUCCEEDS})
    assert response.status_code == 405
    assert not Payment.objects.exists()


def test_someone_elses_order_is_404(client, other_customer, my_order):
    client.force_login(other_customer)
    assert client.get(pay_url(my_order)).status_code == 404
    assert not Payment.objects.exists()


def test_a_guest_pays_through_the_signed_link(client, order, card_holder):
    token = f"?token={order.guest_token}"
    page = client.get(pay_url(order) + token)
    assert page.status_code == 200
    assert client.get(pay_url(order) + "?token=forged").status_code == 404

    card_holder.confirm(page.context["payment"].stripe_payment_intent_id, cards.SUCCEEDS)
    back = client.get(return_url(order) + token)

    assert back.status_code == 200
    assert back.context["outcome"] == "succeeded"
    assert back.context["order_url"] == order.get_guest_url()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_decline_then_retry_in_arabic(customer_client, my_order, html, card_holder):
    payment = customer_client.get(pay_url(my_order)).context["payment"]

    card_holder.confirm(payment.stripe_payment_intent_id, cards.DECLINED)
    declined = customer_client.get(pay_url(my_order))

    with translation.override("ar"):
        expected = failure_message("card_declined", "generic_decline")
    assert html.alerts(declined) == [expected]
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert Payment.objects.get().status == PaymentStatus.FAILED

    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    customer_client.get(return_url(my_order))
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PAID
    assert Payment.objects.count() == 1


def test_decline_message_in_english(customer_client, my_order, html, card_holder):
    payment = customer_client.get(pay_url(my_order, "en")).context["payment"]
    card_holder.confirm(payment.stripe_payment_intent_id, cards.INSUFFICIENT_FUNDS)

    response = customer_client.get(pay_url(my_order, "en"))

    assert "insufficient funds" in " ".join(html.alerts(response))


@pytest.mark.parametrize(("outcome", "paid"), [("approve", True), ("fail", False)])
def test_three_d_secure(customer_client, my_order, outcome, paid, html, card_holder):
    payment = customer_client.get(pay_url(my_order, "en")).context["payment"]
    intent = card_holder.confirm(payment.stripe_payment_intent_id, cards.THREE_D_SECURE)
    assert intent["status"] == "requires_action"

    card_holder.complete_3ds(payment.stripe_payment_intent_id, outcome)
    response = customer_client.get(return_url(my_order, "en"))

    my_order.refresh_from_db()
    assert (my_order.status == OrderStatus.PAID) is paid
    if not paid:
        assert "3-D Secure" in " ".join(html.alerts(response))


@pytest.mark.parametrize(("fault", "times", "says"), [
    ("connection_error", 3, "try again in a moment"),  # the SDK retried twice
    ("rate_limit", 1, "try again in a moment"),  # not retried by the SDK
    ("api_error", 3, "try again in a moment"),
    ("invalid_request", 1, "contact us"),
    ("authentication", 1, "contact us"),
])
def test_stripe_errors_show_a_message_never_a_500(customer_client, my_order, html, fault,
                                                  times, says, stripe_faults):
    stripe_faults(kind=fault, times=times)

    response = customer_client.get(pay_url(my_order, "en"))

    assert response.status_code == 200
    assert says in " ".join(html.alerts(response))
    assert html.links(response, "retry-payment") == [pay_url(my_order, "en")]
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert customer_client.get(pay_url(my_order, "en")).context["payment"] is not None


def test_a_paid_order_goes_back_to_its_page(customer_client, my_order, card_holder):
    payment = customer_client.get(pay_url(my_order)).context["payment"]
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    response = customer_client.get(pay_url(my_order))

    assert response.status_code == 302
    assert response["Location"] == my_order.get_absolute_url()
