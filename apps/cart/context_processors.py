from django.db.models import Sum

from apps.cart.services import find_cart


def cart_count(request):
    """Number of items for the header badge (one query, only when rendered)."""

    def count() -> int:
        cart = find_cart(request)
        if cart is None:
            return 0
        return cart.lines.aggregate(total=Sum("quantity"))["total"] or 0

    return {"cart_count": count}
