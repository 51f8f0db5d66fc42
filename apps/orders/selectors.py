"""Reading orders as customers see them. (Staff read models live in apps.backoffice.)"""

from django.core import signing
from django.db.models import QuerySet

from apps.orders.models import GUEST_LINK_SALT, Order


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
