"""Reading orders as customers see them. (Staff read models live in apps.backoffice.)"""

from django.core import signing
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.orders.models import GUEST_LINK_SALT, Order, OrderStatus


def orders_of(user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("lines")


def order_for_customer(*, user, number: str) -> Order | None:
    """A signed-in customer's own order; another customer's order is simply not found."""
    return orders_of(user).filter(number=number).first()


def order_for_guest_token(token: str) -> Order | None:
    try:
        public_id = signing.Signer(salt=GUEST_LINK_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Order.objects.prefetch_related("lines").filter(public_id=public_id).first()


UNPAID_IN_SESSION = "unpaid_orders"


def remember_unpaid(request, order: Order) -> None:
    """This visitor placed `order`: it can find it again from any page until it is paid
    (a guest has no order list)."""
    known = [value for value in request.session.get(UNPAID_IN_SESSION, [])
             if value != str(order.public_id)]
    request.session[UNPAID_IN_SESSION] = [str(order.public_id), *known][:5]


def unpaid_order_for(request) -> Order | None:
    """The newest order this visitor (the signed-in customer, or this browser's session)
    placed that still awaits payment and is still reserved."""
    awaiting = Order.objects.filter(status=OrderStatus.PENDING_PAYMENT,
                                    reserved_until__gt=timezone.now())
    if request.user.is_authenticated:
        return awaiting.filter(user=request.user).order_by("-created_at").first()
    known = request.session.get(UNPAID_IN_SESSION) if hasattr(request, "session") else None
    if not known:
        return None
    return awaiting.filter(public_id__in=known).order_by("-created_at").first()


def order_progress(order: Order) -> list[dict]:
    """The stages a customer follows (placed, paid, shipped, delivered), each with the time
    it was reached (None while ahead). Empty for a cancelled order or one never paid."""
    if order.status in (OrderStatus.CANCELLED, OrderStatus.PENDING_PAYMENT):
        return []
    paid = order.status_changes.filter(to_status=OrderStatus.PAID).order_by("created_at").first()
    shipment = getattr(order, "shipment", None) if hasattr(order, "shipment") else None
    return [
        {"key": "placed", "label": _("Placed"), "at": order.created_at},
        {"key": "paid", "label": _("Paid"), "at": paid.created_at if paid else None},
        {"key": "shipped", "label": _("Shipped"), "at": shipment.shipped_at if shipment else None},
        {"key": "delivered", "label": pgettext_lazy("order status", "Delivered"),
         "at": shipment.delivered_at if shipment else None},
    ]
