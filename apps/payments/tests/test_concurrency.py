"""Real concurrency on PostgreSQL: real threads, real transactions, real row locks."""

import json
import threading
import time

import pytest
from django.conf import settings
from django.db import connections

from apps.orders.models import OrderStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment, PaymentStatus, Settlement, StripeEvent
from apps.payments.services import fulfilment
from apps.payments.services.fulfilment import refresh_payment
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order
from apps.payments.tests.fixtures import stripe_signature
from apps.payments.webhooks import process_webhook

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SUCCEEDED_TASK = "e-mail:order_confirmed"  # the confirmation e-mail queued


def run_together(*functions, timeout=60):
    """Start every function at the same moment, each in its own thread (own connection)."""
    barrier = threading.Barrier(len(functions))
    results, errors = [None] * len(functions), []

    def worker(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index, function))
               for index, function in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "deadlock?"
    assert not errors, errors
    return results


def paid_without_webhooks(settings_fixture, card_holder_now, stripe_log):
    """An order whose card was accepted; Stripe's webhooks not delivered yet. Returns the
    order, its payment and the signed-ready payload of payment_intent.succeeded."""
    order = place_test_order()
    payment = start_payment(order=order)
    settings_fixture.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    settings_fixture.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    event = stripe_log.objects.get(kind="event", data__type="payment_intent.succeeded")
    return order, payment, stripe_log.event_body(event.pk)


def signed(payload):
    return stripe_signature(payload, settings.STRIPE_WEBHOOK_SECRET)


def slow_down_settlement(monkeypatch, seconds=0.2):
    """Hold the locks a little longer so the other thread really has to wait on them."""
    original = fulfilment.settle

    def slow(order, payment):
        time.sleep(seconds)
        return original(order, payment)

    monkeypatch.setattr(fulfilment, "settle", slow)


@pytest.mark.parametrize("slow", [False, True])
def test_return_page_and_webhook_at_the_same_moment_pay_once(settings, monkeypatch, enqueued,
                                                             slow, card_holder_now, stripe_log):
    order, payment, payload = paid_without_webhooks(settings, card_holder_now, stripe_log)
    if slow:
        slow_down_settlement(monkeypatch)

    return_page, webhook = run_together(
        lambda: refresh_payment(payment=Payment.objects.get(pk=payment.pk)),
        lambda: process_webhook(payload=payload.encode(), signature_header=signed(payload)),
    )

    assert webhook.status_code == 200
    assert return_page.payment.status == PaymentStatus.SUCCEEDED
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert payment.settlement == Settlement.PAID_ORDER
    assert enqueued.count(SUCCEEDED_TASK) == 1


def test_twenty_concurrent_deliveries_of_one_event_change_the_order_once(
    settings, monkeypatch, enqueued, card_holder_now, stripe_log
):
    order, payment, payload = paid_without_webhooks(settings, card_holder_now, stripe_log)
    slow_down_settlement(monkeypatch, seconds=0.1)
    deliveries = [
        (lambda: process_webhook(payload=payload.encode(), signature_header=signed(payload)))
        for _ in range(20)
    ]

    results = run_together(*deliveries)

    assert [result.status_code for result in results] == [200] * 20
    assert sorted(result.detail for result in results) == ["duplicate"] * 19 + ["processed"]
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1
    assert StripeEvent.objects.filter(stripe_id=json.loads(payload)["id"]).count() == 1
    assert enqueued.count(SUCCEEDED_TASK) == 1


def test_two_first_visits_at_once_create_one_payment_intent(settings, stripe_log):
    order = place_test_order()

    first, second = run_together(lambda: start_payment(order=order),
                                 lambda: start_payment(order=order))

    assert first.pk == second.pk
    assert Payment.objects.count() == 1
    assert stripe_log.objects.filter(kind="payment_intent").count() == 1
