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


def _mode(live: bool):
    return _("live mode") if live else _("test mode")


def money_problem(
    payment: Payment, *, amount: object, currency: object, livemode: object
) -> tuple[str, dict[str, str]] | None:
    """(reason, what Stripe reported in each language) when a success report does not match
    the payment; None when it does. `amount` is in minor units, as Stripe sends it."""
    if bool(livemode) != gateway.livemode():
        return PaymentReview.LIVEMODE, in_each_language(lambda: _mode(bool(livemode)))
    code = str(currency or "").upper()
    if code != payment.currency:
        return PaymentReview.CURRENCY, in_each_language(
            lambda: format_money(from_minor_units(int(amount or 0), code), code)
            if code in CURRENCY_DECIMALS else f"{code or '—'} {amount}"
        )
    if not isinstance(amount, int) or amount != to_minor_units(payment.amount, payment.currency):
        return PaymentReview.AMOUNT, in_each_language(
            lambda: format_money(from_minor_units(int(amount or 0), code), code)
            if isinstance(amount, int) else str(amount)
        )
    return None


def hold_for_review(order: Order, payment: Payment, *, reason: str,
                    reported: dict[str, str]) -> None:
    """Hold the payment for staff (once per payment). Caller holds the order -> payment
    locks and applies nothing of the report."""
    if payment.review_reason:
        return
    payment.review_reason = reason
    payment.review_detail = reported.get("en", "")[:255]
    payment.flagged_at = timezone.now()
    payment.save(update_fields=["review_reason", "review_detail", "flagged_at", "updated_at"])
    audit.log_payment_held(order, payment, reported=reported.get("en", ""))
    notifications.payment_held(order, payment, reported=reported)
    logger.error("Order %s: payment %s held for review (%s: %s)", order.number,
                 payment.stripe_payment_intent_id, reason, reported.get("en", ""))
