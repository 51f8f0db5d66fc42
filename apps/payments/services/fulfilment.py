"""Applying what Stripe reports about a PaymentIntent or a charge, and deciding once what
money that arrived does to its order.

`apply_payment_intent` is the one function that applies a PaymentIntent: the return page (a
retrieved intent), the webhook (the event's intent) and reconciliation call it, one after the
other or at the same moment; the order is marked paid once.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.orders.models import Order, OrderStatus, StatusReason
from apps.orders.services import IllegalTransition, OutOfStock, transition_order
from apps.payments import gateway
from apps.payments.models import (
    PAID_STATUSES,
    Payment,
    PaymentAttempt,
    PaymentStatus,
    Refund,
    RefundReason,
    Settlement,
)
from apps.payments.services import notifications, tax_documents
from apps.payments.services.intents import payment_for_intent
from apps.payments.services.refund_reports import (
    apply_charge_refunded,
    apply_refunded_total,
    queue_refund_email,
    upsert_refund,
)
from apps.payments.services.refunds import queue_refund
from apps.payments.services.review import hold_for_review, money_problem
from apps.payments.services.states import (
    lock_payment,
    lock_payment_of_intent,
    move_payment,
    status_from_intent,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FulfilmentResult:
    payment: Payment
    order: Order
    order_paid_now: bool = False
    refund: Refund | None = None


def apply_payment_intent(
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
    # Part of the caller's transaction when there is one (the webhook's): no savepoint,
    # an error here fails the whole event.
    with transaction.atomic(savepoint=False):
        locked = lock_payment_of_intent(payment_intent["id"])
        if locked is None:
            found = payment_for_intent(payment_intent)  # adopts one that names our order
            if found is None:
                logger.info("PaymentIntent %s is not one of ours; ignored",
                            payment_intent.get("id"))
                return None
            locked = lock_payment(found.pk)
        order, payment = locked
        problem = _problem_of_intent(payment, payment_intent)
        if problem is not None:
            hold_for_review(order, payment, reason=problem[0], reported=problem[1])
            return FulfilmentResult(payment=payment, order=order)
        _apply_intent(payment, payment_intent, observed_at=observed_at)
        settlement = payment.settlement
        result = settle(order, payment)
        if payment.settlement == settlement:  # settle saves the payment when it settles it
            payment.save()
        return result


def _problem_of_intent(payment: Payment, intent: dict[str, Any]):
    """A report from the other Stripe mode is never applied; a success must bring exactly
    the order's money (services.review)."""
    if bool(intent.get("livemode")) != gateway.livemode() or intent.get("status") == "succeeded":
        return money_problem(payment, amount=intent.get("amount_received"),
                             currency=intent.get("currency"), livemode=intent.get("livemode"))
    return None


def _apply_intent(payment: Payment, intent: dict[str, Any], *, observed_at: int) -> None:
    new_status = status_from_intent(intent)
    move_payment(payment, new_status, observed_at=observed_at)
    if payment.is_paid and payment.succeeded_at is None:
        # Stored already succeeded (adopted from its event's metadata): nothing moved
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
    """One row per confirmation outcome, however many times it is reported (the unique
    `dedup_key`; one INSERT that does nothing when the row exists)."""
    attempt = PaymentAttempt(
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
    PaymentAttempt.objects.bulk_create([attempt], ignore_conflicts=True)
    # A failed attempt on an order still awaiting payment: tell the shopper, with a link
    # back to the payment page; once per attempt (the e-mail's cause is the attempt's key).
    # Callers hold the order lock, so the status is current.
    if status == PaymentStatus.FAILED and payment.order.status == OrderStatus.PENDING_PAYMENT:
        notifications.payment_failed(payment.order, attempt)


def settle(order: Order, payment: Payment) -> FulfilmentResult:
    """Decide, once, what money that arrived does to its order, and save the payment when it
    does (all of it: the caller's changes too). Caller holds both locks."""
    if payment.status not in PAID_STATUSES or payment.settlement:
        return FulfilmentResult(payment=payment, order=order)
    if order.status == OrderStatus.PENDING_PAYMENT:
        order, _changed = transition_order(
            order_id=order.pk, to_status=OrderStatus.PAID,
            reason=StatusReason.PAID,
            params={"payment_intent": payment.stripe_payment_intent_id},
        )
        return _paid(order, payment)
    fully_refunded = payment.amount_refunded >= payment.amount
    if order.status == OrderStatus.CANCELLED and not fully_refunded:
        try:
            order, _changed = transition_order(
                order_id=order.pk, to_status=OrderStatus.PAID, reinstate=True,
                reason=StatusReason.PAID_AFTER_EXPIRY,
                params={"payment_intent": payment.stripe_payment_intent_id},
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
        payment.save()
        return FulfilmentResult(payment=payment, order=order)
    # Paid or shipped already, by another payment.
    return _refund_instead(order, payment, Settlement.REFUND_DUPLICATE, RefundReason.DUPLICATE)


def _paid(order: Order, payment: Payment) -> FulfilmentResult:
    payment.settlement = Settlement.PAID_ORDER
    payment.save()
    # In the transaction that marks the order paid: a rollback takes no invoice number.
    invoice = tax_documents.invoice_paid_order(order)
    notifications.order_confirmed(order, payment, invoice)
    logger.info("Order %s paid by %s", order.number, payment.stripe_payment_intent_id)
    return FulfilmentResult(payment=payment, order=order, order_paid_now=True)


def _refund_instead(order: Order, payment: Payment, settlement: str, reason: str):
    payment.settlement = settlement
    payment.save()
    refund = queue_refund(
        payment,
        amount=payment.amount - payment.amount_refunded,
        reason=reason,
        key_suffix="auto",
    )
    logger.warning("Order %s is %s: refunding %s (%s)", order.number, order.status,
                   payment.stripe_payment_intent_id, settlement)
    return FulfilmentResult(payment=payment, order=order, refund=refund)


def record_charge(*, charge: dict[str, Any], observed_at: int) -> FulfilmentResult | None:
    """A charge.* event: the card used, the outcome of that attempt, refunded amounts. A
    refunded charge also proves the payment succeeded (events can arrive in any order)."""
    payment = Payment.objects.filter(stripe_payment_intent_id=charge.get("payment_intent")).first()
    if payment is None:
        logger.info("Charge %s is for an unknown payment; ignored", charge.get("id"))
        return None
    with transaction.atomic():
        order, payment = lock_payment(payment.pk)
        if bool(charge.get("livemode")) != gateway.livemode() or charge.get("status") == "succeeded":
            problem = money_problem(
                payment, amount=charge.get("amount_captured", charge.get("amount")),
                currency=charge.get("currency"), livemode=charge.get("livemode"),
            )
            if problem is not None:
                hold_for_review(order, payment, reason=problem[0], reported=problem[1])
                return FulfilmentResult(payment=payment, order=order)
        card = (charge.get("payment_method_details") or {}).get("card") or {}
        brand, last4 = str(card.get("brand") or "")[:20], str(card.get("last4") or "")[-4:]
        if charge.get("status") == "succeeded":
            move_payment(payment, PaymentStatus.SUCCEEDED, observed_at=observed_at)
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
            changed.append(upsert_refund(order, payment, refund))
        if charge.get("status") == "succeeded":
            apply_charge_refunded(payment, charge, observed_at=observed_at)
        result = settle(order, payment)
        apply_refunded_total(result.order, payment, observed_at=observed_at)
        for row, old_status in changed:
            queue_refund_email(order, row, old_status=old_status)
        return FulfilmentResult(
            payment=payment, order=Order.objects.get(pk=order.pk),
            order_paid_now=result.order_paid_now, refund=result.refund,
        )


def refresh_payment(*, payment: Payment) -> FulfilmentResult | None:
    """Ask Stripe for the intent's current state and apply it (the return page, the
    reconcile command). Never trusts query parameters."""
    intent = gateway.retrieve_payment_intent(
        payment_intent_id=payment.stripe_payment_intent_id
    )
    return apply_payment_intent(payment_intent=intent, observed_at=int(time.time()))
