"""Starting a payment: the order's PaymentIntent, created for its server-computed total, and
adopting an intent Stripe reports before we stored it."""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from apps.orders.models import Order, OrderStatus
from apps.payments import gateway
from apps.payments.models import Payment
from apps.payments.services import PaymentNotPossible

logger = logging.getLogger(__name__)


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
    return store_intent(order=order, intent=intent, sequence=sequence)


def store_intent(*, order: Order, intent: dict[str, Any], sequence: int) -> Payment:
    """The payment row of one of our PaymentIntents. It records what the shop charges (the
    order's total and currency), not what the intent says: an intent that charges anything
    else is held for staff when it reports success (`fulfilment`), never applied. Its status
    starts pending; the caller applies the intent's state."""
    try:
        payment, _created = Payment.objects.get_or_create(
            stripe_payment_intent_id=intent["id"],
            defaults={
                "order": order,
                "sequence": sequence,
                "amount": order.total,
                "currency": order.currency,
                "client_secret": intent.get("client_secret") or "",
                "idempotency_key": gateway.payment_intent_key(
                    order_public_id=order.public_id, sequence=sequence
                ),
                "livemode": bool(intent.get("livemode")),
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


def payment_for_intent(intent: dict[str, Any]) -> Payment | None:
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
    return store_intent(order=order, intent=intent, sequence=sequence)
