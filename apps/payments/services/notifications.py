"""The e-mails payments cause, each queued inside the transaction that made the change with
the facts it states (amounts, card, reasons, links), frozen then: the e-mail app never looks
a payment up again. Texts that differ by language are frozen in each language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.core.i18n import in_each_language
from apps.core.money import quantize
from apps.emails.models import EmailKind
from apps.emails.services import queue_order_email
from apps.invoices.models import TaxDocument
from apps.orders.models import DisputeStatus, Order
from apps.payments.messages import failure_message
from apps.payments.models import Payment, PaymentAttempt, PaymentReview, RefundReason

if TYPE_CHECKING:
    from apps.payments.models import Refund
    from apps.payments.services.refund_reports import RefundFigures


def _card(brand: str, last4: str) -> dict[str, str]:
    return {"card_brand": brand, "card_last4": last4} if last4 else {}


def pay_link(order: Order) -> dict[str, str]:
    """The payment page in each language, with the order's signed guest token so the link
    works without signing in (absolute URLs are made by the e-mail app)."""
    def link() -> str:
        path = reverse("payments:pay", kwargs={"number": order.number})
        return f"{path}?{urlencode({'token': order.guest_token})}"

    return in_each_language(link)


def document_link(order: Order, document: TaxDocument | None) -> dict[str, Any]:
    """A tax document's page in each language, through the order's signed guest link."""
    if document is None:
        return {}

    def link() -> str:
        return reverse("invoices:guest_document",
                       kwargs={"token": order.guest_token, "number": document.number})

    return {"document_number": document.number, "document_path": in_each_language(link)}


def order_confirmed(order: Order, payment: Payment, invoice: TaxDocument | None = None) -> None:
    """The order is paid: the confirmation, with its tax invoice, once per payment."""
    queue_order_email(
        order=order, kind=EmailKind.ORDER_CONFIRMED, cause=f"payment:{payment.pk}",
        facts={
            "payment_intent": payment.stripe_payment_intent_id,
            "paid": str(quantize(payment.amount, payment.currency)),
            "currency": payment.currency,
            **_card(payment.card_brand, payment.card_last4),
            **document_link(order, invoice),
        },
    )


def payment_failed(order: Order, attempt: PaymentAttempt) -> None:
    """A card was declined while the order awaits payment: why, and a link to try again."""
    queue_order_email(
        order=order, kind=EmailKind.PAYMENT_FAILED, cause=attempt.dedup_key,
        facts={
            "failure_reason": in_each_language(
                lambda: failure_message(attempt.failure_code, attempt.decline_code)
            ),
            "pay_path": pay_link(order),
            **_card(attempt.card_brand, attempt.card_last4),
        },
    )


def payment_reminder(order: Order) -> None:
    """The order is still unpaid shortly before its reservation ends: once, with the pay
    link."""
    queue_order_email(order=order, kind=EmailKind.PAYMENT_REMINDER, cause="reminder",
                      facts={"pay_path": pay_link(order)})


# Why the shop refunded on its own, in the customer's words (staff refunds need no reason).
AUTOMATIC_REFUND_REASONS = {
    RefundReason.OUT_OF_STOCK: _(
        "Your payment arrived after your order's reservation had expired, and the items "
        "were sold out by then."
    ),
    RefundReason.DUPLICATE: _(
        "Your order had already been paid, so this second payment is returned."
    ),
    RefundReason.ORDER_CANCELLED: _("Your order was cancelled."),
}


def refund_succeeded(order: Order, refund: Refund, figures: RefundFigures,
                     credit_note: TaxDocument | None = None) -> None:
    """A refund reached the customer's card: this refund, everything refunded so far and
    what was paid (the figures the admin shows, as they stand now), with its credit note."""
    currency = refund.currency
    reason = AUTOMATIC_REFUND_REASONS.get(refund.reason)
    payment = refund.payment
    queue_order_email(
        order=order, kind=EmailKind.REFUND, cause=f"refund:{refund.pk}",
        facts={
            "refund_amount": str(quantize(refund.amount, currency)),
            "refunded_total": str(quantize(figures.refunded, currency)),
            "kept": str(quantize(figures.kept, currency)),
            "paid": str(quantize(figures.paid, currency)),
            "currency": currency,
            "refund_reason": in_each_language(lambda: reason) if reason else "",
            **_card(payment.card_brand, payment.card_last4),
            **document_link(order, credit_note),
        },
    )


# Stripe's dispute reasons (Dispute.reason), in staff's words.
DISPUTE_REASONS = {
    "bank_cannot_process": pgettext_lazy("dispute reason", "Bank cannot process"),
    "check_returned": pgettext_lazy("dispute reason", "Check returned"),
    "credit_not_processed": pgettext_lazy("dispute reason", "Refund not processed"),
    "customer_initiated": pgettext_lazy("dispute reason", "Initiated by the customer"),
    "debit_not_authorized": pgettext_lazy("dispute reason", "Debit not authorized"),
    "duplicate": pgettext_lazy("dispute reason", "Duplicate charge"),
    "fraudulent": pgettext_lazy("dispute reason", "Fraudulent (card used without permission)"),
    "general": pgettext_lazy("dispute reason", "General"),
    "incorrect_account_details": pgettext_lazy("dispute reason", "Incorrect account details"),
    "insufficient_funds": pgettext_lazy("dispute reason", "Insufficient funds"),
    "noncompliant": pgettext_lazy("dispute reason", "Non-compliant"),
    "product_not_received": pgettext_lazy("dispute reason", "Product not received"),
    "product_unacceptable": pgettext_lazy("dispute reason", "Product unacceptable"),
    "subscription_canceled": pgettext_lazy("dispute reason", "Subscription canceled"),
    "unrecognized": pgettext_lazy("dispute reason", "Charge not recognized"),
}


def dispute_opened(order: Order, payment: Payment, dispute: dict[str, Any]) -> None:
    """Staff alert, once per dispute (a redelivered or later event queues nothing)."""
    reason = str(dispute.get("reason") or "")
    status = str(dispute.get("status") or "")
    livemode = bool(dispute.get("livemode"))
    intent = payment.stripe_payment_intent_id
    queue_order_email(
        order=order, kind=EmailKind.DISPUTE_ALERT, cause=f"dispute:{dispute.get('id')}",
        facts={
            "dispute_id": str(dispute.get("id") or ""),
            "amount": dispute.get("amount") or 0,
            "currency": str(dispute.get("currency") or order.currency),
            "reason": reason,
            "status": status,
            "reason_label": in_each_language(
                lambda: DISPUTE_REASONS[reason] if reason in DISPUTE_REASONS else reason
            ),
            "status_label": in_each_language(lambda: DisputeStatus.label_of(status)),
            "due_by": (dispute.get("evidence_details") or {}).get("due_by"),
            "livemode": livemode,
            "payment_intent": intent,
            "dashboard_url": "https://dashboard.stripe.com/" + ("" if livemode else "test/")
            + f"payments/{intent}",
        },
    )


def payment_held(order: Order, payment: Payment, *, reported: dict[str, str]) -> None:
    """Staff alert: a payment Stripe reported as paid does not match the order and was held
    (services.review). Once per payment."""
    reason = payment.review_reason
    queue_order_email(
        order=order, kind=EmailKind.PAYMENT_REVIEW, cause=f"review:{payment.pk}",
        facts={
            "reason": reason,
            "reason_label": in_each_language(lambda: PaymentReview(reason).label),
            "expected": str(quantize(payment.amount, payment.currency)),
            "expected_currency": payment.currency,
            "reported_text": reported,
            "payment_intent": payment.stripe_payment_intent_id,
        },
    )
