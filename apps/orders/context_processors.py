from apps.orders.selectors import unpaid_order_for


def unpaid_order(request):
    """The order this visitor left unpaid, for the header banner (one query, only when the
    page shows it; never on a page kept in the page cache)."""
    return {"unpaid_order": lambda: unpaid_order_for(request)}
