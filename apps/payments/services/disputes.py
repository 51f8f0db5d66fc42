"""Stripe disputes (chargebacks and inquiries): kept on the payment and its order for staff,
with a staff alert e-mail once per dispute."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from apps.orders.models import DisputeStatus
from apps.payments.models import Payment
from apps.payments.services import notifications
from apps.payments.services.states import lock_payment

logger = logging.getLogger(__name__)


def record_dispute(*, dispute: dict[str, Any]) -> Payment | None:
    """charge.dispute.*: keep the dispute's status on the payment for staff (a closed dispute
    is not reopened by a late `created`)."""
    payment = Payment.objects.filter(
        stripe_payment_intent_id=dispute.get("payment_intent")
    ).first() or Payment.objects.filter(stripe_charge_id=dispute.get("charge") or "-").first()
    if payment is None:
        logger.info("Dispute %s is for an unknown payment; ignored", dispute.get("id"))
        return None
    with transaction.atomic():
        order, payment = lock_payment(payment.pk)
        notifications.dispute_opened(order, payment, dispute)
        if payment.dispute_status not in DisputeStatus.closed():
            payment.dispute_status = str(dispute.get("status") or "")[:40]
            payment.save(update_fields=["dispute_status", "updated_at"])
            order.dispute_status = payment.dispute_status
            order.save(update_fields=["dispute_status", "updated_at"])
        logger.warning("Order %s: dispute %s is %s", order.number, dispute.get("id"),
                       payment.dispute_status)
    return payment
