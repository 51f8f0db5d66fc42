"""Cart rules: quantities are checked against stock whenever they change."""

from django.db import transaction
from django.utils.translation import gettext as _

from apps.cart.models import Cart, CartLine
from apps.catalog.models import Product

SESSION_KEY = "cart_id"
MAX_QUANTITY_PER_LINE = 20


class CartError(Exception):
    """A change the cart refuses; the message is for the shopper, in their language."""


def find_cart(request) -> Cart | None:
    """The shopper's cart if one exists; never creates one (GET requests stay read-only)."""
    if request.user.is_authenticated:
        return Cart.objects.filter(user=request.user).first()
    cart_id = request.session.get(SESSION_KEY)
    if cart_id is None:
        return None
    return Cart.objects.filter(pk=cart_id, user__isnull=True).first()


def get_or_create_cart(request) -> Cart:
    if request.user.is_authenticated:
        cart, _created = Cart.objects.get_or_create(user=request.user)
        return cart
    cart = find_cart(request)
    if cart is None:
        cart = Cart.objects.create()
        request.session[SESSION_KEY] = cart.pk
    return cart


def check_quantity(*, product: Product, quantity: int) -> None:
    if not product.is_active:
        raise CartError(_("This product is no longer for sale."))
    if quantity < 1:
        raise CartError(_("The quantity must be at least 1."))
    if quantity > MAX_QUANTITY_PER_LINE:
        raise CartError(
            _("You can order at most %(max)d of one product.") % {"max": MAX_QUANTITY_PER_LINE}
        )
    if product.stock == 0:
        raise CartError(_("This product is out of stock."))
    if quantity > product.stock:
        raise CartError(
            _("Only %(stock)d left in stock.") % {"stock": product.stock}
        )


def _lock(cart: Cart) -> None:
    """Serialise changes to one cart (a double-clicked button sends two at once): the second
    waits for the first and then sees its line, so quantities add up and no insert clashes.
    Inside atomic()."""
    Cart.objects.select_for_update().filter(pk=cart.pk).exists()


@transaction.atomic
def add_to_cart(*, cart: Cart, product: Product, quantity: int) -> CartLine:
    _lock(cart)
    line = CartLine.objects.filter(cart=cart, product=product).first()
    new_quantity = quantity + (line.quantity if line else 0)
    check_quantity(product=product, quantity=new_quantity)
    if line is None:
        return CartLine.objects.create(cart=cart, product=product, quantity=new_quantity)
    line.quantity = new_quantity
    line.save(update_fields=["quantity"])
    return line


@transaction.atomic
def set_line_quantity(*, cart: Cart, line_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes the line."""
    _lock(cart)
    line = CartLine.objects.select_related("product").filter(cart=cart, pk=line_id).first()
    if line is None:
        raise CartError(_("That item is no longer in your cart."))
    if quantity == 0:
        line.delete()
        return
    check_quantity(product=line.product, quantity=quantity)
    line.quantity = quantity
    line.save(update_fields=["quantity"])


def remove_line(*, cart: Cart, line_id: int) -> None:
    CartLine.objects.filter(cart=cart, pk=line_id).delete()


@transaction.atomic
def merge_anonymous_cart(*, session_cart_id: int | None, user) -> Cart | None:
    """At login, move the anonymous cart's lines into the account's cart.

    Quantities of a product in both carts add up, capped by what is in stock.
    """
    if session_cart_id is None:
        return None
    source = Cart.objects.filter(pk=session_cart_id, user__isnull=True).first()
    if source is None:
        return None
    target, _created = Cart.objects.get_or_create(user=user)
    existing = {line.product_id: line for line in target.lines.select_related("product")}
    for line in source.lines.select_related("product"):
        product = line.product
        if line.product_id in existing:
            kept = existing[line.product_id]
            kept.quantity = max(
                1, min(kept.quantity + line.quantity, product.stock, MAX_QUANTITY_PER_LINE)
            )
            kept.save(update_fields=["quantity"])
        else:
            line.cart = target
            line.quantity = max(1, min(line.quantity, product.stock or 1, MAX_QUANTITY_PER_LINE))
            line.save(update_fields=["cart", "quantity"])
    source.delete()
    return target


def clear_cart(cart: Cart) -> None:
    cart.lines.all().delete()
