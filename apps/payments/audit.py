"""Audit-log actions of refunds, logged on the Order (`wagtail.log_actions.log`) inside the
transaction of the change by apps.payments.services.refunds, with `data`: refund_id, amount
(string), currency, and for some actions note / error. `user` is the staff member who acted
(None when Stripe or the task worker did). The back office registers their labels and shows
them in the order's history and timeline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wagtail.log_actions import log

if TYPE_CHECKING:
    from apps.orders.models import Order
    from apps.payments.models import Payment, Refund

REFUND_REQUESTED = "payments.refund.requested"
REFUND_AWAITING_APPROVAL = "payments.refund.awaiting_approval"
REFUND_APPROVED = "payments.refund.approved"
REFUND_REJECTED = "payments.refund.rejected"
REFUND_SENT = "payments.refund.sent"
REFUND_FAILED = "payments.refund.failed"
REFUND_SUCCEEDED = "payments.refund.succeeded"
ORDER_RESTOCKED = "payments.refund.restocked"
# A success report that did not match the order (services.review); data: payment_intent,
# reason, expected (amount), currency, reported (the facts Stripe reported: amount in minor
# units, currency, livemode).
PAYMENT_HELD = "payments.payment.held"


def _refund_log_data(refund: Refund, **extra: Any) -> dict[str, Any]:
    data = {
        "refund_id": refund.pk,
        "amount": str(refund.amount),
        "currency": refund.currency,
        "status": refund.status,
    }
    data.update({key: value for key, value in extra.items() if value not in (None, "")})
    return data


def log_refund(order: Order, action: str, refund: Refund, *, user: Any = None, **extra) -> None:
    """One audit-log entry on the order (Wagtail's history), in the caller's transaction."""
    log(order, action, user=user, data=_refund_log_data(refund, **extra))


def refund_actor(refund: Refund) -> Any:
    """The staff member on whose behalf a refund went to Stripe (None: automatic)."""
    return refund.approved_by or refund.requested_by


def log_payment_held(order: Order, payment: Payment, *, reported: dict) -> None:
    log(order, PAYMENT_HELD, data={
        "payment_intent": payment.stripe_payment_intent_id,
        "reason": payment.review_reason,
        "expected": str(payment.amount),
        "currency": payment.currency,
        "reported": reported,
    })
