"""Catching up after downtime: undelivered events, failed events, stale open payments."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.orders.models import Order, OrderStatus
from apps.orders.services import release_expired_orders
from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment, PaymentStatus, StripeEvent
from apps.payments.services import fulfilment
from apps.payments.services.intents import start_payment
from apps.payments.services.reconciliation import reconcile_payments
from apps.payments.tests.factories import event_payload, intent_payload

pytestmark = pytest.mark.django_db


def test_events_missed_while_the_shop_was_down_are_processed(order, committed,
                                                             django_capture_on_commit_callbacks,
                                                             card_holder_now):
    payment = start_payment(order=order)
    with django_capture_on_commit_callbacks(execute=False):  # the deliveries never happen
        card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT

    report = committed(reconcile_payments)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert "payment_intent.succeeded" in StripeEvent.objects.values_list("type", flat=True)
    assert len(report.events_processed) == 3  # created, charge.succeeded, succeeded
    again = committed(reconcile_payments)
    assert again.events_processed == []


def test_a_failed_event_is_rerun_by_staff(order, post_event, monkeypatch, capsys):
    payment = start_payment(order=order)
    event = event_payload("payment_intent.succeeded",
                          intent_payload(payment, status="succeeded", latest_charge="ch_1"))
    monkeypatch.setattr(fulfilment, "_paid", lambda order, payment: 1 / 0)
    assert post_event(event).status_code == 200  # stored as failed for staff
    monkeypatch.undo()

    call_command("reconcile_payments", event=event["id"])

    assert f"{event['id']}: 200 processed" in capsys.readouterr().out
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_open_payments_of_cancelled_orders_are_canceled(order, committed, stripe_log):
    payment = start_payment(order=order)
    Order.objects.filter(pk=order.pk).update(reserved_until=timezone.now() - timedelta(hours=1))
    release_expired_orders()
    Payment.objects.filter(pk=payment.pk).update(updated_at=timezone.now() - timedelta(hours=1))
    # and its payment_intent.created event was delivered long ago
    stripe_log.objects.filter(kind="event").update(meta={"delivered": True})

    report = committed(reconcile_payments)

    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CANCELED
    assert report.payments_canceled == [payment.stripe_payment_intent_id]


def test_the_command_reports(order, capsys):
    call_command("reconcile_payments")
    assert "Events processed:" in capsys.readouterr().out
