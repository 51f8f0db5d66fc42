"""What Stripe reports about refunds (API answers, refund.* and charge.refunded events),
applied to our refund rows, the payment and the order it paid, status moving forward only;
and what is left to refund (`refund_figures`, the one home of that rule: the refund rules,
the admin and the refund e-mail read it)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum

from apps.core.money import from_minor_units, quantize
from apps.orders.models import Order, OrderStatus, StatusReason
from apps.orders.services import may_move, restock_order, transition_order
from apps.payments.audit import (
    ORDER_RESTOCKED,
    REFUND_FAILED,
    REFUND_SENT,
    REFUND_SUCCEEDED,
    log_refund,
    refund_actor,
)
from apps.payments.models import (
    COUNTED_REFUND_STATUSES,
    Payment,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    Settlement,
)
from apps.payments.services import notifications, tax_documents
from apps.payments.services.states import REFUND_RANK, lock_payment, move_payment

logger = logging.getLogger(__name__)


IN_FLIGHT_REFUND_STATUSES = frozenset(COUNTED_REFUND_STATUSES - {RefundStatus.SUCCEEDED})


@dataclass(frozen=True)
class RefundFigures:
    """A payment's money as the shop counts it: the one home of "what is left to refund",
    read by the refund rules, the admin and the refund e-mail.

    `refunded` is max(Stripe's `amount_refunded`, our succeeded refunds): Stripe's figure
    includes refunds made in the Dashboard (no row of ours until their event arrives), ours
    may be reported first. Refunds in flight (awaiting approval, requested, pending, requires
    action) are not refunded yet but already count against what is left. Failed, canceled and
    rejected refunds never count."""

    paid: Decimal
    refunded: Decimal
    in_flight: Decimal

    @property
    def kept(self) -> Decimal:
        """What the payment still charges (refunds in flight not taken off yet)."""
        return max(self.paid - self.refunded, Decimal("0"))

    @property
    def left(self) -> Decimal:
        """What may still be refunded."""
        return max(self.paid - self.refunded - self.in_flight, Decimal("0"))


def refund_figures(
    payment: Payment, refunds: Iterable[Refund] | None = None, *,
    excluding: Refund | None = None,
) -> RefundFigures:
    """The figures of `payment`, from its refunds (pass them when already fetched, e.g.
    prefetched for a list; else they are read). Read under the payment lock to act on
    them."""
    rows = list(payment.refunds.all() if refunds is None else refunds)
    if excluding is not None:
        rows = [row for row in rows if row.pk != excluding.pk]
    succeeded = sum((r.amount for r in rows if r.status == RefundStatus.SUCCEEDED),
                    Decimal("0"))
    in_flight = sum((r.amount for r in rows if r.status in IN_FLIGHT_REFUND_STATUSES),
                    Decimal("0"))
    refunded = min(max(payment.amount_refunded, succeeded), payment.amount)
    if not payment.is_paid:
        return RefundFigures(paid=Decimal("0"), refunded=Decimal("0"), in_flight=in_flight)
    return RefundFigures(paid=payment.amount, refunded=refunded, in_flight=in_flight)


def refundable_amount(payment: Payment, *, excluding: Refund | None = None) -> Decimal:
    """What is left to refund (`RefundFigures.left`)."""
    return refund_figures(payment, excluding=excluding).left




def _refund_changed(order: Order, refund: Refund, *, old_status: str) -> None:
    """Audit log, credit note, restock: what follows a refund's status change reported by
    Stripe. Called by `upsert_refund` under the order -> payment -> refund locks."""
    if refund.status == old_status:
        return
    if old_status == RefundStatus.REQUESTED and refund.idempotency_key:
        log_refund(order, REFUND_SENT, refund, user=refund_actor(refund))
    if refund.status == RefundStatus.FAILED:
        log_refund(order, REFUND_FAILED, refund, error=refund.error)
    elif refund.status == RefundStatus.SUCCEEDED:
        log_refund(order, REFUND_SUCCEEDED, refund)
        tax_documents.credit_refund(order, refund.payment, refund)
        if refund.restock and restock_order(order_id=order.pk, actor=refund_actor(refund)):
            log_refund(order, ORDER_RESTOCKED, refund, user=refund_actor(refund))


def record_refund(*, refund: dict[str, Any]) -> Refund | None:
    """Store a Stripe Refund (API answer or refund.* event), status moving forward only."""
    payment = Payment.objects.filter(stripe_payment_intent_id=refund.get("payment_intent")).first()
    if payment is None:
        logger.info("Refund %s is for an unknown payment; ignored", refund.get("id"))
        return None
    with transaction.atomic():
        order, payment = lock_payment(payment.pk)
        row, old_status = upsert_refund(order, payment, refund)
        apply_refunded_total(order, payment, observed_at=int(time.time()))
        queue_refund_email(order, row, old_status=old_status)
        return row


def apply_refunded_total(order: Order, payment: Payment, *, observed_at: int) -> None:
    """Move the payment, and the order it paid, to (partially) refunded as the refunded
    total grows. The total is the larger of Stripe's charge figure and our succeeded
    refunds: both only grow, and either may be reported first. Caller holds both locks."""
    succeeded = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    if not payment.is_paid:
        return
    refunded = min(max(payment.amount_refunded, succeeded), payment.amount)
    if refunded <= 0:
        return
    payment.amount_refunded = refunded
    fully = refunded >= payment.amount
    move_payment(
        payment,
        PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED,
        observed_at=observed_at,
    )
    payment.save(update_fields=["amount_refunded", "status", "stripe_state_at", "updated_at"])
    if payment.settlement != Settlement.PAID_ORDER:
        return  # this money never paid the order (refunded automatically instead)
    target = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    order.refresh_from_db(fields=["status"])
    if order.status in (OrderStatus.REFUNDED, target):
        return
    if may_move(order.status, target):
        transition_order(
            order_id=order.pk, to_status=target, reason=StatusReason.REFUNDED,
            params={
                "payment_intent": payment.stripe_payment_intent_id,
                "amount": str(quantize(refunded, payment.currency)),
                "currency": payment.currency,
            },
        )


def upsert_refund(
    order: Order, payment: Payment, data: dict[str, Any]
) -> tuple[Refund, str]:
    """Store a Stripe refund on its row (found by id, or by our request id in its metadata);
    returns the row and its status before."""
    row = Refund.objects.select_for_update().filter(stripe_refund_id=data["id"]).first()
    request_id = (data.get("metadata") or {}).get("refund_request_id")
    if row is None and request_id and str(request_id).isdigit():
        row = Refund.objects.select_for_update().filter(
            pk=int(request_id), payment=payment, stripe_refund_id__isnull=True
        ).first()
    if row is None:
        row = Refund(
            payment=payment,
            amount=from_minor_units(data["amount"], data["currency"].upper()),
            currency=data["currency"].upper(),
            reason=RefundReason.STRIPE,
            status=RefundStatus.REQUESTED,
        )
    old_status = row.status
    row.stripe_refund_id = data["id"]
    new_status = data.get("status") or RefundStatus.PENDING
    failed_after_success = (
        old_status == RefundStatus.SUCCEEDED and new_status == RefundStatus.FAILED
    )
    if new_status in REFUND_RANK and (
        REFUND_RANK[new_status] > REFUND_RANK[row.status] or failed_after_success
    ):
        row.status = new_status
        if new_status == RefundStatus.FAILED:
            row.error = data.get("failure_reason") or "failed"
            logger.error("Refund %s of %s failed: %s", data["id"],
                         payment.stripe_payment_intent_id, row.error)
    row.save()
    _refund_changed(order, row, old_status=old_status)
    if failed_after_success:
        refund_failed_after_success(order, payment, row)
    return row, old_status


def queue_refund_email(order: Order, row: Refund, *, old_status: str) -> None:
    """The customer's refund e-mail, once per refund that succeeded. Queued after the
    payment and order moved (`apply_refunded_total`), so the timeline shows the status
    change first, with the figures as they stand at that moment (frozen in the e-mail)."""
    if row.status == RefundStatus.SUCCEEDED and old_status != RefundStatus.SUCCEEDED:
        notifications.refund_succeeded(order, row, refund_figures(row.payment),
                                       tax_documents.credit_note_of(row))


def refund_failed_after_success(order: Order, payment: Payment, refund: Refund) -> None:
    """Stripe failed a refund it had reported succeeded (`refund.updated` / `refund.failed`,
    e.g. the card was closed): the money is back with the shop, so the refund stops counting.
    The refunded total drops by its amount (never below our other succeeded refunds), and the
    payment and the order it paid go back to what is still refunded: the one documented way
    back (REFUND_FAILED_MOVES; transition_order(refund_failed=True)), with its reason in the
    order's history. Caller holds the order -> payment -> refund locks."""
    succeeded = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
        total=Sum("amount")
    )["total"] or Decimal("0")
    refunded = min(max(payment.amount_refunded - refund.amount, succeeded, Decimal("0")),
                   payment.amount)
    payment.amount_refunded = refunded
    if refunded >= payment.amount:
        target = PaymentStatus.REFUNDED
    elif refunded > 0:
        target = PaymentStatus.PARTIALLY_REFUNDED
    else:
        target = PaymentStatus.SUCCEEDED
    move_payment(payment, target, observed_at=int(time.time()), refund_failed=True)
    tax_documents.reverse_refund_credit(refund)
    payment.save(update_fields=["amount_refunded", "status", "stripe_state_at", "updated_at"])
    if payment.settlement != Settlement.PAID_ORDER:
        return
    order.refresh_from_db(fields=["status"])
    if order.status not in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
        return
    if refunded >= payment.amount:
        order_target = OrderStatus.REFUNDED
    elif refunded > 0:
        order_target = OrderStatus.PARTIALLY_REFUNDED
    elif order.status_changes.filter(to_status=OrderStatus.FULFILLED).exists():
        order_target = OrderStatus.FULFILLED  # it had shipped before the refunds
    else:
        order_target = OrderStatus.PAID
    transition_order(
        order_id=order.pk, to_status=order_target, refund_failed=True,
        reason=StatusReason.REFUND_FAILED,
        params={
            "refund": refund.stripe_refund_id,
            "amount": str(quantize(refunded, payment.currency)),
            "currency": payment.currency,
        },
    )


def apply_charge_refunded(
    payment: Payment, charge: dict[str, Any], *, observed_at: int
) -> None:
    """Raise the payment's refunded total to the charge's `amount_refunded`, less our refunds
    Stripe has not confirmed: Stripe counts a pending refund there at once, but a refund
    counts for the shop only once it succeeded. A failed or canceled refund is taken out of
    Stripe's figure when it fails, so it is subtracted only from a report older than the
    moment we recorded the failure (a late delivery that may still count it), never from a
    newer one. Refunds we do not know (made in the Dashboard, no refund event yet) count as
    Stripe reports them. `observed_at` is the report's Stripe time. Caller holds the
    locks."""
    if not payment.is_paid:
        return
    currency = charge["currency"].upper()
    reported = from_minor_units(charge.get("amount_refunded") or 0, currency)
    reported_at = datetime.fromtimestamp(observed_at, tz=UTC)
    unconfirmed = payment.refunds.filter(
        Q(status__in=[
            RefundStatus.REQUESTED, RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION,
        ])
        | Q(status__in=[RefundStatus.FAILED, RefundStatus.CANCELED],
            updated_at__gt=reported_at),
        stripe_refund_id__isnull=False,
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    confirmed = reported - unconfirmed
    if confirmed > payment.amount_refunded:
        payment.amount_refunded = confirmed
        payment.save(update_fields=["amount_refunded", "updated_at"])
