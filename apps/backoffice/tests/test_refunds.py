"""Refunding from the order page in the Wagtail admin, against the offline Stripe sandbox:
form -> confirmation -> refund, its idempotency key, the messages staff see, permissions and
the approval of refunds above the threshold."""

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from apps.backoffice.tests.fixtures import make_staff
from apps.orders.models import OrderStatus
from apps.payments.models import Refund, RefundStatus


@pytest.fixture
def paid_order(paid):
    """The 125.00 SAR order, paid by card (the shared `paid` fixture's order)."""
    order = paid.order
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    return order


def refund_url(order) -> str:
    return f"/admin/shop_orders/refund/{order.pk}/"


def order_url(order) -> str:
    return f"/admin/shop_orders/inspect/{order.pk}/"


def messages_of(response) -> list[str]:
    """The admin messages shown on the page a request ended on (follow=True)."""
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


def ended_on(response) -> str:
    return response.redirect_chain[-1][0] if response.redirect_chain else ""


def form_data(amount: str, key: str | None = None, **extra) -> dict[str, str]:
    return {
        "amount": amount, "stripe_reason": "requested_by_customer", "note": "Customer called",
        "idempotency_key": key or str(uuid.uuid4()), **extra,
    }


def stripe_refund_calls(stripe_log) -> int:
    return stripe_log.requests.filter(method="POST", path="/v1/refunds").count()


def hidden_value(html: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden {name}"
    return match.group(1)


def test_the_form_offers_what_is_left_with_its_own_key(client, refunds_user, paid_order):
    client.force_login(refunds_user)

    first = client.get(refund_url(paid_order)).content.decode()
    second = client.get(refund_url(paid_order)).content.decode()

    assert re.search(r'name="amount" value="125.00"', first)
    assert "Up to SAR\xa0125.00" in first
    key = hidden_value(first, "idempotency_key")
    assert uuid.UUID(key)
    assert hidden_value(second, "idempotency_key") != key
    for reason in ("duplicate", "fraudulent", "requested_by_customer"):
        assert f'value="{reason}"' in first
    assert 'name="restock"' in first


def test_review_confirm_and_refund_in_part(client, refunds_user, paid_order, committed, stripe_log):
    client.force_login(refunds_user)
    data = form_data("50")

    review = client.post(refund_url(paid_order), data)

    page = review.content.decode()
    assert review.status_code == 200
    assert f"Refund SAR\xa050.00 of order {paid_order.number}?" in page
    assert hidden_value(page, "idempotency_key") == data["idempotency_key"]
    assert Refund.objects.count() == 0 and stripe_refund_calls(stripe_log) == 0  # nothing yet

    done = committed(client.post, refund_url(paid_order), {**data, "confirm": "1"}, follow=True)

    assert ended_on(done) == order_url(paid_order)
    assert messages_of(done) == [
        "The refund of SAR\xa050.00 was sent to Stripe; it is pending until Stripe confirms it."
    ]
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.requested_by) == (
        Decimal("50.00"), RefundStatus.SUCCEEDED, refunds_user)
    assert refund.note == "Customer called" and refund.stripe_reason == "requested_by_customer"
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PARTIALLY_REFUNDED
    page = client.get(order_url(paid_order)).content.decode()
    assert "SAR\xa075.00" in page  # left to refund


def test_a_resubmitted_confirmation_is_one_stripe_refund(client, refunds_user, paid_order,
                                                         committed, stripe_log):
    client.force_login(refunds_user)
    data = {**form_data("30"), "confirm": "1"}

    committed(client.post, refund_url(paid_order), data)
    again = committed(client.post, refund_url(paid_order), data, follow=True)

    assert ended_on(again) == order_url(paid_order)
    assert Refund.objects.count() == 1
    assert stripe_refund_calls(stripe_log) == 1


def test_the_second_refund_takes_the_rest_and_more_is_refused(client, refunds_user,
                                                              paid_order, committed, stripe_log):
    client.force_login(refunds_user)
    committed(client.post, refund_url(paid_order), {**form_data("25"), "confirm": "1"},
              follow=True)

    too_much = client.post(refund_url(paid_order), {**form_data("100.01"), "confirm": "1"})

    assert too_much.status_code == 400
    assert "That is more than what is left to refund (SAR\xa0100.00)." in (
        too_much.content.decode())
    assert stripe_refund_calls(stripe_log) == 1

    page = client.get(refund_url(paid_order)).content.decode()
    rest = committed(client.post, refund_url(paid_order), {
        **form_data("100.00"), "idempotency_key": hidden_value(page, "idempotency_key"),
        "confirm": "1",
    }, follow=True)

    assert ended_on(rest) == order_url(paid_order)
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.REFUNDED
    nothing_left = client.get(refund_url(paid_order), follow=True)
    assert ended_on(nothing_left) == order_url(paid_order)
    assert messages_of(nothing_left) == [
        f"Order {paid_order.number} has nothing left to refund."]


def test_stripe_refusing_the_refund_is_shown_and_nothing_counts(client, refunds_user,
                                                                 paid_order, stripe_faults):
    client.force_login(refunds_user)
    stripe_faults(kind="invalid_request", path_prefix="/v1/refunds")

    response = client.post(refund_url(paid_order), {**form_data("40"), "confirm": "1"},
                           follow=True)

    [message] = messages_of(response)
    assert message.startswith("Stripe refused the refund of SAR\xa040.00: ")
    assert "Invalid request (injected fault)." in message
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
    again = client.get(refund_url(paid_order)).content.decode()
    assert 'name="amount" value="125.00"' in again  # a failed refund is never counted


def test_stripe_unreachable_is_shown(client, refunds_user, paid_order, stripe_faults):
    client.force_login(refunds_user)
    stripe_faults(kind="connection_error", path_prefix="/v1/refunds", times=10)

    response = client.post(refund_url(paid_order), {**form_data("40"), "confirm": "1"},
                           follow=True)

    [message] = messages_of(response)
    assert message.startswith("Stripe could not be reached (")
    assert "Nothing has been refunded yet" in message
    assert Refund.objects.get().status == RefundStatus.REQUESTED


def test_support_staff_get_403_on_the_refund_view(client, support_user, paid_order):
    client.force_login(support_user)

    assert client.get(refund_url(paid_order)).status_code == 403
    assert client.post(refund_url(paid_order),
                       {**form_data("10"), "confirm": "1"}).status_code == 403
    assert Refund.objects.count() == 0
    page = client.get(order_url(paid_order)).content.decode()
    assert refund_url(paid_order) not in page  # no refund button either


def test_above_the_threshold_a_different_manager_approves(client, refunds_user, manager,
                                                          other_manager, paid_order,
                                                          committed, settings, stripe_log):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("100.00")
    client.force_login(manager)

    requested = committed(client.post, refund_url(paid_order),
                          {**form_data("120"), "confirm": "1"}, follow=True)

    assert messages_of(requested) == [
        "The refund of SAR\xa0120.00 is above the approval limit: it is awaiting approval by "
        "a manager. Nothing has been sent to Stripe yet."
    ]
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.AWAITING_APPROVAL
    assert stripe_refund_calls(stripe_log) == 0
    decide = f"/admin/shop_refunds/decide/{refund.pk}/"

    own = client.post(decide, {"decision": "approve"}, follow=True)

    assert messages_of(own) == ["You cannot approve your own refund request."]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.AWAITING_APPROVAL and stripe_refund_calls(stripe_log) == 0

    client.force_login(refunds_user)  # may refund, may not approve
    assert client.get(decide).status_code == 403
    assert client.post(decide, {"decision": "approve"}).status_code == 403

    client.force_login(other_manager)
    assert "Approve and refund" in client.get(decide).content.decode()
    approved = committed(client.post, decide, {"decision": "approve"}, follow=True)

    assert messages_of(approved)[0] == "Refund approved (SAR\xa0120.00)."
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.approved_by == other_manager
    assert stripe_refund_calls(stripe_log) == 1


def test_a_manager_rejects_a_refund_awaiting_approval(client, manager, other_manager,
                                                      paid_order, settings, stripe_log):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("100.00")
    client.force_login(manager)
    client.post(refund_url(paid_order), {**form_data("110"), "confirm": "1"}, follow=True)
    refund = Refund.objects.get()

    client.force_login(other_manager)
    response = client.post(f"/admin/shop_refunds/decide/{refund.pk}/",
                           {"decision": "reject", "note": "Not agreed with the customer"},
                           follow=True)

    assert messages_of(response) == [
        "The refund of SAR\xa0110.00 was rejected; nothing was sent to Stripe."]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REJECTED and stripe_refund_calls(stripe_log) == 0


def test_the_refund_pages_speak_arabic(client, paid_order):
    user = make_staff("Refunds", language="ar")
    client.force_login(user)
    data = form_data("50")

    review = client.post(refund_url(paid_order), data).content.decode()

    assert 'dir="rtl"' in review
    assert paid_order.number in review


def test_the_form_refuses_amounts_off_the_stripe_step_of_three_decimal_currencies(db):
    from django.utils import translation

    from apps.backoffice.forms import RefundForm

    def submit(amount: str) -> RefundForm:
        return RefundForm(form_data(amount), currency="KWD", refundable=Decimal("10.005"))

    with translation.override("en"):
        off_step = submit("1.005")
        assert not off_step.is_valid()
        assert off_step.errors["amount"] == [
            "Stripe refunds KWD in steps of 0.010: enter a multiple of it (e.g. 1.000)."]
        assert submit("1.010").is_valid()
        assert submit("0.010").is_valid()
        # The amount offered is what is left, rounded down to a step Stripe accepts.
        assert submit("1").initial["amount"] == Decimal("10.000")
        two = RefundForm(form_data("10.005"), currency="SAR", refundable=Decimal("20"))
        assert not two.is_valid()  # three decimals for SAR
