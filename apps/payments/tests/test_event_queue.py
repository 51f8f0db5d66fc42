"""The webhook answers Stripe once the event is stored and its application queued (one
transaction); the worker applies it, and tries again later after a transient fault."""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.core.tests.concurrency import row_held_elsewhere
from apps.orders.models import Order, OrderStatus
from apps.payments.models import StripeEvent
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import event_payload, intent_payload, stripe_id

APPLY_TASK = "apps.payments.tasks.apply_stripe_event_task"


@pytest.fixture
def database_tasks(settings):
    """Tasks stored as rows by django-tasks-db (the default outside tests), run only when
    `run_worker` runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """django-tasks-db's own worker, as `make run` starts it, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


def succeeded(payment) -> dict:
    return event_payload("payment_intent.succeeded",
                         intent_payload(payment, status="succeeded", latest_charge=stripe_id("ch")))


def queued_tasks():
    from django_tasks_db.models import DBTaskResult

    return list(DBTaskResult.objects.filter(task_path=APPLY_TASK, status="READY"))


@pytest.mark.django_db(transaction=True)
def test_the_webhook_stores_and_queues_and_the_worker_applies(order, post_event,
                                                               database_tasks):
    payment = start_payment(order=order)
    event = succeeded(payment)

    response = post_event(event)

    assert (response.status_code, response.content) == (200, b"queued")
    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert stored.processed_at is None and stored.error == ""
    [task] = queued_tasks()
    assert task.args_kwargs["args"] == [event["id"]]
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # not applied yet

    again = post_event(event)  # Stripe resends before the worker ran: nothing new
    assert (again.status_code, again.content) == (200, b"duplicate")
    assert len(queued_tasks()) == 1

    run_worker()

    order.refresh_from_db()
    stored.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stored.processed_at is not None and stored.error == ""
    assert [message.subject.count(order.number) for message in mail.outbox] == [2]
    assert post_event(event).content == b"duplicate"  # and after it ran, still nothing
    run_worker()
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_an_event_that_cannot_be_queued_is_not_stored_either(order, post_event, settings):
    """One transaction: when queueing fails for lack of the task table, the event row is
    rolled back too, and Stripe is told to retry."""
    payment = start_payment(order=order)
    event = succeeded(payment)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE django_tasks_database_dbtaskresult RENAME TO tasks_away")
    try:
        response = post_event(event)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE tasks_away RENAME TO django_tasks_database_dbtaskresult")

    assert response.status_code == 500
    assert not StripeEvent.objects.filter(stripe_id=event["id"]).exists()
    assert post_event(event).content == b"queued"  # Stripe's retry


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_lock_timeout_in_the_worker_is_retried_with_backoff(order, post_event, settings,
                                                               database_tasks):
    settings.STRIPE_EVENT_RETRY_BACKOFF_SECONDS = 30
    payment = start_payment(order=order)
    event = succeeded(payment)
    assert post_event(event).content == b"queued"
    database = connection.settings_dict["NAME"]
    with row_held_elsewhere(Order, order.pk):
        # For every connection the worker opens, however it manages them.
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{database}" SET lock_timeout = \'300ms\'')
        connection.close()
        before = timezone.now()
        try:
            run_worker()
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER DATABASE "{database}" RESET lock_timeout')
            connection.close()

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT  # rolled back, nothing half-applied
    stored = StripeEvent.objects.get(stripe_id=event["id"])
    assert stored.processed_at is None and stored.attempts == 1 and "lock" in stored.error
    assert before + timedelta(seconds=29) < stored.retry_at
    [retry] = queued_tasks()
    assert retry.run_after == stored.retry_at  # the worker waits until then

    retry.run_after = timezone.now()  # ...which has come
    retry.save(update_fields=["run_after"])
    run_worker()

    order.refresh_from_db()
    stored.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert stored.processed_at is not None and stored.error == "" and stored.retry_at is None
    assert json.loads(json.dumps(stored.payload))["id"] == event["id"]
