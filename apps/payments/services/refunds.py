"""Refunds the shop makes: staff refunds with their approval above the threshold, the shop's
automatic refunds, and sending them to Stripe. What Stripe reports back about a refund, and
what is left to refund, is in `refund_reports`."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.money import charge_step, format_money, quantize
from apps.payments import gateway
from apps.payments.audit import (
    REFUND_APPROVED,
    REFUND_AWAITING_APPROVAL,
    REFUND_FAILED,
    REFUND_REJECTED,
    REFUND_REQUESTED,
    log_refund,
    refund_actor,
)
from apps.payments.models import (
    COUNTED_REFUND_STATUSES,
    Payment,
    Refund,
    RefundReason,
    RefundStatus,
    StripeRefundReason,
)
from apps.payments.services import RefundRefused
from apps.payments.services.refund_reports import record_refund, refundable_amount
from apps.payments.services.states import lock_payment, lock_refund

if TYPE_CHECKING:
    from apps.users.models import User

logger = logging.getLogger(__name__)


STRIPE_REFUND_REASONS = {
    RefundReason.DUPLICATE: StripeRefundReason.DUPLICATE,
    RefundReason.CUSTOMER: StripeRefundReason.REQUESTED_BY_CUSTOMER,
    RefundReason.OUT_OF_STOCK: StripeRefundReason.REQUESTED_BY_CUSTOMER,
    RefundReason.ORDER_CANCELLED: StripeRefundReason.REQUESTED_BY_CUSTOMER,
}




def queue_refund(
    payment: Payment,
    *,
    amount: Decimal,
    reason: str,
    key_suffix: str,
    stripe_reason: str = "",
    note: str = "",
    restock: bool = False,
    requested_by: Any = None,
    awaiting_approval: bool = False,
) -> Refund:
    """Record a refund request and, unless it awaits approval, send it to Stripe after
    commit. Caller holds the locks. The same key twice returns the first row."""
    key = gateway.refund_key(
        order_public_id=payment.order.public_id, sequence=payment.sequence, suffix=key_suffix
    )
    refund, created = Refund.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "payment": payment,
            "amount": amount,
            "currency": payment.currency,
            "reason": reason,
            "stripe_reason": stripe_reason or STRIPE_REFUND_REASONS.get(reason, ""),
            "note": note,
            "restock": restock,
            "requested_by": requested_by,
            "status": (
                RefundStatus.AWAITING_APPROVAL if awaiting_approval else RefundStatus.REQUESTED
            ),
        },
    )
    if created and refund.status == RefundStatus.REQUESTED:
        _send_after_commit(refund)
    return refund


def _send_after_commit(refund: Refund) -> None:
    from apps.payments.tasks import execute_refund_task

    refund_id = refund.pk
    transaction.on_commit(lambda: execute_refund_task.enqueue(refund_id))




def needs_approval(payment: Payment, amount: Decimal) -> bool:
    """A staff refund waits for a manager when it, plus the staff refunds already counted on
    the payment (succeeded or on their way; not failed, canceled or rejected), is above
    settings.REFUND_APPROVAL_THRESHOLD: splitting a large refund in small ones does not
    avoid the approval. The threshold is a plain number in the shop currency
    (settings.SHOP_CURRENCY), compared with the payment's amounts as they are."""
    earlier = payment.refunds.filter(
        reason=RefundReason.STAFF, status__in=list(COUNTED_REFUND_STATUSES)
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return earlier + amount > settings.REFUND_APPROVAL_THRESHOLD


def _check_refundable(
    payment: Payment, amount: Decimal, *, excluding: Refund | None = None
) -> None:
    if not payment.is_paid:
        raise RefundRefused(_("Only a successful payment can be refunded."))
    if amount <= 0:
        raise RefundRefused(_("The refund amount must be more than zero."))
    step = charge_step(payment.currency)
    if amount % step:
        raise RefundRefused(
            _("Stripe refunds %(currency)s in steps of %(step)s: enter a multiple of it.")
            % {"currency": payment.currency, "step": step}
        )
    left = refundable_amount(payment, excluding=excluding)
    if amount > left:
        raise RefundRefused(
            _("The refund is more than what is left to refund (%(left)s).")
            % {"left": format_money(left, payment.currency)}
        )


def request_refund(
    *,
    payment_id: int,
    amount: Decimal | None,
    stripe_reason: str,
    note: str = "",
    restock: bool = False,
    requested_by: User | None,
    idempotency_key: str,
) -> Refund:
    """A staff refund of (part of) a paid payment. `amount` None refunds what is left
    (rounded down to the currency's charge step); an amount that is not a multiple of
    `charge_step` (0.010 for KWD) is refused, never rounded.

    `requested_by` is the staff member (the admin always passes it; their `issue_refund`
    permission is checked). None is for system callers only (a shell, a management command):
    no permission check, and the refund is logged without a user.

    `idempotency_key` is the refund form's own key (generated when the form was rendered):
    the same key again returns the refund it created, so a double click or a resubmitted
    form is one refund. Above settings.REFUND_APPROVAL_THRESHOLD the refund waits for
    `approve_refund` (status AWAITING_APPROVAL, nothing sent); otherwise it is REQUESTED and
    sent to Stripe after commit (callers may also call `execute_refund` right after commit to
    show Stripe's answer). Raises RefundRefused."""
    if not idempotency_key:
        raise ValueError("a staff refund needs the refund form's idempotency key")
    if requested_by is not None and not requested_by.has_perm("payments.issue_refund"):
        raise RefundRefused(_("You do not have permission to issue refunds."))
    if stripe_reason not in StripeRefundReason.values:
        raise RefundRefused(_("Choose a reason for the refund."))
    with transaction.atomic():
        order, payment = lock_payment(payment_id)
        key_suffix = f"staff-{idempotency_key}"[:150]
        existing = Refund.objects.filter(idempotency_key=gateway.refund_key(
            order_public_id=order.public_id, sequence=payment.sequence, suffix=key_suffix,
        )).first()
        if existing is not None:
            return existing  # the same form submitted again
        if amount is None:
            step = charge_step(payment.currency)
            amount = quantize(refundable_amount(payment) // step * step, payment.currency)
        _check_refundable(payment, amount)
        awaiting = needs_approval(payment, amount)
        refund = queue_refund(
            payment,
            amount=amount,
            reason=RefundReason.STAFF,
            key_suffix=key_suffix,
            stripe_reason=stripe_reason,
            note=note,
            restock=restock,
            requested_by=requested_by,
            awaiting_approval=awaiting,
        )
        log_refund(
            order,
            REFUND_AWAITING_APPROVAL if awaiting else REFUND_REQUESTED,
            refund,
            user=requested_by,
            note=note,
            stripe_reason=stripe_reason,
            restock=restock or None,
        )
        return refund


def _check_approver(refund: Refund, approver: User) -> None:
    if not approver.has_perm("payments.approve_refund"):
        raise RefundRefused(_("You do not have permission to approve refunds."))
    if refund.requested_by_id is not None and refund.requested_by_id == approver.pk:
        raise RefundRefused(_("You cannot approve your own refund request."))
    if refund.status != RefundStatus.AWAITING_APPROVAL:
        raise RefundRefused(_("This refund is not awaiting approval."))


def approve_refund(*, refund_id: int, approver: User) -> Refund:
    """A second staff member (with `payments.approve_refund`, not the requester) approves a
    refund above the threshold: it becomes REQUESTED and is sent to Stripe after commit.
    The remaining amount is checked again. Raises RefundRefused."""
    with transaction.atomic():
        order, payment, refund = lock_refund(refund_id)
        _check_approver(refund, approver)
        # Checked again (a refund made meanwhile, e.g. in the Stripe Dashboard), without
        # this refund itself, which already counts while it waits.
        _check_refundable(payment, refund.amount, excluding=refund)
        refund.status = RefundStatus.REQUESTED
        refund.approved_by = approver
        refund.approved_at = timezone.now()
        refund.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        log_refund(order, REFUND_APPROVED, refund, user=approver)
        _send_after_commit(refund)
        return refund


def reject_refund(*, refund_id: int, approver: User, note: str = "") -> Refund:
    """An approver refuses a refund awaiting approval: it is never sent and stops counting.
    The requester may withdraw (reject) their own request. Raises RefundRefused."""
    with transaction.atomic():
        order, _payment, refund = lock_refund(refund_id)
        own = refund.requested_by_id is not None and refund.requested_by_id == approver.pk
        if not own and not approver.has_perm("payments.approve_refund"):
            raise RefundRefused(_("You do not have permission to approve refunds."))
        if refund.status != RefundStatus.AWAITING_APPROVAL:
            raise RefundRefused(_("This refund is not awaiting approval."))
        refund.status = RefundStatus.REJECTED
        refund.approved_by = approver
        refund.approved_at = timezone.now()
        if note:
            refund.note = f"{refund.note}\n{note}".strip()
        refund.save(
            update_fields=["status", "approved_by", "approved_at", "note", "updated_at"]
        )
        log_refund(order, REFUND_REJECTED, refund, user=approver, note=note)
        return refund


def execute_refund(*, refund_id: int) -> Refund:
    """Send a requested refund to Stripe (outside locks), then record Stripe's answer.

    The idempotency key comes from the refund row, so a retry (the task, the reconcile
    command, the admin view right after commit) never refunds twice. Stripe refusing it
    (GatewayRejected) marks it FAILED with Stripe's message in `error`, never counted; a
    connection problem or a Stripe outage leaves it `requested` and raises
    gateway.PaymentGatewayError (the task or the reconcile command tries again)."""
    refund = Refund.objects.select_related("payment__order").get(pk=refund_id)
    if refund.status != RefundStatus.REQUESTED or refund.stripe_refund_id:
        return refund
    payment = refund.payment
    try:
        data = gateway.create_refund(
            payment_intent_id=payment.stripe_payment_intent_id,
            amount=refund.amount,
            currency=refund.currency,
            idempotency_key=refund.idempotency_key,
            reason=refund.stripe_reason or STRIPE_REFUND_REASONS.get(refund.reason),
            metadata={
                "order_number": payment.order.number,
                "refund_request_id": str(refund.pk),
                "reason": refund.reason,
            },
        )
    except gateway.GatewayRejected as exc:
        # E.g. already refunded in the Dashboard: nothing more will happen by retrying.
        with transaction.atomic():
            order, payment, refund = lock_refund(refund_id)
            if refund.status == RefundStatus.REQUESTED and not refund.stripe_refund_id:
                refund.status = RefundStatus.FAILED
                refund.error = str(exc)
                refund.save(update_fields=["status", "error", "updated_at"])
                log_refund(order, REFUND_FAILED, refund, user=refund_actor(refund),
                            error=refund.error)
        return refund
    return record_refund(refund=data) or Refund.objects.get(pk=refund_id)
