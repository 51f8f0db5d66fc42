"""How a payment's status may move, and the row locks every change takes.

Payment status only moves forward: an old or repeated event never undoes a newer state, so
every delivery order of the same events ends in the same state. The one exception: Stripe
failing a refund that had succeeded takes the payment, and the order it paid, back to what is
still refunded (`REFUND_FAILED_MOVES`; orders: `transition_order(..., refund_failed=True)`).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from apps.orders.models import Order
from apps.payments.models import Payment, PaymentStatus, Refund, RefundStatus

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
# refund to a closed card fails days after it succeeded); see `upsert_refund`.
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


def should_move(current: str, new: str, *, current_at: int, observed_at: int) -> bool:
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



def move_payment(
    payment: Payment, new: str, *, observed_at: int, refund_failed: bool = False
) -> bool:
    backwards = refund_failed and new in REFUND_FAILED_MOVES.get(payment.status, set())
    if not backwards and not should_move(
        payment.status, new, current_at=payment.stripe_state_at, observed_at=observed_at
    ):
        return False
    payment.status = new
    payment.stripe_state_at = max(payment.stripe_state_at, observed_at)
    if new == PaymentStatus.SUCCEEDED and payment.succeeded_at is None:
        payment.succeeded_at = timezone.now()
    return True


def lock_payment(payment_id: int) -> tuple[Order, Payment]:
    """Lock the payment's order, then the payment (the fixed order). Inside atomic()."""
    order = Order.objects.select_for_update(of=("self",)).get(payments__pk=payment_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.order = order  # the locked row, not a second read
    return order, payment


def lock_payment_of_intent(payment_intent_id: str) -> tuple[Order, Payment] | None:
    """lock_payment for the payment of a PaymentIntent id (None when there is none), in as
    few round trips: it is the first thing every webhook about a payment does."""
    order = (
        Order.objects.select_for_update(of=("self",))
        .filter(payments__stripe_payment_intent_id=payment_intent_id)
        .first()
    )
    if order is None:
        return None
    payment = Payment.objects.select_for_update().get(
        stripe_payment_intent_id=payment_intent_id
    )
    payment.order = order
    return order, payment



def lock_refund(refund_id: int) -> tuple[Order, Payment, Refund]:
    payment_id = Refund.objects.values_list("payment_id", flat=True).get(pk=refund_id)
    order, payment = lock_payment(payment_id)
    return order, payment, Refund.objects.select_for_update().get(pk=refund_id)
