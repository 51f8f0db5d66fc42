"""What the customer's order page shows of the payments app: each refund of the order."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django import template
from django.utils.translation import pgettext_lazy

from apps.payments.models import Refund, RefundStatus

register = template.Library()

# The customer sees refunds on their way or done; staff's own steps (awaiting approval,
# rejected) are not theirs to see.
CUSTOMER_STATUSES = {
    RefundStatus.REQUESTED: pgettext_lazy("refund for the customer", "On its way"),
    RefundStatus.PENDING: pgettext_lazy("refund for the customer", "On its way"),
    RefundStatus.REQUIRES_ACTION: pgettext_lazy("refund for the customer", "On its way"),
    RefundStatus.SUCCEEDED: pgettext_lazy("refund for the customer", "Refunded"),
    RefundStatus.FAILED: pgettext_lazy("refund for the customer",
                                       "Could not be refunded: we will contact you"),
    RefundStatus.CANCELED: pgettext_lazy("refund for the customer", "Cancelled"),
}


@dataclass(frozen=True)
class CustomerRefund:
    amount: Decimal
    currency: str
    at: datetime
    status: str
    label: str
    # The credit note of the refund, once tax invoices exist (its public URL).
    document_url: str = ""


@register.simple_tag
def order_refunds(order) -> list[CustomerRefund]:
    """`{% order_refunds order as refunds %}`: the order's refunds, oldest first."""
    rows = Refund.objects.filter(
        payment__order=order, status__in=list(CUSTOMER_STATUSES)
    ).order_by("created_at", "pk")
    return [
        CustomerRefund(
            amount=row.amount, currency=row.currency,
            at=row.updated_at if row.status == RefundStatus.SUCCEEDED else row.created_at,
            status=row.status, label=str(CUSTOMER_STATUSES[row.status]),
        )
        for row in rows
    ]
