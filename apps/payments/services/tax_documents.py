"""The tax documents payments cause (apps.invoices issues them): the invoice when money pays
an order, a credit note when a refund of that money succeeds, a debit note reversing it
when Stripe later fails that refund. Called under the order -> payment (-> refund) locks,
in the transaction that made the change."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.core.i18n import in_each_language
from apps.invoices.models import TaxDocument
from apps.invoices.services import issue_credit_note, issue_invoice, reverse_credit_note
from apps.orders.models import Order
from apps.payments.models import Payment, Refund, RefundReason, Settlement

REFUND_FAILED = _("The refund failed after it was reported done: the money stayed with the "
                  "shop.")


def invoice_paid_order(order: Order) -> TaxDocument:
    return issue_invoice(order)


def _source(refund: Refund) -> str:
    return f"refund:{refund.pk}"


def _reason(refund: Refund) -> dict[str, str]:
    if refund.reason == RefundReason.STAFF and refund.stripe_reason:
        return in_each_language(refund.get_stripe_reason_display)
    return in_each_language(refund.get_reason_display)


def credit_refund(order: Order, payment: Payment, refund: Refund) -> TaxDocument | None:
    """A refund succeeded. Only money that paid the order was invoiced: an automatic refund
    of a late or second payment has no invoice to credit."""
    if payment.settlement != Settlement.PAID_ORDER:
        return None
    reason = _reason(refund)
    return issue_credit_note(order=order, source=_source(refund), amount=refund.amount,
                             reason_ar=reason["ar"], reason_en=reason["en"])


def credit_note_of(refund: Refund) -> TaxDocument | None:
    return TaxDocument.objects.filter(source=_source(refund)).first()


def reverse_refund_credit(refund: Refund) -> TaxDocument | None:
    reason = in_each_language(lambda: REFUND_FAILED)
    return reverse_credit_note(source=_source(refund), reason_ar=reason["ar"],
                               reason_en=reason["en"])

