"""Sending: once per cause whatever the number of webhook deliveries, a provider outage never
reaches the Stripe webhook, retries with backoff, then failed for staff."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.services import backoff, queue_order_email, send_email, send_pending_emails
from apps.orders.models import OrderStatus
from apps.payments.services import start_payment
from apps.payments.tests.factories import (
    charge_payload,
    event_payload,
    intent_payload,
    place_test_order,
    stripe_id,
)

pytestmark = pytest.mark.django_db


def succeeded_events(order):
    """What Stripe sends when the payment succeeds: two events about the same payment."""
    payment = start_payment(order=order)
    charge = stripe_id("ch")
    return payment, [
        event_payload("payment_intent.succeeded",
                      intent_payload(payment, status="succeeded", latest_charge=charge)),
        event_payload("charge.succeeded", charge_payload(payment, charge_id=charge)),
    ]


def test_redelivering_the_same_event_five_times_sends_one_message(order, post_event, committed,
                                                                  enqueued):
    _payment, (succeeded, charge_succeeded) = succeeded_events(order)

    for _ in range(5):
        assert committed(post_event, succeeded).status_code == 200
    for _ in range(5):
        assert committed(post_event, charge_succeeded).status_code == 200

    record = EmailRecord.objects.get()
    assert (record.kind, record.status, record.attempts) == (
        EmailKind.ORDER_CONFIRMED, EmailStatus.SENT, 1)
    assert len(mail.outbox) == 1
    assert enqueued.count("e-mail:order_confirmed") == 1


def test_a_provider_outage_never_breaks_the_stripe_webhook(order, post_event, committed,
                                                          provider):
    _payment, (succeeded, _charge) = succeeded_events(order)
    provider.down = True

    response = committed(post_event, succeeded)

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # the order update is kept
    record = EmailRecord.objects.get()
    assert record.status == EmailStatus.RETRYING
    assert record.attempts == 1
    assert "503" in record.last_error
    assert record.next_attempt_at > timezone.now()
    assert mail.outbox == []

    # Stripe redelivers while the provider is still down: nothing new is queued or tried.
    for _ in range(5):
        assert committed(post_event, succeeded).status_code == 200
    assert provider.calls == 1

    # The provider recovers; the retry (send_pending_emails, cron) sends it, once.
    provider.down = False
    assert send_pending_emails(now=timezone.now()) == []  # not due yet
    sent = send_pending_emails(now=record.next_attempt_at)
    assert sent == [record.pk]
    record.refresh_from_db()
    assert (record.status, record.attempts, record.last_error) == (EmailStatus.SENT, 2, "")
    assert record.provider_message_id
    assert len(mail.outbox) == 1
    assert send_pending_emails(now=timezone.now() + timedelta(days=1)) == []
    for _ in range(5):
        assert committed(post_event, succeeded).status_code == 200
    assert len(mail.outbox) == 1


def test_a_deferring_task_backend_retries_with_backoff(order, settings, provider,
                                                       django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")
    first = DBTaskResult.objects.get()
    assert first.task_path == "apps.emails.tasks.send_email_task"
    assert first.args_kwargs["args"] == [record.pk]
    provider.down = True
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True):
        send_email(record.pk)  # what the db_worker runs

    record.refresh_from_db()
    assert record.status == EmailStatus.RETRYING
    retry = DBTaskResult.objects.exclude(pk=first.pk).get()
    assert retry.task_path == "apps.emails.tasks.send_email_task"
    assert retry.args_kwargs["args"] == [record.pk]
    assert retry.run_after == record.next_attempt_at
    assert retry.run_after >= before + backoff(1)
    # Run before its time (a second worker, a stray task): it waits.
    provider.down = False
    assert send_email(record.pk) == EmailStatus.RETRYING
    assert mail.outbox == []


def test_backoff_doubles(settings):
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 60
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]


def test_after_the_last_attempt_it_is_failed_for_staff(order, settings, provider):
    settings.EMAIL_MAX_ATTEMPTS = 3
    provider.down = True
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")

    statuses = [send_email(record.pk, force=True) for _ in range(4)]

    assert statuses == [EmailStatus.RETRYING, EmailStatus.RETRYING, EmailStatus.FAILED,
                        EmailStatus.FAILED]
    record.refresh_from_db()
    assert record.attempts == 3
    assert "503" in record.last_error
    assert provider.calls == 3
    assert send_pending_emails(now=timezone.now() + timedelta(days=1)) == []


def test_a_sent_message_is_never_sent_again(order):
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")
    assert send_email(record.pk) == EmailStatus.SENT

    assert send_email(record.pk, force=True) == EmailStatus.SENT
    assert queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1") is None
    call_command("send_pending_emails", "--all")
    assert len(mail.outbox) == 1


def test_a_failure_notice_is_dropped_when_the_order_got_paid_meanwhile(product, sandbox,
                                                                       committed):
    order = place_test_order(product=product)
    payment = start_payment(order=order)
    # The decline is recorded, but its e-mail task has not run yet...
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("apps.emails.services._enqueue", lambda *args, **kwargs: None)
        sandbox.confirm(payment.stripe_payment_intent_id, "4000000000000002")
    # ...when the shopper pays with another card.
    sandbox.confirm(payment.stripe_payment_intent_id, "4242424242424242")

    failed = EmailRecord.objects.get(kind=EmailKind.PAYMENT_FAILED)
    assert send_email(failed.pk) == EmailStatus.CANCELLED
    assert [message.subject.count(order.number) for message in mail.outbox] == [2]
    assert EmailRecord.objects.get(kind=EmailKind.ORDER_CONFIRMED).status == EmailStatus.SENT


def test_a_lost_task_is_picked_up_by_send_pending_emails(order, monkeypatch):
    monkeypatch.setattr("apps.emails.services._enqueue", lambda *args, **kwargs: None)
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")

    assert send_pending_emails() == []  # still young: its task may be on the way
    assert send_pending_emails(now=timezone.now() + timedelta(minutes=6)) == [record.pk]
    assert len(mail.outbox) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_the_same_moment_send_once(order):
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="test:1")
    barrier = threading.Barrier(2)
    results = []

    def worker():
        try:
            barrier.wait()
            results.append(send_email(record.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # The loser saw the winner's claim (sending) or its outcome (sent); it sent nothing.
    assert EmailStatus.SENT in results
    assert len(mail.outbox) == 1
    record.refresh_from_db()
    assert (record.status, record.attempts) == (EmailStatus.SENT, 1)
