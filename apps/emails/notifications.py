"""E-mails the order's own journey causes (payments queue theirs in
apps.payments.services.notifications): queued in the transaction that made the change,
with the facts they state frozen then."""

from __future__ import annotations

from apps.emails.models import EmailKind, EmailRecord
from apps.emails.services import queue_order_email
from apps.orders.models import Order, Shipment


def order_shipped(order: Order, shipment: Shipment) -> EmailRecord | None:
    """The order left with a carrier: which one, the tracking number and its link."""
    return queue_order_email(
        order=order, kind=EmailKind.ORDER_SHIPPED, cause=f"shipment:{shipment.pk}",
        facts={"carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
               "tracking_url": shipment.tracking_url},
    )
