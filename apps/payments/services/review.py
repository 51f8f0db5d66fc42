"""Money checks on every report that a payment succeeded (a webhook, the return page,
reconciliation, an intent adopted from its metadata): an order is paid only when Stripe
received exactly what the order charges, in its currency, in the mode of the shop's key.

Anything else is applied to nothing: the payment is held for staff (`Payment.review_reason`),
with an entry on the order's timeline, a count on the dashboard and a staff alert e-mail. The
customer is told nothing (there is nothing true to tell them yet).
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.i18n import in_each_language
from apps.core.money import CURRENCY_DECIMALS, format_money, from_minor_units, to_minor_units
from apps.orders.models import Order
from apps.payments import audit, gateway
from apps.payments.models import Payment, PaymentReview
from apps.payments.services import notifications

logger = logging.getLogger(__name__)


def reported_text(facts: dict) -> str:
    """What Stripe reported for a held payment, in the active language: the amount in the
    shop's money format, or the Stripe mode."""
    if "livemode" in facts and facts.get("reason") == PaymentReview.LIVEMODE:
        return str(_("live mode") if facts["livemode"] else _("test mode"))
    code, amount = str(facts.get("currency") or ""), facts.get("amount")
    if code in CURRENCY_DECIMALS and amount not in (None, ""):
        return format_money(from_minor_units(int(amount), code), code)
    return f"{code or '—'} {amount if amount is not None else '—'}".strip()


def money_problem(
    payment: Payment, *, amount: object, currency: object, livemode: object
) -> tuple[str, dict] | None:
    """(reason, facts of what Stripe reported) when a success report does not match the
    payment; None when it does. `amount` is in minor units, as Stripe sends it."""
    code = str(currency or "").upper()
    facts = {"amount": amount if isinstance(amount, int) else None, "currency": code,
             "livemode": bool(livemode)}
    if bool(livemode) != gateway.livemode():
        return PaymentReview.LIVEMODE, {**facts, "reason": PaymentReview.LIVEMODE}
    if code != payment.currency:
        return PaymentReview.CURRENCY, {**facts, "reason": PaymentReview.CURRENCY}
    if not isinstance(amount, int) or amount != to_minor_units(payment.amount, payment.currency):
        return PaymentReview.AMOUNT, {**facts, "reason": PaymentReview.AMOUNT}
    return None


def hold_for_review(order: Order, payment: Payment, *, reason: str, reported: dict) -> None:
    """Hold the payment for staff (once per payment). Caller holds the order -> payment
    locks and applies nothing of the report. `reported`: money_problem's facts."""
    if payment.review_reason:
        return
    payment.review_reason = reason
    payment.review_facts = reported
    payment.flagged_at = timezone.now()
    payment.save(update_fields=["review_reason", "review_facts", "flagged_at", "updated_at"])
    audit.log_payment_held(order, payment, reported=reported)
    notifications.payment_held(order, payment,
                               reported=in_each_language(lambda: reported_text(reported)))
    logger.error("Order %s: payment %s held for review (%s: %s)", order.number,
                 payment.stripe_payment_intent_id, reason, reported)
