"""Sending: once per cause whatever the number of webhook deliveries, a provider outage never
reaches the Stripe webhook, retries with backoff, then failed for staff."""

import threading
import time
from datetime import timedelta

import pytest
from anymail.backends.test import EmailBackend as AnymailTestBackend
from anymail.exceptions import AnymailRecipientsRefused
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.services import (
    backoff,
    queue_order_email,
    record_tracking_event,
    resend_email,
    send_email,
    send_pending_emails,
)
from apps.orders.models import OrderStatus
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import (
    card_error,
    charge_payload,
    event_payload,
    intent_payload,
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


def run_worker(*args: str) -> None:
    """django-tasks-db's own worker, as `make run` starts it, until the queue is empty."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", *args)


@pytest.fixture
def database_tasks(settings):
    """Tasks stored as rows by django-tasks-db, run only when `run_worker` runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_a_failure_notice_is_dropped_when_the_order_got_paid_meanwhile(order, post_event,
                                                                       database_tasks):
    payment = start_payment(order=order)
    declined, paid = stripe_id("ch"), stripe_id("ch")
    # The decline is recorded, but the worker has not run its e-mail task yet...
    assert post_event(event_payload("payment_intent.payment_failed", intent_payload(
        payment, status="requires_payment_method", latest_charge=declined,
        last_payment_error=card_error(charge=declined)))).status_code == 200
    # ...when the shopper pays with another card.
    assert post_event(event_payload("payment_intent.succeeded", intent_payload(
        payment, status="succeeded", latest_charge=paid))).status_code == 200
    assert mail.outbox == []

    run_worker()

    failed = EmailRecord.objects.get(kind=EmailKind.PAYMENT_FAILED)
    assert failed.status == EmailStatus.CANCELLED
    assert [message.subject.count(order.number) for message in mail.outbox] == [2]
    assert EmailRecord.objects.get(kind=EmailKind.ORDER_CONFIRMED).status == EmailStatus.SENT


def test_a_lost_task_is_picked_up_by_send_pending_emails(order, settings, committed):
    # A queue that never runs its tasks (django-tasks' dummy backend): the task is lost.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    record = committed(queue_order_email, order=order, kind=EmailKind.ORDER_CONFIRMED,
                       cause="test:1")
    assert mail.outbox == []

    assert send_pending_emails() == []  # still young: its task may be on the way
    assert send_pending_emails(now=timezone.now() + timedelta(minutes=6)) == [record.pk]
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_the_worker_retries_a_provider_outage_and_sends_once_it_recovers(
    order, settings, provider, database_tasks
):
    """The deferred path end to end: the send task fails, a retry task is stored with
    `run_after`, the worker leaves it alone until it is due, then sends — once."""
    from django_tasks_db.models import DBTaskResult

    settings.EMAIL_RETRY_BACKOFF_SECONDS = 1
    provider.down = True
    with transaction.atomic():
        record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")

    run_worker()

    record.refresh_from_db()
    assert (record.status, record.attempts, provider.calls) == (EmailStatus.RETRYING, 1, 1)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == record.next_attempt_at
    run_worker()  # not due yet: nothing runs
    assert provider.calls == 1

    provider.down = False
    while timezone.now() < record.next_attempt_at:
        time.sleep(0.1)
    run_worker()

    record.refresh_from_db()
    assert (record.status, record.attempts, record.last_error) == (EmailStatus.SENT, 2, "")
    assert len(mail.outbox) == 1
    run_worker()
    assert send_pending_emails(now=timezone.now() + timedelta(days=2)) == []
    assert len(mail.outbox) == 1


def test_the_retry_schedule_is_bounded_and_spans_about_a_day(settings):
    """Defaults: 1, 2, 4, ... 128 minutes, then 4 hours; the last attempt ~a day after the
    first."""
    settings.EMAIL_RETRY_BACKOFF_SECONDS = 60
    settings.EMAIL_RETRY_MAX_DELAY_SECONDS = 4 * 3600
    settings.EMAIL_MAX_ATTEMPTS = 14
    waits = [backoff(n) for n in range(1, settings.EMAIL_MAX_ATTEMPTS)]
    assert [wait.total_seconds() / 60 for wait in waits[:9]] == [1, 2, 4, 8, 16, 32, 64, 128,
                                                                  240]
    assert max(waits) == timedelta(hours=4)
    assert timedelta(hours=22) <= sum(waits, timedelta()) <= timedelta(hours=26)
    assert backoff(200) == timedelta(hours=4)  # no overflow however many attempts


class RefusingProvider(AnymailTestBackend):
    """A provider that has every recipient on its suppression list."""

    esp_name = "Refusing"

    def send_messages(self, email_messages):
        raise AnymailRecipientsRefused("All recipients were rejected: suppressed")


def test_a_refused_recipient_is_rejected_at_once_without_retries(order, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingProvider"
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")

    assert send_email(record.pk) == EmailStatus.REJECTED

    record.refresh_from_db()
    assert (record.status, record.attempts, record.next_attempt_at) == (
        EmailStatus.REJECTED, 1, None)
    assert "AnymailRecipientsRefused" in record.last_error
    assert record.subject  # what was tried, for staff
    assert send_pending_emails(now=timezone.now() + timedelta(days=2)) == []


def test_a_send_abandoned_by_a_crashed_worker_is_marked_unknown_not_resent(order):
    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")
    # A worker claimed it (what send_email does first), then died before recording the
    # outcome: the provider may or may not have accepted the message.
    EmailRecord.objects.filter(pk=record.pk).update(status=EmailStatus.SENDING, attempts=1)

    assert send_pending_emails(now=timezone.now() + timedelta(minutes=5)) == []
    assert EmailRecord.objects.get(pk=record.pk).status == EmailStatus.SENDING  # still young
    assert send_pending_emails(now=timezone.now() + timedelta(minutes=11)) == []

    record.refresh_from_db()
    assert record.status == EmailStatus.UNKNOWN
    assert "provider may have accepted it" in record.last_error
    assert mail.outbox == []
    # Neither the task nor the safety net sends it again blindly.
    assert send_email(record.pk, force=True) == EmailStatus.UNKNOWN
    call_command("send_pending_emails", "--all", "--failed")
    assert mail.outbox == []
    # Staff checked the provider's log: nothing went out, so they resend it.
    resend_email(record.pk, actor=None)
    assert send_email(record.pk) == EmailStatus.SENT
    assert len(mail.outbox) == 1


def test_a_late_provider_event_settles_an_unknown_record(order):
    from types import SimpleNamespace

    record = queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause="t:1")
    EmailRecord.objects.filter(pk=record.pk).update(status=EmailStatus.UNKNOWN)

    record_tracking_event(event=SimpleNamespace(
        event_type="delivered", message_id="", event_id="ev-1", timestamp=timezone.now(),
        recipient=order.email, description="", mta_response="", esp_event={},
        metadata={"email_record": str(record.pk)},
    ), esp_name="Postmark")

    record.refresh_from_db()
    assert record.status == EmailStatus.DELIVERED


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
