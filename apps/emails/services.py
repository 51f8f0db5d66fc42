"""E-mail rules: queue a message once per cause, send it outside any lock, retry a provider
error with backoff, and apply the provider's tracking events.

* `queue_order_email` runs inside the caller's transaction (the caller holds the order lock):
  the unique (order, kind, cause) makes a redelivered webhook queue nothing new, and the send
  task is enqueued only after that transaction commits.
* `send_email` claims the record under its row lock (status check under the lock), then
  renders and sends with no lock held and no transaction open, then records the outcome. A
  record already sent is never sent again.
* A provider outage never reaches the caller: the send happens in a task, its errors are
  caught, counted and retried (`send_email_task` deferred with `run_after` when the task
  backend can defer; else `send_pending_emails` picks the record up), then marked failed.
* At most once, honestly: a record left `sending` (the worker died after the provider may
  have accepted it) is never sent again automatically; `send_pending_emails` marks it
  `unknown` for staff, who check the provider's log and `resend_email` it if needed.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime, timedelta
from typing import Any

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from apps.core import retry
from apps.core.tasks import stores_tasks_in_database
from apps.emails.models import EmailEvent, EmailKind, EmailRecord, EmailStatus
from apps.emails.rendering import render_email
from apps.orders.models import Order, OrderStatus

logger = logging.getLogger(__name__)

# Errors worth another try later: the provider's API or the network.
RETRYABLE_ERRORS: tuple[type[BaseException], ...] = (AnymailError, OSError, smtplib.SMTPException)
# A record left "sending" this long was abandoned by a crashed worker. The provider may have
# accepted the message before the crash, so it is marked "unknown" for staff, never resent.
STALE_CLAIM = timedelta(minutes=10)
STALE_CLAIM_ERROR = (
    "The worker stopped while sending this message: the provider may have accepted it. "
    "Check the provider's log for it before resending."
)
NO_RECIPIENT_ERROR = "No recipient: SHOP_STAFF_ALERT_EMAILS is empty (or the order has no e-mail)."
# A record still "queued" this long after it was created lost its task (e.g. the process died
# between commit and enqueue): `send_pending_emails` sends it.
LOST_TASK = timedelta(minutes=5)

PENDING_STATUSES = (EmailStatus.QUEUED, EmailStatus.RETRYING)
# Audit-log action on the order when staff resend a message (data: email_record, kind,
# previous_status, last_error); the back office shows it in the order's history.
EMAIL_RESENT = "emails.email.resent"
# What staff may send again: it did not reach the reader (or nobody knows whether it did).
RESENDABLE_STATUSES = (EmailStatus.FAILED, EmailStatus.UNKNOWN, EmailStatus.REJECTED)


class EmailResendRefused(Exception):
    """The message cannot be sent again (already sent, delivered or on its way)."""


# --- queueing -------------------------------------------------------------------------------


def recipients_for(*, order: Order, kind: str) -> list[str]:
    if kind in EmailKind.for_staff():
        return list(settings.SHOP_STAFF_ALERT_EMAILS)
    return [order.email]


def queue_order_email(
    *, order: Order, kind: str, cause: str, facts: dict[str, Any] | None = None
) -> EmailRecord | None:
    """Record that `order` needs the `kind` message because of `cause` (a payment, a failed
    attempt, a refund, a dispute) and send it after the current transaction commits.

    `facts` are what the message states beyond the order itself (amounts, the card, a
    reason, a link), handed over by the app that caused it and frozen now: a text that
    differs by language is a {"ar": …, "en": …} dict (`apps.core.i18n.in_each_language`).

    Call it inside the transaction that made the change, holding the order's row lock (as
    every service that changes an order does): the same (order, kind, cause) a second time
    — a redelivered webhook — returns None and sends nothing, and the lock is what keeps
    two deliveries from both passing the check (the unique constraint is the backstop)."""
    language = order.language if order.language in ("ar", "en") else settings.LANGUAGE_CODE[:2]
    if kind in EmailKind.for_staff():
        language = settings.SHOP_STAFF_ALERT_LANGUAGE[:2]
    cause = cause[:120]
    if EmailRecord.objects.filter(order=order, kind=kind, cause=cause).exists():
        return None
    record = EmailRecord.objects.create(
        order=order,
        kind=kind,
        cause=cause,
        to=recipients_for(order=order, kind=kind),
        language=language,
        data=facts or {},
    )
    record_id = record.pk
    if _tasks_in_database():
        _enqueue(record_id)  # a task row: committed with the record, or rolled back with it
    else:
        transaction.on_commit(lambda: _enqueue(record_id))
    return record


def _tasks_in_database() -> bool:
    from apps.emails.tasks import send_email_task

    return stores_tasks_in_database(send_email_task.get_backend())


def _enqueue(record_id: int, *, run_after: datetime | None = None) -> None:
    from apps.emails.tasks import send_email_task

    task = send_email_task.using(run_after=run_after) if run_after else send_email_task
    task.enqueue(record_id)


def can_defer() -> bool:
    """Whether the task backend can run a task later (`run_after`). The immediate backend
    cannot: its retries wait for `send_pending_emails`."""
    from apps.emails.tasks import send_email_task

    return bool(send_email_task.get_backend().supports_defer)


# --- sending --------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """Base, 2x, 4x, 8x ... after the 1st, 2nd, 3rd, 4th failed attempt, never more than
    EMAIL_RETRY_MAX_DELAY_SECONDS (with the defaults: 1 min doubling up to 128 min, then
    4 hours each time)."""
    return retry.backoff(attempts, base_seconds=settings.EMAIL_RETRY_BACKOFF_SECONDS,
                         max_seconds=settings.EMAIL_RETRY_MAX_DELAY_SECONDS)


def send_email(record_id: int, *, force: bool = False) -> str:
    """Send one queued message; returns the record's status afterwards.

    Safe to run any number of times and at the same moment from several workers: only the
    worker that claims the record (queued or retrying -> sending, under its row lock) sends.
    A retry that is not due yet waits unless `force`."""
    record = _claim(record_id, force=force)
    if record is None:
        current = EmailRecord.objects.filter(pk=record_id).values_list("status", flat=True)
        return current.first() or ""
    if _no_longer_relevant(record):
        return _finish(record_id, status=EmailStatus.CANCELLED)
    if not [address for address in record.to or [] if str(address).strip()]:
        # Never "sent" to nobody: staff see it failed, with the reason.
        logger.error("E-mail %s (%s) has no recipient", record_id, record.kind)
        return _finish(record_id, status=EmailStatus.FAILED, error=NO_RECIPIENT_ERROR)

    connection = get_connection()
    provider = getattr(connection, "esp_name", "") or type(connection).__module__
    try:
        rendered = render_email(record)
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=record.to,
            reply_to=[settings.SHOP_IDENTITY["email"]],  # customer care answers replies
            connection=connection,
            headers={"Content-Language": record.language},
        )
        message.attach_alternative(rendered.html, "text/html")
        # anymail: passed to the ESP and echoed back on tracking webhooks.
        message.metadata = {
            "email_record": str(record.pk),
            "order": record.order.number,
            "kind": record.kind,
        }
        message.tags = [record.kind]
        message.send()
    except AnymailRecipientsRefused as exc:
        # Every recipient is invalid or suppressed at the provider: retrying cannot help.
        logger.warning("E-mail %s refused by %s: %s", record_id, provider, exc)
        return _finish(record_id, status=EmailStatus.REJECTED, provider=provider,
                       error=f"{type(exc).__name__}: {exc}", subject=rendered.subject)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, none reaches callers
        if not isinstance(exc, RETRYABLE_ERRORS):
            logger.exception("E-mail %s could not be built or sent", record_id)
        return _failed_attempt(record_id, provider=provider, error=f"{type(exc).__name__}: {exc}")

    status = getattr(message, "anymail_status", None)
    message_id = getattr(status, "message_id", None)
    if isinstance(message_id, set):  # one id per recipient: keep them all, sorted
        message_id = " ".join(sorted(str(item) for item in message_id))
    return _finish(
        record_id, status=EmailStatus.SENT, provider=provider, subject=rendered.subject,
        message_id=str(message_id) if message_id is not None else "",
    )


def _claim(record_id: int, *, force: bool) -> EmailRecord | None:
    now = timezone.now()
    with transaction.atomic():
        record = (
            EmailRecord.objects.select_for_update().select_related("order").filter(pk=record_id)
            .first()
        )
        if record is None:
            return None
        if record.status not in PENDING_STATUSES:
            return None  # sent, failed, unknown, or being sent by another worker
        if (
            record.status == EmailStatus.RETRYING and not force
            and record.next_attempt_at is not None and record.next_attempt_at > now
        ):
            return None  # not due yet; its deferred task or send_pending_emails comes back
        record.status = EmailStatus.SENDING
        record.attempts += 1
        record.next_attempt_at = None
        record.save(update_fields=["status", "attempts", "next_attempt_at", "updated_at"])
    return record


def _no_longer_relevant(record: EmailRecord) -> bool:
    # A payment failure notice for an order that got paid (or cancelled) meanwhile would only
    # confuse: its "try again" link no longer leads anywhere useful.
    return (
        record.kind == EmailKind.PAYMENT_FAILED
        and Order.objects.filter(pk=record.order_id).exclude(
            status=OrderStatus.PENDING_PAYMENT
        ).exists()
    )


def _finish(
    record_id: int, *, status: str, provider: str = "", error: str = "", subject: str = "",
    message_id: str = "",
) -> str:
    with transaction.atomic():
        record = EmailRecord.objects.select_for_update().get(pk=record_id)
        record.status = status
        record.provider = provider[:40] or record.provider
        record.subject = subject[:300] or record.subject
        if status == EmailStatus.SENT:
            # Even over "unknown": a slow worker that did finish knows best.
            record.sent_at = timezone.now()
            record.provider_message_id = message_id[:255]
            record.last_error = ""
        elif error:
            record.last_error = error
        record.save()
    logger.info("E-mail %s (%s): %s", record_id, record.kind, status)
    return status


def _failed_attempt(record_id: int, *, provider: str, error: str) -> str:
    with transaction.atomic():
        record = EmailRecord.objects.select_for_update().get(pk=record_id)
        record.provider = provider[:40]
        record.last_error = error
        if record.attempts >= settings.EMAIL_MAX_ATTEMPTS:
            record.status = EmailStatus.FAILED
            record.next_attempt_at = None
            logger.error("E-mail %s (%s, order %s) failed after %s attempts: %s",
                         record_id, record.kind, record.order_id, record.attempts, error)
        else:
            record.status = EmailStatus.RETRYING
            record.next_attempt_at = _whole_second(timezone.now() + backoff(record.attempts))
            logger.warning("E-mail %s attempt %s failed, retrying at %s: %s", record_id,
                           record.attempts, record.next_attempt_at, error)
        record.save()
        if record.status == EmailStatus.RETRYING and can_defer():
            run_after = record.next_attempt_at
            transaction.on_commit(lambda: _enqueue(record_id, run_after=run_after))
    return record.status


def _whole_second(moment: datetime) -> datetime:
    """`moment` rounded up to a whole second. RQ's scheduler keeps a deferred task's time in
    whole seconds, rounded down, and a retry that starts before its time sends nothing (its
    record waits for `send_pending_emails`): a whole second is the same for both."""
    return moment if not moment.microsecond else (
        moment.replace(microsecond=0) + timedelta(seconds=1))


def send_pending_emails(
    *, now: datetime | None = None, due_only: bool = True, failed: bool = False
) -> list[int]:
    """Send what is waiting: retries that are due (all of them with `due_only=False`) and
    messages whose task was lost; with `failed`, first requeue the failed ones (a provider
    outage longer than the retries). Claims abandoned by a crashed worker are marked
    `unknown`, not sent: the provider may have accepted them. Returns the ids of the records
    sent. Run by `manage.py send_pending_emails` (cron or `--every`)."""
    now = now or timezone.now()
    mark_stale_claims_unknown(now=now)
    requeued = []
    if failed:
        for record_id in EmailRecord.objects.filter(status=EmailStatus.FAILED).order_by(
            "pk"
        ).values_list("pk", flat=True):
            try:
                requeued.append(resend_email(record_id, actor=None, enqueue=False).pk)
            except EmailResendRefused:
                continue  # changed meanwhile (a tracking event, staff)
    retrying = Q(status=EmailStatus.RETRYING)
    if due_only:
        retrying &= Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True)
    waiting = retrying | Q(status=EmailStatus.QUEUED, created_at__lte=now - LOST_TASK)
    if requeued:
        waiting |= Q(status=EmailStatus.QUEUED, pk__in=requeued)
    sent = []
    for record_id in EmailRecord.objects.filter(waiting).order_by("pk").values_list(
        "pk", flat=True
    ):
        if send_email(record_id, force=True) == EmailStatus.SENT:
            sent.append(record_id)
    return sent


def mark_stale_claims_unknown(*, now: datetime | None = None) -> list[int]:
    """Records `sending` for longer than STALE_CLAIM: the worker died between claiming and
    recording the outcome, maybe after the provider accepted the message. Resending could
    send it twice, so they become `unknown` for staff to check (a late tracking event from
    the provider still moves them on). Returns their ids."""
    now = now or timezone.now()
    marked = []
    stale = Q(status=EmailStatus.SENDING, updated_at__lte=now - STALE_CLAIM)
    for record_id in EmailRecord.objects.filter(stale).values_list("pk", flat=True):
        with transaction.atomic():
            record = EmailRecord.objects.select_for_update().filter(stale, pk=record_id).first()
            if record is None:
                continue  # its worker finished meanwhile
            record.status = EmailStatus.UNKNOWN
            record.last_error = STALE_CLAIM_ERROR
            record.save(update_fields=["status", "last_error", "updated_at"])
        logger.error("E-mail %s (%s, order %s) may or may not have been sent: marked unknown",
                     record_id, record.kind, record.order_id)
        marked.append(record_id)
    return marked


def resend_email(record_id: int, *, actor=None, enqueue: bool = True) -> EmailRecord:
    """Staff (or `send_pending_emails --failed`, actor None) ask for a message that did not
    reach its reader — failed, rejected, or unknown after a worker crash, once checked at the
    provider — to be sent again. It is queued afresh (attempts from zero) and sent after
    commit; who asked is kept on the record and in the order's audit log. A message that is
    sent, delivered or on its way is refused (`EmailResendRefused`)."""
    with transaction.atomic():
        record = EmailRecord.objects.select_for_update().select_related("order").get(
            pk=record_id
        )
        if record.status not in RESENDABLE_STATUSES:
            raise EmailResendRefused(
                _("This e-mail cannot be sent again: its status is “%(status)s”.")
                % {"status": record.get_status_display()}
            )
        previous = record.status
        record.status = EmailStatus.QUEUED
        record.attempts = 0
        record.next_attempt_at = None
        record.resent_by = actor if getattr(actor, "pk", None) else None
        record.resent_at = timezone.now()
        record.save()
        log(record.order, EMAIL_RESENT, user=record.resent_by, data={
            "email_record": record.pk, "kind": record.kind, "previous_status": previous,
            "last_error": record.last_error,
        })
        if enqueue:
            transaction.on_commit(lambda: _enqueue(record_id))
    logger.info("E-mail %s (%s) requeued (was %s) by %s", record_id, record.kind, previous,
                record.resent_by or "send_pending_emails")
    return record


# --- tracking -------------------------------------------------------------------------------

# Higher rank wins; problems outrank deliveries (a bounce can follow "delivered").
STATUS_RANK: dict[str, int] = {
    EmailStatus.SENT: 1,
    EmailStatus.DEFERRED: 2,
    EmailStatus.DELIVERED: 3,
    EmailStatus.OPENED: 4,
    EmailStatus.CLICKED: 5,
    EmailStatus.FAILED: 6,
    EmailStatus.REJECTED: 6,
    EmailStatus.BOUNCED: 6,
    EmailStatus.UNSUBSCRIBED: 7,
    EmailStatus.COMPLAINED: 7,
}

# anymail's normalized event types -> our status (others are only kept as events).
TRACKING_STATUS: dict[str, str] = {
    "queued": EmailStatus.SENT,
    "sent": EmailStatus.SENT,
    "deferred": EmailStatus.DEFERRED,
    "delivered": EmailStatus.DELIVERED,
    "opened": EmailStatus.OPENED,
    "clicked": EmailStatus.CLICKED,
    "bounced": EmailStatus.BOUNCED,
    "rejected": EmailStatus.REJECTED,
    "failed": EmailStatus.FAILED,
    "complained": EmailStatus.COMPLAINED,
    "unsubscribed": EmailStatus.UNSUBSCRIBED,
}


def record_tracking_event(*, event: Any, esp_name: str) -> EmailEvent | None:
    """Apply one anymail `AnymailTrackingEvent` (delivered, bounced, complained, ...) to the
    record it is about, found by the provider's message id (or the record id we sent as
    metadata). Status only moves forward; each event is kept for the order's history, once
    per provider event id. Unknown messages are ignored (logged)."""
    record_id = _record_for_event(event)
    if record_id is None:
        logger.info("%s %s event for unknown message %r ignored", esp_name,
                    event.event_type, event.message_id)
        return None
    occurred_at = event.timestamp or timezone.now()
    event_id = str(event.event_id or "")[:255]
    with transaction.atomic():
        record = EmailRecord.objects.select_for_update().get(pk=record_id)
        if event_id and record.events.filter(event_id=event_id).exists():
            return None  # the provider redelivered this event
        tracked = EmailEvent.objects.create(
            record=record,
            event_type=str(event.event_type)[:30],
            event_id=event_id,
            occurred_at=occurred_at,
            recipient=str(event.recipient or "")[:254],
            description=str(event.description or event.mta_response or ""),
            raw=_json_safe(event.esp_event),
        )
        new_status = TRACKING_STATUS.get(event.event_type)
        if new_status and STATUS_RANK[new_status] > STATUS_RANK.get(record.status, 0):
            record.status = new_status
        record.last_event_at = max(filter(None, [record.last_event_at, occurred_at]))
        if not record.provider:
            record.provider = esp_name[:40]
        record.save()
    return tracked


def _record_for_event(event: Any) -> int | None:
    message_id = str(event.message_id or "").strip().strip("<>")
    if message_id:
        found = (
            EmailRecord.objects.filter(
                Q(provider_message_id=message_id)
                | Q(provider_message_id__startswith=f"{message_id} ")
                | Q(provider_message_id__endswith=f" {message_id}")
                | Q(provider_message_id__contains=f" {message_id} ")
            ).order_by("-pk").values_list("pk", flat=True).first()
        )
        if found is not None:
            return found
    metadata_id = str((event.metadata or {}).get("email_record") or "")
    if metadata_id.isdigit():
        return EmailRecord.objects.filter(pk=int(metadata_id)).values_list(
            "pk", flat=True
        ).first()
    return None


def _json_safe(value: Any) -> Any:
    import json

    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {"repr": repr(value)}
