"""Keeping the shop and Stripe in step: unpaid orders whose reservation expired (their open
PaymentIntents are canceled), and catching up after downtime or lost webhooks."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.emails.models import EmailKind
from apps.orders.models import Order, OrderStatus
from apps.orders.services import release_expired_orders
from apps.payments import gateway
from apps.payments.models import (
    REUSABLE_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
    StripeEvent,
)
from apps.payments.services import notifications
from apps.payments.services.fulfilment import apply_payment_intent, refresh_payment
from apps.payments.services.refunds import execute_refund
from apps.payments.webhooks import accept_event, apply_stored_event

logger = logging.getLogger(__name__)


def cancel_open_payments(*, order: Order) -> list[Payment]:
    """Cancel the open PaymentIntents of an order that can no longer be paid (its
    reservation expired). An intent that succeeded meanwhile is fulfilled instead (which
    reinstates or refunds the order)."""
    done = []
    for payment in order.payments.filter(status__in=list(REUSABLE_STATUSES)):
        try:
            intent = gateway.cancel_payment_intent(
                payment_intent_id=payment.stripe_payment_intent_id,
                idempotency_key=gateway.cancel_key(
                    order_public_id=order.public_id, sequence=payment.sequence
                ),
            )
        except gateway.GatewayRejected as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise
            intent = exc.payment_intent or gateway.retrieve_payment_intent(
                payment_intent_id=payment.stripe_payment_intent_id
            )
        result = apply_payment_intent(payment_intent=intent)
        if result is not None:
            done.append(result.payment)
    return done


def send_payment_reminders(*, now: datetime | None = None) -> list[str]:
    """One "complete your payment" e-mail for each order still unpaid when its reservation
    has PAYMENT_REMINDER_MINUTES_BEFORE minutes left (run with the expiry, every minute).
    An order paid or cancelled first is no longer awaiting payment, so it never gets one;
    the e-mail's cause makes it once per order."""
    now = now or timezone.now()
    due = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, reserved_until__gt=now,
        reserved_until__lte=now + timedelta(minutes=settings.PAYMENT_REMINDER_MINUTES_BEFORE),
    ).exclude(email_records__kind=EmailKind.PAYMENT_REMINDER)
    reminded = []
    for order_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=order_id)
            if order.status != OrderStatus.PENDING_PAYMENT:
                continue  # paid or cancelled meanwhile
            notifications.payment_reminder(order)
            reminded.append(order.number)
    return reminded


@dataclass
class ExpiryReport:
    orders_cancelled: list[str]
    payments_canceled: list[str]
    errors: list[str]


def expire_unpaid_orders(*, now: datetime | None = None) -> ExpiryReport:
    """Cancel unpaid orders whose stock reservation ran out (their stock goes back), then
    cancel their open PaymentIntents at Stripe so they can no longer be paid.

    The Stripe calls run after the orders' transactions commit and outside any lock. A
    Stripe error is logged and left for `reconcile_payments`, which cancels the open intents
    of cancelled orders too. An intent that succeeded meanwhile is fulfilled instead
    (`cancel_open_payments`): the order is reinstated, or the money refunded. Called from
    inside `atomic()`, the Stripe part (and its entries in the report) waits for the commit.
    """
    report = ExpiryReport(orders_cancelled=release_expired_orders(now=now),
                          payments_canceled=[], errors=[])
    for number in report.orders_cancelled:
        transaction.on_commit(
            lambda number=number: _cancel_payments_of_expired(number, report), robust=True
        )
    return report


def _cancel_payments_of_expired(number: str, report: ExpiryReport) -> None:
    order = Order.objects.get(number=number)
    try:
        canceled = cancel_open_payments(order=order)
    except gateway.PaymentGatewayError as exc:
        logger.warning("Order %s expired; its PaymentIntent is left for reconcile_payments: "
                       "%s", number, exc)
        report.errors.append(f"{number}: {exc}")
        return
    report.payments_canceled.extend(
        payment.stripe_payment_intent_id for payment in canceled
        if payment.status == PaymentStatus.CANCELED
    )


@dataclass
class ReconcileReport:
    events_processed: list[str]
    events_failed: list[str]
    payments_refreshed: list[str]
    payments_canceled: list[str]
    refunds_sent: list[int]
    errors: list[str]


def reconcile_payments(*, days: int = 3, stale_minutes: int = 10) -> ReconcileReport:
    """Catch up with Stripe after downtime or lost webhooks. Safe to run any time.

    1. Events Stripe could not deliver (it keeps them 30 days) are accepted as webhooks
       are; events stored but not applied (failed, waiting for a retry or for the worker)
       are applied now.
    2. Open payments not updated for `stale_minutes` are re-read from Stripe.
    3. Open PaymentIntents of cancelled orders are canceled (an expired reservation).
    4. Refund requests that never reached Stripe are sent.
    """
    report = ReconcileReport([], [], [], [], [], [])
    since = int(time.time()) - days * 24 * 3600
    try:
        undelivered = list(gateway.list_events(created_gte=since, delivery_success=False))
    except gateway.PaymentGatewayError as exc:
        undelivered = []
        report.errors.append(f"listing events: {exc}")
    stored = set(
        StripeEvent.objects.filter(
            stripe_id__in=[event["id"] for event in undelivered]
        ).values_list("stripe_id", flat=True)
    )
    not_applied = list(
        StripeEvent.objects.filter(processed_at__isnull=True).values("stripe_id", "stripe_created")
    )
    # Oldest first, as they happened: events Stripe could not deliver are stored (and
    # applied, or queued) as a webhook would; stored events not applied yet are applied now.
    work = [(event["created"], event["id"], event) for event in undelivered
            if event["id"] not in stored]
    work += [(row["stripe_created"], row["stripe_id"], None) for row in not_applied]
    for _created, event_id, event in sorted(work, key=lambda item: (item[0], item[1])):
        if event is not None:
            result = accept_event(event)
            ok = result.status_code == 200 and not result.detail.startswith("failed")
        else:
            ok = apply_stored_event(stripe_event_id=event_id) not in ("failed", "retrying")
        (report.events_processed if ok else report.events_failed).append(event_id)

    stale = timezone.now() - timedelta(minutes=stale_minutes)
    for payment in Payment.objects.filter(
        status__in=list(REUSABLE_STATUSES), updated_at__lt=stale
    ).select_related("order"):
        try:
            if payment.order.status == OrderStatus.CANCELLED:
                if cancel_open_payments(order=payment.order):
                    report.payments_canceled.append(payment.stripe_payment_intent_id)
            else:
                refresh_payment(payment=payment)
                report.payments_refreshed.append(payment.stripe_payment_intent_id)
        except gateway.PaymentGatewayError as exc:
            report.errors.append(f"{payment.stripe_payment_intent_id}: {exc}")

    for refund_id in Refund.objects.filter(
        status=RefundStatus.REQUESTED, created_at__lt=timezone.now() - timedelta(minutes=1)
    ).values_list("pk", flat=True):
        try:
            execute_refund(refund_id=refund_id)
            report.refunds_sent.append(refund_id)
        except gateway.PaymentGatewayError as exc:
            report.errors.append(f"refund {refund_id}: {exc}")
    return report
