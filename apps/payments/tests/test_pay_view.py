"""The (minimal) payment page with the sandbox card form."""

import pytest
from django.urls import reverse
from django.utils import translation

from apps.orders.models import OrderStatus
from apps.payments.messages import failure_message
from apps.payments.models import Payment, PaymentStatus
from apps.payments.sandbox.services import inject_fault
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def my_order(customer, product):
    return place_test_order(product=product, user=customer)


def pay_url(order, language="ar"):
    with translation.override(language):
        return reverse("payments:pay", kwargs={"number": order.number})


def test_the_page_creates_the_intent_once_and_shows_the_amount(customer_client, my_order):
    first = customer_client.get(pay_url(my_order))
    again = customer_client.get(pay_url(my_order))

    assert first.status_code == again.status_code == 200
    assert Payment.objects.count() == 1
    assert "4242 4242 4242 4242" in first.content.decode()  # the sandbox says so
    assert first.context["payment"].amount == my_order.total


def test_someone_elses_order_is_404(client, other_customer, my_order):
    client.force_login(other_customer)
    assert client.get(pay_url(my_order)).status_code == 404
    assert not Payment.objects.exists()


def test_a_guest_pays_through_the_signed_link(client, order):
    url = pay_url(order) + f"?token={order.guest_token}"
    assert client.get(url).status_code == 200
    assert client.get(pay_url(order) + "?token=forged").status_code == 404

    response = client.post(url, {"card_number": "4242424242424242",
                                 "token": order.guest_token})

    assert response.status_code == 302
    assert response["Location"] == order.get_guest_url()
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_decline_then_retry_in_arabic(customer_client, my_order, html):
    customer_client.get(pay_url(my_order))

    declined = customer_client.post(pay_url(my_order), {"card_number": "4000 0000 0000 0002"})

    assert declined.status_code == 200
    with translation.override("ar"):
        expected = failure_message("card_declined", "generic_decline")
    assert html.alerts(declined) == [expected]
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert Payment.objects.get().status == PaymentStatus.FAILED

    paid = customer_client.post(pay_url(my_order), {"card_number": "4242 4242 4242 4242"})
    assert paid.status_code == 302
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PAID
    assert Payment.objects.count() == 1


def test_decline_message_in_english(customer_client, my_order, html):
    response = customer_client.post(pay_url(my_order, "en"),
                                    {"card_number": "4000000000009995"})
    assert "insufficient funds" in " ".join(html.alerts(response))


@pytest.mark.parametrize(("outcome", "paid"), [("approve", True), ("fail", False)])
def test_three_d_secure(customer_client, my_order, outcome, paid, html):
    challenge = customer_client.post(pay_url(my_order, "en"),
                                     {"card_number": "4000 0025 0000 3155"})
    assert challenge.status_code == 200
    assert "3-D Secure" in challenge.content.decode()

    response = customer_client.post(pay_url(my_order, "en"), {"three_ds": outcome})

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
                                                  times, says):
    inject_fault(kind=fault, times=times)

    response = customer_client.get(pay_url(my_order, "en"))

    assert response.status_code == 200
    assert says in " ".join(html.alerts(response))
    assert html.links(response, "retry-payment") == [pay_url(my_order, "en")]
    my_order.refresh_from_db()
    assert my_order.status == OrderStatus.PENDING_PAYMENT
    assert customer_client.get(pay_url(my_order, "en")).context["payment"] is not None


def test_a_paid_order_goes_back_to_its_page(customer_client, my_order):
    customer_client.post(pay_url(my_order), {"card_number": "4242424242424242"})

    response = customer_client.get(pay_url(my_order))

    assert response.status_code == 302
    assert response["Location"] == my_order.get_absolute_url()
