"""Payment rules: starting a payment, applying what Stripe reports, fulfilment and refunds.

* Stripe is called only through `apps.payments.gateway`, never inside a transaction or while
  holding row locks: call Stripe first, then open the transaction and persist.
* Rows are locked in one fixed order everywhere: order -> payment -> refund.
* Payment status only moves forward (`_should_move`): an old or repeated event never undoes a
  newer state, so every delivery order of the same events ends in the same state. The one
  exception: Stripe failing a refund that had succeeded (`_refund_failed_after_success`)
  takes the payment, and the order it paid, back to what is still refunded
  (`REFUND_FAILED_MOVES`, `transition_order(..., refund_failed=True)`).
* `fulfil_payment` is the one fulfilment function: the return page (a retrieved
  PaymentIntent) and the webhook (the event's PaymentIntent) both call it, one after the other
  or at the same moment; the order is marked paid once.
* Side effects (e-mails, refund calls) are queued with `transaction.on_commit`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.core.money import charge_step, format_money, from_minor_units, quantize
from apps.emails.models import EmailKind
from apps.emails.services import queue_order_email
from apps.orders.models import Order, OrderStatus
from apps.orders.services import (
    IllegalTransition,
    OutOfStock,
    release_expired_orders,
    restock_order,
    transition_order,
)
from apps.payments import gateway
from apps.payments.audit import (
    ORDER_RESTOCKED,
    REFUND_APPROVED,
    REFUND_AWAITING_APPROVAL,
    REFUND_FAILED,
    REFUND_REJECTED,
    REFUND_REQUESTED,
    REFUND_SENT,
    REFUND_SUCCEEDED,
)
from apps.payments.models import (
    COUNTED_REFUND_STATUSES,
    PAID_STATUSES,
    REUSABLE_STATUSES,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    Settlement,
    StripeRefundReason,
)

if TYPE_CHECKING:
    from apps.users.models import User

logger = logging.getLogger(__name__)


class PaymentNotPossible(Exception):
    """The order cannot be paid (already paid, cancelled, ...); the message is for the
    shopper."""


@dataclass(frozen=True)
class FulfilmentResult:
    payment: Payment
    order: Order
    order_paid_now: bool = False
    refund: Refund | None = None


# --- status rules -------------------------------------------------------------------------

# Higher rank wins. Open states share rank 0: among them the newer Stripe state wins.
STATUS_RANK: dict[str, int] = {
    PaymentStatus.PENDING: 0,
    PaymentStatus.FAILED: 0,
    PaymentStatus.REQUIRES_ACTION: 0,
    PaymentStatus.PROCESSING: 0,
    PaymentStatus.SUCCEEDED: 1,
    PaymentStatus.CANCELED: 1,
    PaymentStatus.PARTIALLY_REFUNDED: 2,
    PaymentStatus.REFUNDED: 3,
}

INTENT_STATUS_MAP: dict[str, str] = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELED,
}

# Refund status moves forward by rank, plus one move Stripe makes: succeeded -> failed (a
# refund to a closed card fails days after it succeeded); see `_upsert_refund`.
REFUND_RANK: dict[str, int] = {
    RefundStatus.AWAITING_APPROVAL: 0,  # never sent: Stripe does not know it
    RefundStatus.REJECTED: 2,
    RefundStatus.REQUESTED: 0,
    RefundStatus.PENDING: 1,
    RefundStatus.REQUIRES_ACTION: 1,
    RefundStatus.SUCCEEDED: 2,
    RefundStatus.FAILED: 2,
    RefundStatus.CANCELED: 2,
}


def status_from_intent(intent: dict[str, Any]) -> str:
    status = INTENT_STATUS_MAP.get(intent.get("status", ""), PaymentStatus.PENDING)
    if intent.get("status") == "requires_payment_method" and intent.get("last_payment_error"):
        return PaymentStatus.FAILED
    return status


def _should_move(current: str, new: str, *, current_at: int, observed_at: int) -> bool:
    if new == current:
        return False
    if STATUS_RANK[new] != STATUS_RANK[current]:
        return STATUS_RANK[new] > STATUS_RANK[current]
    # Two open states: the newer Stripe state wins (ties: the later arrival).
    # Two final ones (succeeded / canceled): Stripe never reports both; the first stays.
    return STATUS_RANK[new] == 0 and observed_at >= current_at


# The payment's one way back (see the module docstring): a refund that had succeeded failed,
# so the payment is less refunded than it was.
REFUND_FAILED_MOVES: dict[str, set[str]] = {
    PaymentStatus.REFUNDED: {PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.SUCCEEDED},
    PaymentStatus.PARTIALLY_REFUNDED: {PaymentStatus.SUCCEEDED},
}

# Notes stored on the order's status history (in English, for logs and shells); the admin
# timeline shows them translated (apps.orders.selectors.status_note).
PAID_NOTE = "Stripe payment {payment_intent}"
PAID_AFTER_EXPIRY_NOTE = PAID_NOTE + " (after the reservation expired)"
REFUNDED_NOTE = "Stripe refunds {payment_intent}: {amount} {currency}"
REFUND_FAILED_NOTE = ("Stripe refund {refund} failed after it succeeded; refunded now: "
                      "{amount} {currency}")


def _move(payment: Payment, new: str, *, observed_at: int, refund_failed: bool = False) -> bool:
    backwards = refund_failed and new in REFUND_FAILED_MOVES.get(payment.status, set())
    if not backwards and not _should_move(
        payment.status, new, current_at=payment.stripe_state_at, observed_at=observed_at
    ):
        return False
    payment.status = new
    payment.stripe_state_at = max(payment.stripe_state_at, observed_at)
    if new == PaymentStatus.SUCCEEDED and payment.succeeded_at is None:
        payment.succeeded_at = timezone.now()
    return True


# --- locks --------------------------------------------------------------------------------


def _lock(payment_id: int) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment (the fixed order). Inside atomic()."""
    order_id = Payment.objects.values_list("order_id", flat=True).get(pk=payment_id)
    order = Order.objects.select_for_update().get(pk=order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    return order, payment


# --- starting a payment -------------------------------------------------------------------


def start_payment(*, order: Order) -> Payment:
    """The order's PaymentIntent for its payment page.

    The first visit creates it for the server-computed total; a refresh or a retry after a
    decline reuses it (Stripe returns a failed intent to requires_payment_method); a new one
    is created only when the previous one was canceled. Raises PaymentNotPossible, or
    gateway.PaymentGatewayError when Stripe cannot be reached (the order stays payable).
    """
    order = Order.objects.get(pk=order.pk)
    if order.status != OrderStatus.PENDING_PAYMENT:
        if order.status != OrderStatus.CANCELLED:
            raise PaymentNotPossible(_("This order is already paid."))
        raise PaymentNotPossible(_("This order was cancelled and can no longer be paid."))
    current = order.payments.order_by("-sequence").first()
    if current is not None:
        if current.is_reusable:
            return current
        if current.is_paid:
            raise PaymentNotPossible(_("This order is already paid."))
    sequence = current.sequence + 1 if current is not None else 1
    # Outside any transaction: two simultaneous first visits send the same idempotency key,
    # so Stripe creates one PaymentIntent and both store the same row.
    intent = gateway.create_payment_intent(
        amount=order.total,
        currency=order.currency,
        order_id=order.pk,
        order_number=order.number,
        order_public_id=order.public_id,
        sequence=sequence,
        description=f"Order {order.number}",
    )
    return _store_intent(order=order, intent=intent, sequence=sequence)


def _store_intent(*, order: Order, intent: dict[str, Any], sequence: int) -> Payment:
    currency = intent["currency"].upper()
    try:
        payment, _created = Payment.objects.get_or_create(
            stripe_payment_intent_id=intent["id"],
            defaults={
                "order": order,
                "sequence": sequence,
                "amount": from_minor_units(intent["amount"], currency),
                "currency": currency,
                "client_secret": intent.get("client_secret") or "",
                "idempotency_key": gateway.payment_intent_key(
                    order_public_id=order.public_id, sequence=sequence
                ),
                "livemode": bool(intent.get("livemode")),
                "status": status_from_intent(intent),
            },
        )
    except IntegrityError:
        # (order, sequence) is taken by another intent: Stripe forgot the idempotency key
        # (24 h) between our create call and a lost write. Keep the stored one.
        logger.error("Order %s: PaymentIntent %s not stored, sequence %s is taken",
                     order.number, intent["id"], sequence)
        return order.payments.get(sequence=sequence)
    if payment.order_id != order.pk:
        raise ValueError(f"{intent['id']} belongs to another order")
    return payment


def _payment_for_intent(intent: dict[str, Any]) -> Payment | None:
    payment = Payment.objects.filter(stripe_payment_intent_id=intent["id"]).first()
    if payment is not None:
        return payment
    # Not stored yet (its event overtook our write, or the write failed): adopt it when its
    # metadata names one of our orders.
    metadata = intent.get("metadata") or {}
    order_id, number = metadata.get("order_id"), metadata.get("order_number")
    if not (order_id and str(order_id).isdigit() and number):
        return None
    order = Order.objects.filter(pk=int(order_id), number=number).first()
    if order is None:
        return None
    sequence = int(metadata.get("payment_sequence") or 0) or (
        (order.payments.order_by("-sequence").values_list("sequence", flat=True).first() or 0)
        + 1
    )
    return _store_intent(order=order, intent=intent, sequence=sequence)


# --- fulfilment ---------------------------------------------------------------------------


def fulfil_payment(
    *, payment_intent: dict[str, Any], observed_at: int | None = None
) -> FulfilmentResult | None:
    """Apply a PaymentIntent as Stripe reports it (an event's object, or a fresh retrieve)
    to its payment, and when it succeeded, to its order: paid once; or, if the order was
    cancelled meanwhile and its goods are gone, an automatic refund.

    Safe to call any number of times, from the return page and the webhook at the same
    moment. `observed_at` is the Stripe time of the report (an event's `created`; now for a
    retrieve). Returns None for an intent that is not ours.
    """
    observed_at = observed_at if observed_at is not None else int(time.time())
    found = _payment_for_intent(payment_intent)
    if found is None:
        logger.info("PaymentIntent %s is not one of ours; ignored", payment_intent.get("id"))
        return None
    with transaction.atomic():
        order, payment = _lock(found.pk)
        _apply_intent(payment, payment_intent, observed_at=observed_at)
        payment.save()
        return _settle(order, payment)


def _apply_intent(payment: Payment, intent: dict[str, Any], *, observed_at: int) -> None:
    new_status = status_from_intent(intent)
    _move(payment, new_status, observed_at=observed_at)
    if payment.is_paid and payment.succeeded_at is None:
        # Stored already succeeded (adopted from its event's metadata): _move had nothing
        # to move, but the dashboard's "paid today" needs the moment the money arrived.
        payment.succeeded_at = timezone.now()
    charge = intent.get("latest_charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    brand, last4 = _card_of_intent(intent)
    if intent.get("status") == "succeeded":
        if charge_id:
            payment.stripe_charge_id = charge_id
        if brand:
            payment.card_brand, payment.card_last4 = brand, last4
        _record_attempt(
            payment,
            key=f"charge:{charge_id}" if charge_id else f"{payment.stripe_payment_intent_id}:ok",
            status=PaymentStatus.SUCCEEDED,
            charge_id=charge_id or "",
            brand=brand,
            last4=last4,
        )
    error = intent.get("last_payment_error")
    if error and intent.get("status") == "requires_payment_method":
        method = error.get("payment_method") or {}
        method_id = method.get("id") if isinstance(method, dict) else method
        key = (
            f"charge:{error['charge']}" if error.get("charge")
            else f"{payment.stripe_payment_intent_id}:pm:{method_id}:{error.get('code')}"
        )
        _record_attempt(
            payment,
            key=key,
            status=PaymentStatus.FAILED,
            charge_id=error.get("charge") or "",
            failure_code=error.get("code") or "",
            decline_code=error.get("decline_code") or "",
            failure_message=error.get("message") or "",
            brand=brand,
            last4=last4,
        )
        if observed_at >= payment.failure_at:  # the newest failure, in any arrival order
            payment.failure_at = observed_at
            payment.failure_code = error.get("code") or ""
            payment.decline_code = error.get("decline_code") or ""
            payment.failure_message = error.get("message") or ""
            if brand and not payment.is_paid:
                payment.card_brand, payment.card_last4 = brand, last4


def _card_of_intent(intent: dict[str, Any]) -> tuple[str, str]:
    candidates = [intent.get("latest_charge"), intent.get("payment_method")]
    error = intent.get("last_payment_error") or {}
    candidates.append(error.get("payment_method"))
    for candidate in candidates:
        if not isinstance(candidate, dict):
            continue
        card = (candidate.get("payment_method_details") or {}).get("card") or candidate.get(
            "card"
        )
        if card and card.get("last4"):
            return str(card.get("brand") or "")[:20], str(card["last4"])[-4:]
    return "", ""


def _record_attempt(
    payment: Payment,
    *,
    key: str,
    status: str,
    charge_id: str = "",
    failure_code: str = "",
    decline_code: str = "",
    failure_message: str = "",
    brand: str = "",
    last4: str = "",
) -> None:
    """One row per confirmation outcome, however many times it is reported. Caller holds
    the payment lock, so the existence check cannot race."""
    if PaymentAttempt.objects.filter(dedup_key=key).exists():
        return
    PaymentAttempt.objects.create(
        payment=payment,
        dedup_key=key,
        status=status,
        stripe_charge_id=charge_id,
        failure_code=failure_code,
        decline_code=decline_code,
        failure_message=failure_message,
        card_brand=brand,
        card_last4=last4,
    )
    # A new failed attempt on an order still awaiting payment: tell the shopper, with a link
    # back to the payment page. (Callers hold the order lock, so the status is current.)
    if status == PaymentStatus.FAILED and payment.order.status == OrderStatus.PENDING_PAYMENT:
        queue_order_email(order=payment.order, kind=EmailKind.PAYMENT_FAILED, cause=key)


def _settle(order: Order, payment: Payment) -> FulfilmentResult:
    """Decide, once, what money that arrived does to its order. Caller holds both locks."""
    if payment.status not in PAID_STATUSES or payment.settlement:
        return FulfilmentResult(payment=payment, order=order)
    if order.status == OrderStatus.PENDING_PAYMENT:
        order, _changed = transition_order(
            order_id=order.pk, to_status=OrderStatus.PAID,
            note=PAID_NOTE.format(payment_intent=payment.stripe_payment_intent_id),
        )
        return _paid(order, payment)
    fully_refunded = payment.amount_refunded >= payment.amount
    if order.status == OrderStatus.CANCELLED and not fully_refunded:
        try:
            order, _changed = transition_order(
                order_id=order.pk, to_status=OrderStatus.PAID, reinstate=True,
                note=PAID_AFTER_EXPIRY_NOTE.format(
                    payment_intent=payment.stripe_payment_intent_id
                ),
            )
        except OutOfStock:
            return _refund_instead(order, payment, Settlement.REFUND_OUT_OF_STOCK,
                                   RefundReason.OUT_OF_STOCK)
        except IllegalTransition:
            return _refund_instead(order, payment, Settlement.REFUND_CANCELLED,
                                   RefundReason.ORDER_CANCELLED)
        return _paid(order, payment)
    if fully_refunded:
        # The money went back before it was applied (e.g. refunded in the Dashboard).
        payment.settlement = Settlement.MONEY_RETURNED
        payment.save(update_fields=["settlement", "updated_at"])
        return FulfilmentResult(payment=payment, order=order)
    # Paid or shipped already, by another payment.
    return _refund_instead(order, payment, Settlement.REFUND_DUPLICATE, RefundReason.DUPLICATE)


def _paid(order: Order, payment: Payment) -> FulfilmentResult:
    payment.settlement = Settlement.PAID_ORDER
    payment.save(update_fields=["settlement", "updated_at"])
    # The confirmation e-mail, sent after commit, once per payment.
    queue_order_email(order=order, kind=EmailKind.ORDER_CONFIRMED, cause=f"payment:{payment.pk}")
    logger.info("Order %s paid by %s", order.number, payment.stripe_payment_intent_id)
    return FulfilmentResult(payment=payment, order=order, order_paid_now=True)


def _refund_instead(order: Order, payment: Payment, settlement: str, reason: str):
    payment.settlement = settlement
    payment.save(update_fields=["settlement", "updated_at"])
    refund = _queue_refund(
        payment,
        amount=payment.amount - payment.amount_refunded,
        reason=reason,
        key_suffix="auto",
    )
    logger.warning("Order %s is %s: refunding %s (%s)", order.number, order.status,
                   payment.stripe_payment_intent_id, settlement)
    return FulfilmentResult(payment=payment, order=order, refund=refund)


# --- refunds ------------------------------------------------------------------------------

STRIPE_REFUND_REASONS = {
    RefundReason.DUPLICATE: StripeRefundReason.DUPLICATE,
    RefundReason.CUSTOMER: StripeRefundReason.REQUESTED_BY_CUSTOMER,
    RefundReason.OUT_OF_STOCK: StripeRefundReason.REQUESTED_BY_CUSTOMER,
    RefundReason.ORDER_CANCELLED: StripeRefundReason.REQUESTED_BY_CUSTOMER,
}


class RefundRefused(PaymentNotPossible):
    """A staff refund (or its approval) is not allowed; the message is for the staff member,
    already translated."""


def _queue_refund(
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
    key = f"order-{payment.order.public_id}-pi-{payment.sequence}-refund-{key_suffix}"
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


def _refund_log_data(refund: Refund, **extra: Any) -> dict[str, Any]:
    data = {
        "refund_id": refund.pk,
        "amount": str(refund.amount),
        "currency": refund.currency,
        "status": refund.status,
    }
    data.update({key: value for key, value in extra.items() if value not in (None, "")})
    return data


def _log_refund(order: Order, action: str, refund: Refund, *, user: Any = None, **extra) -> None:
    """One audit-log entry on the order (Wagtail's history), in the caller's transaction."""
    from wagtail.log_actions import log

    log(order, action, user=user, data=_refund_log_data(refund, **extra))


def _refund_actor(refund: Refund) -> Any:
    """The staff member on whose behalf a refund went to Stripe (None: automatic)."""
    return refund.approved_by or refund.requested_by


IN_FLIGHT_REFUND_STATUSES = frozenset(COUNTED_REFUND_STATUSES - {RefundStatus.SUCCEEDED})


def refundable_amount(payment: Payment, *, excluding: Refund | None = None) -> Decimal:
    """What is left to refund:

        amount - (max(amount_refunded, succeeded refunds) + refunds in flight)

    `amount_refunded` is what Stripe confirmed (it includes refunds made in the Dashboard,
    which have no row of ours until their event arrives); refunds in flight (awaiting
    approval, requested, pending, requires action) are not in it yet. Failed, canceled and
    rejected refunds never count. Read under the payment lock to act on it."""
    refunds = payment.refunds.all()
    if excluding is not None:
        refunds = refunds.exclude(pk=excluding.pk)
    totals = refunds.aggregate(
        succeeded=Sum("amount", filter=Q(status=RefundStatus.SUCCEEDED)),
        in_flight=Sum("amount", filter=Q(status__in=list(IN_FLIGHT_REFUND_STATUSES))),
    )
    refunded = max(payment.amount_refunded, totals["succeeded"] or Decimal("0"))
    counted = refunded + (totals["in_flight"] or Decimal("0"))
    return max(payment.amount - counted, Decimal("0"))


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
        order, payment = _lock(payment_id)
        key_suffix = f"staff-{idempotency_key}"[:150]
        existing = Refund.objects.filter(
            idempotency_key=f"order-{order.public_id}-pi-{payment.sequence}-refund-{key_suffix}"
        ).first()
        if existing is not None:
            return existing  # the same form submitted again
        if amount is None:
            step = charge_step(payment.currency)
            amount = quantize(refundable_amount(payment) // step * step, payment.currency)
        _check_refundable(payment, amount)
        awaiting = needs_approval(payment, amount)
        refund = _queue_refund(
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
        _log_refund(
            order,
            REFUND_AWAITING_APPROVAL if awaiting else REFUND_REQUESTED,
            refund,
            user=requested_by,
            note=note,
            stripe_reason=stripe_reason,
            restock=restock or None,
        )
        return refund


def _lock_refund(refund_id: int) -> tuple[Order, Payment, Refund]:
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    order, payment = _lock(payment_id)
    return order, payment, Refund.objects.select_for_update().get(pk=refund_id)


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
        order, payment, refund = _lock_refund(refund_id)
        _check_approver(refund, approver)
        # Checked again (a refund made meanwhile, e.g. in the Stripe Dashboard), without
        # this refund itself, which already counts while it waits.
        _check_refundable(payment, refund.amount, excluding=refund)
        refund.status = RefundStatus.REQUESTED
        refund.approved_by = approver
        refund.approved_at = timezone.now()
        refund.save(update_fields=["status", "approved_by", "approved_at", "updated_at"])
        _log_refund(order, REFUND_APPROVED, refund, user=approver)
        _send_after_commit(refund)
        return refund


def reject_refund(*, refund_id: int, approver: User, note: str = "") -> Refund:
    """An approver refuses a refund awaiting approval: it is never sent and stops counting.
    The requester may withdraw (reject) their own request. Raises RefundRefused."""
    with transaction.atomic():
        order, _payment, refund = _lock_refund(refund_id)
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
        _log_refund(order, REFUND_REJECTED, refund, user=approver, note=note)
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
            order, payment, refund = _lock_refund(refund_id)
            if refund.status == RefundStatus.REQUESTED and not refund.stripe_refund_id:
                refund.status = RefundStatus.FAILED
                refund.error = str(exc)
                refund.save(update_fields=["status", "error", "updated_at"])
                _log_refund(order, REFUND_FAILED, refund, user=_refund_actor(refund),
                            error=refund.error)
        return refund
    return record_refund(refund=data) or Refund.objects.get(pk=refund_id)


def _refund_changed(order: Order, refund: Refund, *, old_status: str) -> None:
    """Audit log, restock: what follows a refund's status change reported by Stripe.
    Called by `_upsert_refund` under the order -> payment -> refund locks."""
    if refund.status == old_status:
        return
    if old_status == RefundStatus.REQUESTED and refund.idempotency_key:
        _log_refund(order, REFUND_SENT, refund, user=_refund_actor(refund))
    if refund.status == RefundStatus.FAILED:
        _log_refund(order, REFUND_FAILED, refund, error=refund.error)
    elif refund.status == RefundStatus.SUCCEEDED:
        _log_refund(order, REFUND_SUCCEEDED, refund)
        if refund.restock and restock_order(order_id=order.pk, actor=_refund_actor(refund)):
            _log_refund(order, ORDER_RESTOCKED, refund, user=_refund_actor(refund))


def record_refund(*, refund: dict[str, Any]) -> Refund | None:
    """Store a Stripe Refund (API answer or refund.* event), status moving forward only."""
    payment = Payment.objects.filter(stripe_payment_intent_id=refund.get("payment_intent")).first()
    if payment is None:
        logger.info("Refund %s is for an unknown payment; ignored", refund.get("id"))
        return None
    with transaction.atomic():
        order, payment = _lock(payment.pk)
        row, old_status = _upsert_refund(order, payment, refund)
        _apply_refunded_total(order, payment, observed_at=int(time.time()))
        _queue_refund_email(order, row, old_status=old_status)
        return row


def _apply_refunded_total(order: Order, payment: Payment, *, observed_at: int) -> None:
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
    _move(
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
    if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.PARTIALLY_REFUNDED):
        transition_order(
            order_id=order.pk, to_status=target,
            note=REFUNDED_NOTE.format(
                payment_intent=payment.stripe_payment_intent_id,
                amount=quantize(refunded, payment.currency), currency=payment.currency,
            ),
        )


def _upsert_refund(
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
        _refund_failed_after_success(order, payment, row)
    return row, old_status


def _queue_refund_email(order: Order, row: Refund, *, old_status: str) -> None:
    """The customer's refund e-mail, once per refund that succeeded. Queued after the
    payment and order moved (`_apply_refunded_total`), so the timeline shows the status
    change first; amounts are read when it is sent."""
    if row.status == RefundStatus.SUCCEEDED and old_status != RefundStatus.SUCCEEDED:
        queue_order_email(order=order, kind=EmailKind.REFUND, cause=f"refund:{row.pk}")


def _refund_failed_after_success(order: Order, payment: Payment, refund: Refund) -> None:
    """Stripe failed a refund it had reported succeeded (`refund.updated` / `refund.failed`,
    e.g. the card was closed): the money is back with the shop, so the refund stops counting.
    The refunded total drops by its amount (never below our other succeeded refunds), and the
    payment and the order it paid go back to what is still refunded: the one documented way
    back (REFUND_FAILED_MOVES; transition_order(refund_failed=True)), with a note in the
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
    _move(payment, target, observed_at=int(time.time()), refund_failed=True)
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
        note=REFUND_FAILED_NOTE.format(
            refund=refund.stripe_refund_id, amount=quantize(refunded, payment.currency),
            currency=payment.currency,
        ),
    )


def record_charge(*, charge: dict[str, Any], observed_at: int) -> FulfilmentResult | None:
    """A charge.* event: the card used, the outcome of that attempt, refunded amounts. A
    refunded charge also proves the payment succeeded (events can arrive in any order)."""
    payment = Payment.objects.filter(stripe_payment_intent_id=charge.get("payment_intent")).first()
    if payment is None:
        logger.info("Charge %s is for an unknown payment; ignored", charge.get("id"))
        return None
    with transaction.atomic():
        order, payment = _lock(payment.pk)
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        brand, last4 = str(card.get("brand") or "")[:20], str(card.get("last4") or "")[-4:]
        if charge.get("status") == "succeeded":
            _move(payment, PaymentStatus.SUCCEEDED, observed_at=observed_at)
            payment.stripe_charge_id = charge["id"]
            if last4:
                payment.card_brand, payment.card_last4 = brand, last4
            _record_attempt(payment, key=f"charge:{charge['id']}",
                            status=PaymentStatus.SUCCEEDED, charge_id=charge["id"],
                            brand=brand, last4=last4)
        elif charge.get("status") == "failed":
            _record_attempt(
                payment, key=f"charge:{charge['id']}", status=PaymentStatus.FAILED,
                charge_id=charge["id"], failure_code=charge.get("failure_code") or "",
                decline_code=(charge.get("outcome") or {}).get("reason") or "",
                failure_message=charge.get("failure_message") or "", brand=brand, last4=last4,
            )
        payment.save()
        changed = []
        for refund in (charge.get("refunds") or {}).get("data") or []:
            changed.append(_upsert_refund(order, payment, refund))
        if charge.get("status") == "succeeded":
            _apply_charge_refunded(payment, charge, observed_at=observed_at)
        result = _settle(order, payment)
        _apply_refunded_total(result.order, payment, observed_at=observed_at)
        for row, old_status in changed:
            _queue_refund_email(order, row, old_status=old_status)
        return FulfilmentResult(
            payment=payment, order=Order.objects.get(pk=order.pk),
            order_paid_now=result.order_paid_now, refund=result.refund,
        )


def _apply_charge_refunded(
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


def record_dispute(*, dispute: dict[str, Any]) -> Payment | None:
    """charge.dispute.*: keep the dispute's status on the payment for staff (a closed dispute
    is not reopened by a late `created`)."""
    payment = Payment.objects.filter(
        stripe_payment_intent_id=dispute.get("payment_intent")
    ).first() or Payment.objects.filter(stripe_charge_id=dispute.get("charge") or "-").first()
    if payment is None:
        logger.info("Dispute %s is for an unknown payment; ignored", dispute.get("id"))
        return None
    closed = {"won", "lost", "warning_closed"}
    with transaction.atomic():
        order, payment = _lock(payment.pk)
        # Staff alert, once per dispute (a redelivered or later event queues nothing).
        queue_order_email(
            order=order, kind=EmailKind.DISPUTE_ALERT, cause=f"dispute:{dispute.get('id')}",
            data={
                "dispute_id": str(dispute.get("id") or ""),
                "amount": dispute.get("amount") or 0,
                "currency": str(dispute.get("currency") or order.currency),
                "reason": str(dispute.get("reason") or ""),
                "status": str(dispute.get("status") or ""),
                "due_by": (dispute.get("evidence_details") or {}).get("due_by"),
                "livemode": bool(dispute.get("livemode")),
                "payment_intent": payment.stripe_payment_intent_id,
            },
        )
        if payment.dispute_status not in closed:
            payment.dispute_status = str(dispute.get("status") or "")[:40]
            payment.save(update_fields=["dispute_status", "updated_at"])
            order.dispute_status = payment.dispute_status
            order.save(update_fields=["dispute_status", "updated_at"])
        logger.warning("Order %s: dispute %s is %s", order.number, dispute.get("id"),
                       payment.dispute_status)
    return payment


# --- refreshing from Stripe, cancelling ---------------------------------------------------


def refresh_payment(*, payment: Payment) -> FulfilmentResult | None:
    """Ask Stripe for the intent's current state and apply it (the return page, the
    reconcile command). Never trusts query parameters."""
    intent = gateway.retrieve_payment_intent(
        payment_intent_id=payment.stripe_payment_intent_id
    )
    return fulfil_payment(payment_intent=intent, observed_at=int(time.time()))


def cancel_open_payments(*, order: Order) -> list[Payment]:
    """Cancel the open PaymentIntents of an order that can no longer be paid (its
    reservation expired). An intent that succeeded meanwhile is fulfilled instead (which
    reinstates or refunds the order)."""
    done = []
    for payment in order.payments.filter(status__in=list(REUSABLE_STATUSES)):
        try:
            intent = gateway.cancel_payment_intent(
                payment_intent_id=payment.stripe_payment_intent_id,
                idempotency_key=f"order-{order.public_id}-pi-{payment.sequence}-cancel",
            )
        except gateway.GatewayRejected as exc:
            if exc.code != "payment_intent_unexpected_state":
                raise
            intent = exc.payment_intent or gateway.retrieve_payment_intent(
                payment_intent_id=payment.stripe_payment_intent_id
            )
        result = fulfil_payment(payment_intent=intent)
        if result is not None:
            done.append(result.payment)
    return done


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


# --- reconciliation -----------------------------------------------------------------------


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

    1. Events Stripe could not deliver (it keeps them 30 days) and events we stored but
       failed to handle are processed through the same code as webhooks.
    2. Open payments not updated for `stale_minutes` are re-read from Stripe.
    3. Open PaymentIntents of cancelled orders are canceled (an expired reservation).
    4. Refund requests that never reached Stripe are sent.
    """
    from apps.payments.models import StripeEvent
    from apps.payments.webhooks import process_event

    report = ReconcileReport([], [], [], [], [], [])
    since = int(time.time()) - days * 24 * 3600
    try:
        undelivered = list(gateway.list_events(created_gte=since, delivery_success=False))
    except gateway.PaymentGatewayError as exc:
        undelivered = []
        report.errors.append(f"listing events: {exc}")
    processed = set(
        StripeEvent.objects.filter(
            stripe_id__in=[event["id"] for event in undelivered], processed_at__isnull=False
        ).values_list("stripe_id", flat=True)
    )
    failed_here = list(
        StripeEvent.objects.filter(processed_at__isnull=True).values_list("payload", flat=True)
    )
    # Oldest first, as they happened.
    for event in sorted([*undelivered, *failed_here], key=lambda item: item["created"]):
        if event["id"] in processed or event["id"] in report.events_processed:
            continue
        result = process_event(event)
        (report.events_processed if result.status_code == 200 else report.events_failed).append(
            event["id"]
        )

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
