from django.db.models import QuerySet

from apps.emails.models import EmailRecord
from apps.orders.models import Order


def email_history(order: Order) -> QuerySet[EmailRecord]:
    """The order's e-mails, oldest first, each with its tracking events (for the order's
    history in the admin)."""
    return EmailRecord.objects.filter(order=order).prefetch_related("events").order_by(
        "created_at", "pk"
    )
