"""Signed events that can never be processed stop poisoning: each is answered 2xx once (so
Stripe stops sending it), stored sanitized as failed with its reason for staff, and can be
re-run by them. A transient fault is never lost: the database unreachable while the event is
being stored rolls back and answers 500, so Stripe retries; a lock timeout while it is being
applied rolls the application back and the worker tries again later."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.core.tests.concurrency import row_held_elsewhere
from apps.orders.models import Order, OrderStatus
from apps.payments.models import StripeEvent
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import charge_payload, event_payload, intent_payload, stripe_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def payment(order):
    return start_payment(order=order)


def succeeded(payment) -> dict:
    return event_payload("payment_intent.succeeded",
                         intent_payload(payment, status="succeeded", latest_charge=stripe_id("ch")))


def without(obj: dict, field: str) -> dict:
    return {key: value for key, value in obj.items() if key != field}


def poison_cases(payment) -> dict[str, str]:
    """name -> the body Stripe would POST (signed by the test)."""
    no_id = succeeded(payment)
    no_id["data"]["object"] = without(no_id["data"]["object"], "id")
    charge = charge_payload(payment, charge_id=stripe_id("ch"))
    no_currency = event_payload("charge.succeeded", without(charge, "currency"))
    nul = succeeded(payment)
    nul["data"]["object"]["description"] = "Order\u0000 GE"
    deep = '{"id": "evt_deep", "object": "event", "data": ' + "[" * 50_000 + "]" * 50_000 + "}"
    return {
        "object without id": json.dumps(no_id),
        "charge without currency": json.dumps(no_currency),
        "nested 50,000 deep": deep,
        "NUL escape": json.dumps(nul),  # written "\\u0000" in the JSON, as Stripe would
    }


@pytest.mark.parametrize("case", ["object without id", "charge without currency",
                                  "nested 50,000 deep", "NUL escape"])
def test_a_poison_event_is_answered_once_and_stored_as_failed(
    case, payment, order, post_event, client, refunds_user
):
    body = poison_cases(payment)[case]

    first = post_event(body)
    again = post_event(body)  # had Stripe sent it again

    assert first.status_code == again.status_code == 200
    stored = StripeEvent.objects.get()  # one row, however often it comes
    assert stored.processed_at is None and stored.error
    assert "\x00" not in json.dumps(stored.payload) + stored.error  # sanitized
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # nothing applied

    # Staff see it among the failed events and may run it again. A broken event fails
    # again, cleanly, and stays for them; the one whose NUL was replaced is now readable, and
    # goes through.
    client.force_login(refunds_user)
    listed = client.get("/admin/shop_stripe_events/?failed=true").content.decode()
    assert stored.stripe_id in listed
    rerun = client.post(f"/admin/shop_stripe_events/rerun/{stored.pk}/")
    assert rerun.status_code == 302
    stored.refresh_from_db()
    order.refresh_from_db()
    if case == "NUL escape":
        assert stored.processed_at is not None
        assert order.status == OrderStatus.PAID
    else:
        assert stored.processed_at is None and stored.error
        assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_nul_in_a_handled_field_keeps_the_event_for_staff_readable(payment, post_event):
    event = succeeded(payment)
    event["data"]["object"]["metadata"]["note"] = "a\u0000b"

    post_event(json.dumps(event))

    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert stored.payload["data"]["object"]["metadata"]["note"] == "a\ufffdb"
    assert "NUL" in stored.error


# --- transient faults: rolled back, tried again ------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_while_applying_is_rolled_back_and_retried(
    payment, order, post_event, settings
):
    settings.STRIPE_EVENT_RETRY_BACKOFF_SECONDS = 30
    body = json.dumps(succeeded(payment))
    event_id = json.loads(body)["id"]
    with row_held_elsewhere(Order, order.pk):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")
        try:
            before = timezone.now()
            response = post_event(body)  # the immediate task backend applies it right here
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")

    assert response.status_code == 200  # stored: Stripe need not send it again
    assert response.content == b"retrying"
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # nothing half-applied
    stored = StripeEvent.objects.get(stripe_id=event_id)
    assert stored.processed_at is None
    assert "lock" in stored.error
    assert stored.attempts == 1
    assert before + timedelta(seconds=29) < stored.retry_at < timezone.now() + timedelta(seconds=31)

    # The next catch-up (the worker's retry task where the backend can wait, or
    # reconcile_payments) applies it.
    call_command("reconcile_payments")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    stored.refresh_from_db()
    assert stored.processed_at is not None and stored.error == "" and stored.retry_at is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_database_outage_answers_500(payment, order, post_event):
    body = json.dumps(succeeded(payment))
    settings_dict = connection.settings_dict
    real_port = settings_dict.get("PORT")
    connection.close()
    settings_dict["PORT"] = "1"  # nothing listens there: the database is unreachable
    try:
        response = post_event(body)
    finally:
        connection.close()
        settings_dict["PORT"] = real_port

    assert response.status_code == 500
    assert post_event(body).status_code == 200  # Stripe's retry, once the database is back
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
