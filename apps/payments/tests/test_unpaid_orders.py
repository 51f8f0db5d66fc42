"""An order left unpaid can be found again (a banner on every page for the visitor who
placed it, a pay button in the order list), given up (cancelled, its items back in the
cart, its PaymentIntent cancelled), and is reminded once by e-mail before it expires."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse

from apps.cart.models import CartLine
from apps.emails.models import EmailKind, EmailRecord
from apps.orders.models import OrderStatus, StatusReason
from apps.orders.selectors import UNPAID_IN_SESSION
from apps.payments import stripe_test_cards as cards
from apps.payments.services.intents import start_payment
from apps.payments.services.reconciliation import send_payment_reminders
from apps.payments.tests.factories import place_test_order
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def placed_in_this_browser(client, order):
    session = client.session
    session[UNPAID_IN_SESSION] = [str(order.public_id)]
    session.save()


def banner(client, path="/ar/cart/"):
    soup = BeautifulSoup(client.get(path).content, "html.parser")
    return soup.select_one(".unpaid-banner")


def test_the_visitor_who_placed_it_sees_it_on_every_page(client, order):
    placed_in_this_browser(client, order)

    for path in ("/ar/cart/", "/ar/search/?q=x", "/en/cart/"):
        found = banner(client, path)
        assert found is not None, path
        assert order.number in found.get_text()
    found = banner(client)
    pay = found.select_one("a.button")
    assert pay["href"] == (reverse("payments:pay", kwargs={"number": order.number})
                           + "?token=" + order.guest_token.replace(":", "%3A"))
    assert "بانتظار الدفع" in found.get_text()


def test_another_visitor_sees_nothing(client, order):
    assert banner(client) is None


def test_a_signed_in_customer_sees_it_and_a_pay_button_in_the_order_list(client, card_holder):
    customer = UserFactory(email="buyer@example.com")
    order = place_test_order(user=customer)
    client.force_login(customer)

    assert order.number in banner(client).get_text()
    soup = BeautifulSoup(client.get(reverse("orders:my_orders")).content, "html.parser")
    assert soup.select_one("a.pay-order")["href"] == reverse("payments:pay",
                                                             kwargs={"number": order.number})
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    assert banner(client) is None  # paid: nothing to resume
    soup = BeautifulSoup(client.get(reverse("orders:my_orders")).content, "html.parser")
    assert soup.select_one("a.pay-order") is None


def test_an_expired_reservation_is_not_offered(client, order):
    order.reserved_until -= timedelta(hours=2)
    order.save()
    placed_in_this_browser(client, order)
    assert banner(client) is None


def test_cancel_puts_the_items_back_in_the_cart_and_releases_the_stock(client, order,
                                                                        stripe_log, committed):
    placed_in_this_browser(client, order)
    payment = start_payment(order=order)
    product = order.lines.get().product
    stock_before = type(product).objects.get(pk=product.pk).stock

    response = committed(client.post, reverse("payments:cancel_unpaid",
                                               kwargs={"number": order.number}),
                         {"token": order.guest_token})

    assert response.status_code == 302 and response["Location"].endswith("/cart/")
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert order.status_changes.last().reason == StatusReason.CANCELLED_BY_CUSTOMER
    assert type(product).objects.get(pk=product.pk).stock == stock_before + 1
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(product.pk, 1)]
    assert stripe_log.requests.filter(
        path=f"/v1/payment_intents/{payment.stripe_payment_intent_id}/cancel").exists()
    payment.refresh_from_db()
    assert payment.status == "canceled"
    soup = BeautifulSoup(client.get("/ar/cart/").content, "html.parser")
    assert soup.select_one(".unpaid-banner") is None
    assert order.number in soup.select_one(".messages").get_text()


def test_a_paid_order_is_not_cancelled(client, order, card_holder):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    response = client.post(reverse("payments:cancel_unpaid", kwargs={"number": order.number}),
                           {"token": order.guest_token}, follow=True)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "لم يعد بالإمكان إلغاء هذا الطلب" in response.content.decode()


def test_no_one_else_may_cancel_it(client, order):
    other = place_test_order()
    response = client.post(reverse("payments:cancel_unpaid", kwargs={"number": order.number}),
                           {"token": other.guest_token})
    assert response.status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


# --- the reminder, with the clock moved ---------------------------------------------------------


def reminders(order):
    return EmailRecord.objects.filter(order=order, kind=EmailKind.PAYMENT_REMINDER)


def test_one_reminder_before_the_reservation_ends(order, settings, committed):
    settings.PAYMENT_REMINDER_MINUTES_BEFORE = 20
    end = order.reserved_until

    assert send_payment_reminders(now=end - timedelta(minutes=30)) == []
    assert committed(send_payment_reminders, now=end - timedelta(minutes=15)) == [order.number]
    assert send_payment_reminders(now=end - timedelta(minutes=10)) == []
    assert send_payment_reminders(now=end + timedelta(minutes=1)) == []
    [record] = reminders(order)
    from apps.emails.rendering import render_email

    rendered = render_email(record)
    pay = reverse("payments:pay", kwargs={"number": order.number})
    assert pay in rendered.text and order.number in rendered.subject
    assert "أكمل الدفع" in rendered.text and "Complete your payment" in rendered.text


def test_never_for_a_paid_or_cancelled_order(order, card_holder, settings):
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    cancelled = place_test_order()
    from apps.orders.services import transition_order

    transition_order(order_id=cancelled.pk, to_status=OrderStatus.CANCELLED)

    for moment in (order.reserved_until - timedelta(minutes=5),
                   cancelled.reserved_until - timedelta(minutes=5)):
        assert send_payment_reminders(now=moment) == []
    assert not reminders(order).exists() and not reminders(cancelled).exists()
