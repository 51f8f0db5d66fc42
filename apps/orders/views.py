import uuid
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from apps.cart.selectors import cart_view
from apps.cart.services import find_cart
from apps.core.address import City
from apps.core.money import format_money
from apps.core.ratelimits import limited
from apps.orders.forms import CheckoutForm
from apps.orders.models import Order
from apps.orders.selectors import (
    order_for_customer,
    order_for_guest_token,
    order_progress,
    orders_of,
    remember_unpaid,
)
from apps.orders.services import (
    AlreadyPlaced,
    CheckoutError,
    Contact,
    cart_fingerprint,
    place_order,
)
from apps.pricing.selectors import compute_totals
from apps.users.services import save_address_from_checkout


def _initial_checkout_data(request) -> dict:
    if not request.user.is_authenticated:
        return {}
    initial = {"email": request.user.email}
    addresses = request.user.addresses.all()
    chosen = addresses.filter(pk=request.GET.get("address")).first() if request.GET.get("address", "").isdigit() else None
    address = chosen or addresses.first()
    if address is not None:
        initial.update(address.address_data())
    return initial


def _placed_by_this_form(request) -> Order | None:
    """The order this checkout form already placed (a second submission of the same form)."""
    try:
        token = uuid.UUID(request.POST.get("checkout_token", ""))
    except ValueError:
        return None
    return Order.objects.filter(checkout_token=token).first()


def _go_to_payment(request, order: Order, *, again: bool = False):
    """Straight on to paying; guests through their order's signed token."""
    # Our own catalogue's text, escaped; only the isolated number is markup.
    number = format_html("<bdi><strong>{}</strong></bdi>", order.number)
    text = (_("Your order %(number)s was already placed: here is its payment.") if again
            else _("Your order %(number)s is placed: pay now to confirm it."))
    messages.success(request, mark_safe(conditional_escape(text) % {"number": number}))
    remember_unpaid(request, order)
    pay_url = reverse("payments:pay", kwargs={"number": order.number})
    if order.user_id is None:
        pay_url += "?" + urlencode({"token": order.guest_token})
    return redirect(pay_url)


@require_http_methods(["GET", "POST"])
@limited("checkout")
def checkout(request):
    if request.method == "POST" and (placed := _placed_by_this_form(request)) is not None:
        return _go_to_payment(request, placed, again=True)
    cart = find_cart(request)
    if cart is None or not cart.lines.exists():
        messages.info(request, _("Your cart is empty."))
        return redirect("cart:detail")
    user = request.user if request.user.is_authenticated else None
    form = CheckoutForm(
        request.POST or None,
        user=user,
        initial={**_initial_checkout_data(request), "cart_fingerprint": cart_fingerprint(cart),
                 "checkout_token": uuid.uuid4()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                order = place_order(
                    cart=cart,
                    address=form.address_data(),
                    contact=Contact(
                        email=form.cleaned_data["email"],
                        language=translation.get_language()[:2],
                    ),
                    user=user,
                    expected_fingerprint=form.cleaned_data["cart_fingerprint"],
                    checkout_token=form.cleaned_data["checkout_token"],
                )
            except AlreadyPlaced as placed:
                return _go_to_payment(request, placed.order, again=True)
            except CheckoutError as error:
                form.add_error(None, str(error))
            else:
                if user is not None and form.cleaned_data.get("save_address"):
                    save_address_from_checkout(user=user, address=form.address_data())
                return _go_to_payment(request, order)
        status = 400
        # Show the cart as it is now, with a fresh fingerprint for the next attempt.
        data = form.data.copy()
        data["cart_fingerprint"] = cart_fingerprint(cart)
        form.data = data
    city = form["city"].value() or None
    shown = cart_view(cart, city=city)
    context = {
        "form": form,
        "cart": shown,
        "city_known": bool(city),
        "city_totals": _totals_by_city(shown),
        "saved_addresses": user.addresses.all() if user else [],
    }
    return render(request, "orders/checkout.html", context, status=status)


def _totals_by_city(shown) -> dict[str, dict[str, str]]:
    """What the summary shows for each city, formatted as the page formats money, so the
    checkout script swaps texts as the city changes and never computes a price itself."""
    lines = [(item.line.product.price, item.line.quantity) for item in shown.items]
    by_city = {}
    for code, _label in City.choices:
        totals = compute_totals(lines=lines, city=code)
        by_city[code] = {
            "shipping": format_money(totals.shipping, totals.currency) if totals.shipping
            else str(_("Free")),
            "total": format_money(totals.total, totals.currency),
            "vat": format_money(totals.vat_amount, totals.currency),
        }
    return by_city


@login_required
def my_orders(request):
    return render(request, "orders/order_list.html", {"orders": orders_of(request.user)})


@login_required
def order_detail(request, number: str):
    order = order_for_customer(user=request.user, number=number)
    if order is None:
        raise Http404
    return render(request, "orders/order_detail.html",
                  {"order": order, "progress": order_progress(order)})


@limited("order_link", method="GET")
def guest_order_detail(request, token: str):
    order = order_for_guest_token(token)
    if order is None:
        raise Http404
    return render(request, "orders/order_detail.html", {
        "order": order, "is_guest_link": True, "progress": order_progress(order)})
