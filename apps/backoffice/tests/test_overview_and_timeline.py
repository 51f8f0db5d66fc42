"""The order page's timeline, the dashboard panel's figures, the read-only payments / refunds /
Stripe events / e-mails lists and re-running a Stripe event whose handling failed."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from wagtail.models import ModelLogEntry

from apps.backoffice.selectors import (
    orders_awaiting_retry,
    paid_today,
    refunds_awaiting_approval,
    shop_overview,
)
from apps.backoffice.timeline import order_timeline
from apps.orders.models import OrderStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.metrics import orders_with_open_dispute, payment_success_rate
from apps.payments.models import Payment, PaymentAttempt, StripeEvent
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import (
    event_payload,
    intent_payload,
    place_test_order,
    stripe_id,
)


def pay(order, card_holder, *numbers):
    payment = start_payment(order=order)
    for card in numbers:
        card_holder.confirm(payment.stripe_payment_intent_id, card)
    payment.refresh_from_db()
    return payment


def refund(payment, staff, amount, key, committed):
    return committed(request_refund, payment_id=payment.pk, amount=Decimal(amount),
                     stripe_reason="requested_by_customer", note="Customer called",
                     requested_by=staff, idempotency_key=key)


# --- timeline -------------------------------------------------------------------------------


def test_the_timeline_tells_the_whole_story_in_time_order(order, card_holder, committed,
                                                           refunds_user):
    payment = pay(order, card_holder, cards.DECLINED, cards.SUCCEEDS)
    refund(payment, refunds_user, "25.00", "form-1", committed)

    with translation.override("en"):
        entries = order_timeline(order)

    assert [e.at for e in entries] == sorted(e.at for e in entries)
    kinds = {e.kind for e in entries}
    assert {"status", "payment", "attempt", "event", "email", "refund"} <= kinds
    titles = [e.title for e in entries]
    assert "Status: — → Awaiting payment" in titles
    assert "Status: Awaiting payment → Paid" in titles
    assert "Payment attempt: Failed" in titles
    assert "Payment attempt: Paid" in titles
    assert "Stripe event: payment_intent.succeeded" in titles
    assert "Refund of SAR\xa025.00 requested" in titles
    assert "Refund of SAR\xa025.00 confirmed by Stripe" in titles, "\n".join(titles)
    requested = next(e for e in entries if e.title == "Refund of SAR\xa025.00 requested")
    assert requested.actor == (refunds_user.get_full_name() or refunds_user.email)
    assert requested.kind == "refund" and "Customer called" in requested.detail
    declined = next(e for e in entries if e.title == "Payment attempt: Failed")
    assert declined.failed and "card_declined" in declined.detail
    staff_name = refunds_user.get_full_name() or refunds_user.email
    sent = next(e for e in entries if e.title == "Refund of SAR\xa025.00 sent to Stripe")
    assert sent.actor == staff_name
    assert titles.index("Refund of SAR\xa025.00 requested") < titles.index(
        "Refund of SAR\xa025.00 sent to Stripe") < titles.index(
        "Refund of SAR\xa025.00 confirmed by Stripe")
    emails = [e for e in entries if e.kind == "email"]
    assert any("Refund" in e.title for e in emails)


def test_the_timeline_costs_the_same_queries_however_long_the_history(
    card_holder, committed, refunds_user, product
):
    short = place_test_order(product=product)
    long = place_test_order(product=product)
    pay(short, card_holder, cards.SUCCEEDS)
    payment = pay(long, card_holder, cards.DECLINED, cards.DECLINED, cards.DECLINED, cards.SUCCEEDS)
    for n in range(3):
        refund(payment, refunds_user, "10.00", f"form-{n}", committed)

    with CaptureQueriesContext(connection) as few:
        short_entries = order_timeline(short)
    with CaptureQueriesContext(connection) as many:
        long_entries = order_timeline(long)

    assert len(long_entries) > len(short_entries) + 10
    assert len(many) == len(few) <= 9


def test_the_order_page_shows_summary_and_timeline(client, support_user, order, card_holder):
    payment = pay(order, card_holder, cards.SUCCEEDS)
    client.force_login(support_user)

    page = client.get(f"/admin/shop_orders/inspect/{order.pk}/").content.decode()

    assert order.number in page
    assert "<bdi>Visa •••• 4242</bdi>" in page
    assert payment.stripe_payment_intent_id in page
    assert "Including VAT (15%)" in page
    assert "Left to refund" in page and "SAR\xa0125.00" in page
    assert 'class="shop-timeline"' in page
    assert "Status: Awaiting payment → Paid" in page


# --- dashboard ------------------------------------------------------------------------------


def test_paid_today_counts_orders_paid_since_midnight(card_holder, product):
    today = place_test_order(product=product)
    yesterday = place_test_order(product=product)
    pay(today, card_holder, cards.SUCCEEDS)
    old = pay(yesterday, card_holder, cards.SUCCEEDS)
    Payment.objects.filter(pk=old.pk).update(succeeded_at=timezone.now() - timedelta(days=1))

    assert paid_today() == (1, [("SAR", Decimal("125.000"))])


def test_success_rate_is_succeeded_attempts_over_all_in_7_days(card_holder, product):
    first = place_test_order(product=product)
    second = place_test_order(product=product)
    pay(first, card_holder, cards.DECLINED, cards.SUCCEEDS)
    old = pay(second, card_holder, cards.DECLINED)
    assert payment_success_rate() == (Decimal("33.3"), 3)

    PaymentAttempt.objects.filter(payment=old).update(
        created_at=timezone.now() - timedelta(days=8))
    assert payment_success_rate() == (Decimal("50.0"), 2)


def test_success_rate_without_attempts_is_unknown(db):
    assert payment_success_rate() == (None, 0)


def test_what_needs_staff(card_holder, committed, product, refunds_user, settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    retrying = place_test_order(product=product)
    pay(retrying, card_holder, cards.DECLINED)
    disputed = place_test_order(product=product)
    paid = pay(disputed, card_holder, cards.SUCCEEDS)
    refund(paid, refunds_user, "60.00", "big", committed)
    won = place_test_order(product=product)
    type(won).objects.filter(pk=disputed.pk).update(dispute_status="needs_response")
    type(won).objects.filter(pk=won.pk).update(dispute_status="won")

    assert list(orders_awaiting_retry()) == [retrying]
    assert refunds_awaiting_approval().count() == 1
    assert list(orders_with_open_dispute()) == [disputed]
    overview = shop_overview()
    assert (overview.awaiting_retry, overview.refunds_awaiting_approval,
            overview.open_disputes, overview.paid_today) == (1, 1, 1, 1)


def test_the_dashboard_panel_shows_the_figures(client, support_user, card_holder, product):
    pay(place_test_order(product=product), card_holder, cards.SUCCEEDS)
    client.force_login(support_user)

    page = client.get("/admin/").content.decode()

    assert 'id="shop-overview"' in page or "shop-overview" in page
    assert "Orders paid today" in page
    assert "SAR\xa0125.00" in page
    assert "/admin/shop_refunds/?status=awaiting_approval" in page


# --- read-only lists and re-running an event ------------------------------------------------


@pytest.mark.parametrize("url", [
    "/admin/shop_payments/", "/admin/shop_refunds/", "/admin/shop_stripe_events/",
    "/admin/shop_emails/",
])
def test_the_lists_are_read_only(client, support_user, url, order, card_holder):
    pay(order, card_holder, cards.SUCCEEDS)
    client.force_login(support_user)

    page = client.get(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert f'href="{url}new/"' not in html and "/edit/" not in html
    assert client.get(url + "new/", follow=True).status_code == 404


def test_payments_search_is_exact_on_the_payment_intent(client, support_user, card_holder,
                                                        product):
    wanted = pay(place_test_order(product=product), card_holder, cards.SUCCEEDS)
    other = pay(place_test_order(product=product), card_holder, cards.SUCCEEDS)
    client.force_login(support_user)

    html = client.get("/admin/shop_payments/",
                      {"q": wanted.stripe_payment_intent_id}).content.decode()

    assert wanted.stripe_payment_intent_id in html
    assert other.stripe_payment_intent_id not in html


def failed_event(order) -> StripeEvent:
    """A payment_intent.succeeded whose handling failed, as the webhook leaves it."""
    payment = start_payment(order=order)
    payload = event_payload("payment_intent.succeeded", intent_payload(
        payment, status="succeeded", latest_charge=stripe_id("ch")))
    return StripeEvent.objects.create(
        stripe_id=payload["id"], type=payload["type"], stripe_created=payload["created"],
        payment_intent_id=payment.stripe_payment_intent_id, payload=payload,
        error="RuntimeError: database went away",
    )


def test_staff_rerun_a_failed_event_and_it_is_logged(client, refunds_user, order):
    event = failed_event(order)
    client.force_login(refunds_user)
    inspect = client.get(f"/admin/shop_stripe_events/inspect/{event.pk}/").content.decode()
    assert "data-rerun-button" in inspect
    failed_list = client.get("/admin/shop_stripe_events/", {"failed": "true"}).content.decode()
    assert event.stripe_id in failed_list

    response = client.post(f"/admin/shop_stripe_events/rerun/{event.pk}/", follow=True)

    messages = [str(m).strip() for m in get_messages(response.wsgi_request)]
    assert messages == [f"Stripe event {event.stripe_id} was handled again."]
    event.refresh_from_db()
    assert event.processed_at is not None and event.error == ""
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    entry = ModelLogEntry.objects.get(action="payments.stripe_event.rerun")
    assert (entry.object_id, entry.user) == (str(order.pk), refunds_user)
    with translation.override("en"):
        timeline = order_timeline(order)
    assert any(e.kind == "staff" and e.title == "Stripe event handled again by staff"
               for e in timeline)


def test_support_cannot_rerun_events(client, support_user, order):
    event = failed_event(order)
    client.force_login(support_user)

    assert "data-rerun-button" not in client.get(
        f"/admin/shop_stripe_events/inspect/{event.pk}/").content.decode()
    assert client.post(f"/admin/shop_stripe_events/rerun/{event.pk}/").status_code == 403
    event.refresh_from_db()
    assert event.processed_at is None


# --- review fixes: translated notes and labels, revenue of duplicates -----------------------


def test_status_notes_are_shown_in_the_staff_members_language(order, card_holder, committed,
                                                              refunds_user):
    from django.utils.translation import gettext

    from apps.core.money import format_money

    payment = pay(order, card_holder, cards.SUCCEEDS)
    refund(payment, refunds_user, "40.00", "form-1", committed)
    pi = payment.stripe_payment_intent_id
    # Stored as a reason code and its parameters, put into words when shown.
    assert list(order.status_changes.values_list("reason", "params", "note")) == [
        ("order_placed", {}, ""),
        ("paid", {"payment_intent": pi}, ""),
        ("refunded", {"payment_intent": pi, "amount": "40.00", "currency": "SAR"}, ""),
    ]

    for language in ("en", "ar"):
        with translation.override(language):
            details = [entry.detail for entry in order_timeline(order)
                       if entry.kind == "status"]
            assert details == [
                gettext("Order placed"),
                gettext("Paid with Stripe (%(payment_intent)s)") % {"payment_intent": pi},
                gettext("Refunded with Stripe (%(payment_intent)s): %(amount)s in total")
                % {"payment_intent": pi, "amount": format_money(Decimal("40.00"), "SAR")},
            ]
    with translation.override("ar"):
        assert "ر.س" in details[2]  # the amount is written the Arabic way


def test_expiry_and_a_note_written_by_a_person(order):
    from apps.orders.models import OrderStatusChange
    from apps.orders.services import release_expired_orders

    type(order).objects.filter(pk=order.pk).update(reserved_until=timezone.now())
    release_expired_orders()
    OrderStatusChange.objects.create(order=order, from_status="cancelled",
                                     to_status="cancelled", note="typed by someone")

    with translation.override("en"):
        assert [entry.detail for entry in order_timeline(order) if entry.kind == "status"] == [
            "Order placed", "Stock reservation expired", "typed by someone"]
    with translation.override("ar"):
        details = [entry.detail for entry in order_timeline(order) if entry.kind == "status"]
        assert details[1] == "انتهت مدة حجز المخزون"


def test_email_events_on_the_timeline_use_the_status_labels(order, card_holder):
    from apps.emails.models import EmailEvent, EmailRecord

    pay(order, card_holder, cards.SUCCEEDS)
    record = EmailRecord.objects.filter(order=order).first()
    assert record is not None
    EmailEvent.objects.create(record=record, event_type="bounced", occurred_at=timezone.now())
    EmailEvent.objects.create(record=record, event_type="something_new",
                              occurred_at=timezone.now())

    with translation.override("en"):
        titles = [entry.title for entry in order_timeline(order) if entry.kind == "email"]

    assert any(title.endswith(": Bounced") for title in titles)
    assert any(title.endswith(": something_new") for title in titles)


def test_dispute_statuses_have_labels_on_the_order_page_and_dashboard(
    client, support_user, order, card_holder
):
    from apps.orders.models import DisputeStatus

    payment = pay(order, card_holder, cards.SUCCEEDS)
    type(order).objects.filter(pk=order.pk).update(dispute_status="warning_needs_response")
    Payment.objects.filter(pk=payment.pk).update(dispute_status="warning_needs_response")
    client.force_login(support_user)

    page = client.get(f"/admin/shop_orders/inspect/{order.pk}/").content.decode()
    home = client.get("/admin/").content.decode()

    assert set(DisputeStatus.values) == {
        "needs_response", "under_review", "won", "lost", "warning_needs_response",
        "warning_under_review", "warning_closed", "charge_refunded",
    }
    assert "warning_needs_response" not in page
    assert page.count("Inquiry: needs a response") == 2  # the order and its payment
    assert "Inquiry: needs a response: 1" in home
    assert DisputeStatus.label_of("") == ""
    assert DisputeStatus.label_of("new_status") == "new_status"


def test_a_refunded_duplicate_payment_is_no_revenue(order, card_holder):
    from apps.payments import gateway
    from apps.payments.models import Settlement

    pay(order, card_holder, cards.SUCCEEDS)
    intent = gateway.create_payment_intent(
        amount=order.total, currency=order.currency, order_id=order.pk,
        order_number=order.number, order_public_id=order.public_id, sequence=2,
        description=f"Order {order.number}",
    )
    card_holder.confirm(intent["id"], cards.SUCCEEDS)
    duplicate = Payment.objects.get(stripe_payment_intent_id=intent["id"])
    assert duplicate.settlement == Settlement.REFUND_DUPLICATE
    assert duplicate.succeeded_at is not None

    assert paid_today() == (1, [("SAR", Decimal("125.00"))])


def test_refund_audit_messages_write_the_amount_as_money(order, card_holder, committed,
                                                         refunds_user):
    payment = pay(order, card_holder, cards.SUCCEEDS)
    made = refund(payment, refunds_user, "40.00", "form-1", committed)

    def message():
        return ModelLogEntry.objects.get(action="payments.refund.requested").message

    with translation.override("en"):
        assert message() == f"Refund requested: SAR\xa040.00 (refund #{made.pk})"
    with translation.override("ar"):
        assert "ر.س" in message()
