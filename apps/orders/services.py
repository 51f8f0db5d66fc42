"""Order rules: placing an order, moving it between states, releasing expired reservations."""

import logging
import uuid
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.cart.models import Cart
from apps.cart.services import CartError, add_to_cart, clear_cart
from apps.catalog.cache import stock_moved
from apps.catalog.models import Product
from apps.core.money import quantize
from apps.orders.models import (
    Order,
    OrderLine,
    OrderNumberCounter,
    OrderStatus,
    OrderStatusChange,
    Shipment,
    StatusReason,
)
from apps.pricing.selectors import compute_totals

logger = logging.getLogger(__name__)

# The only moves an order can make. Anything else is refused, so a late or repeated event can
# never move an order backwards.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.PENDING_PAYMENT: {OrderStatus.PAID, OrderStatus.CANCELLED},
    OrderStatus.PAID: {
        OrderStatus.FULFILLED, OrderStatus.CANCELLED,
        OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED,
    },
    OrderStatus.FULFILLED: {
        OrderStatus.DELIVERED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED,
    },
    OrderStatus.DELIVERED: {OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED},
    # A partly refunded order may still ship (one line refunded, the rest sent).
    OrderStatus.PARTIALLY_REFUNDED: {
        OrderStatus.FULFILLED, OrderStatus.DELIVERED, OrderStatus.REFUNDED,
    },
    OrderStatus.REFUNDED: set(),
    OrderStatus.CANCELLED: set(),
}

# The one way back from "cancelled": a payment that succeeds after its order's reservation
# expired reinstates the order if every unit can be reserved again (`transition_order(...,
# reinstate=True)`, used by the payments app when money arrives late; otherwise it refunds).
REINSTATE_TRANSITIONS: dict[str, set[str]] = {OrderStatus.CANCELLED: {OrderStatus.PAID}}

# The one way back from "(partially) refunded": Stripe reports that a refund which had
# succeeded failed after all (e.g. the card was closed; `refund.updated` with status failed).
# The money is back with the shop, so the order returns to what is still refunded
# (`transition_order(..., refund_failed=True)`, used by the payments app when it recomputes
# the refunded total; the status history records it with its reason).
REFUND_FAILED_TRANSITIONS: dict[str, set[str]] = {
    OrderStatus.REFUNDED: {
        OrderStatus.PARTIALLY_REFUNDED, OrderStatus.PAID, OrderStatus.FULFILLED,
    },
    OrderStatus.PARTIALLY_REFUNDED: {OrderStatus.PAID, OrderStatus.FULFILLED},
}


def may_move(from_status: str, to_status: str) -> bool:
    """Whether the transition map lets an order go from one status to the other (the
    ordinary moves, not the two documented ways back)."""
    return to_status in ALLOWED_TRANSITIONS.get(from_status, set())


class CheckoutError(Exception):
    """The order cannot be placed; the message is for the shopper."""


class AlreadyPlaced(Exception):
    """This checkout form already placed its order (`order`): a repeated submission."""

    def __init__(self, order: Order):
        super().__init__(order.number)
        self.order = order


class IllegalTransition(Exception):
    pass


class OutOfStock(IllegalTransition):
    """A cancelled order cannot be reinstated: some of its units were sold meanwhile."""


@dataclass(frozen=True)
class Contact:
    email: str
    language: str


def cart_fingerprint(cart: Cart) -> str:
    """What the shopper saw on the checkout page: product, quantity and price of each line.

    The checkout form carries it back; if it differs from the cart now (a tampered form, or
    a price or stock change meanwhile) the order is not placed.
    """
    lines = cart.lines.select_related("product").order_by("product_id")
    return ";".join(
        f"{line.product_id}x{line.quantity}@{quantize(line.product.price)}" for line in lines
    )


def next_counter_value(name: str) -> int:
    """The next value of a gapless sequence (order numbers, tax document numbers).

    The counter row is incremented by one UPDATE, which holds the row lock until our
    transaction commits: two transactions cannot read the same value, and one that rolls
    back gives its value back (no gap). Call it late in the transaction: it serialises
    every other transaction taking a value of the same sequence until commit.
    """
    updated = OrderNumberCounter.objects.filter(name=name).update(value=F("value") + 1)
    if not updated:
        OrderNumberCounter.objects.get_or_create(name=name)
        OrderNumberCounter.objects.filter(name=name).update(value=F("value") + 1)
    return OrderNumberCounter.objects.get(name=name).value


def next_order_number() -> str:
    """A human-friendly, unique order number, e.g. GE-2026-000042."""
    value = next_counter_value("order")
    year = timezone.localdate().year
    return f"{settings.ORDER_NUMBER_PREFIX}-{year}-{value:06d}"


def place_order(
    *,
    cart: Cart,
    address: dict[str, str],
    contact: Contact,
    user=None,
    expected_fingerprint: str | None = None,
    checkout_token: uuid.UUID | None = None,
) -> Order:
    """Turn the cart into an order: reserve stock, snapshot lines/address/totals, empty the cart.

    All or nothing: if one product lacks stock, nothing is reserved and no order exists.

    One checkout form places one order: the cart row is locked first, so a second
    submission of the same form (same `checkout_token`) waits for the first and then gets
    AlreadyPlaced with its order; another form finds the cart empty."""
    with transaction.atomic():
        Cart.objects.select_for_update().filter(pk=cart.pk).exists()
        if checkout_token is not None:
            placed = Order.objects.filter(checkout_token=checkout_token).first()
            if placed is not None:
                raise AlreadyPlaced(placed)
        lines = list(cart.lines.select_related("product").order_by("product_id"))
        if not lines:
            raise CheckoutError(_("Your cart is empty."))
        if expected_fingerprint is not None and expected_fingerprint != cart_fingerprint(cart):
            raise CheckoutError(
                _(
                    "Your cart changed since you opened this page (a product, quantity or "
                    "price is different). Please review the totals and place the order again."
                )
            )
        # Reserve stock product by product, always in product-id order so two checkouts lock
        # rows in the same order and cannot deadlock. The conditional UPDATE re-checks stock
        # under the row lock, so the last unit can only be taken once.
        for line in lines:
            if not line.product.is_active:
                raise CheckoutError(
                    _("%(sku)s is no longer for sale; remove it from your cart.")
                    % {"sku": line.product.sku}
                )
            reserved = Product.objects.filter(
                pk=line.product_id, is_active=True, stock__gte=line.quantity
            ).update(stock=F("stock") - line.quantity)
            if not reserved:
                raise CheckoutError(
                    _("Not enough stock for %(name)s. Please lower the quantity.")
                    % {"name": line.product.names()[contact.language]}
                )
        # The last unit sold: catalog pages say "out of stock" as soon as this commits.
        stock_moved({line.product_id: -line.quantity for line in lines})

        totals = compute_totals(
            lines=[(line.product.price, line.quantity) for line in lines], city=address["city"]
        )
        order = Order.objects.create(
            number=next_order_number(),
            checkout_token=checkout_token,
            user=user,
            email=contact.email,
            language=contact.language,
            currency=totals.currency,
            subtotal=totals.subtotal,
            shipping=totals.shipping,
            total=totals.total,
            vat_rate=totals.vat_rate,
            vat_amount=totals.vat_amount,
            reserved_until=timezone.now()
            + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES),
            **address,
        )
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    product=line.product,
                    sku=line.product.sku,
                    name_ar=(names := line.product.names())["ar"],
                    name_en=names["en"],
                    unit_price=line.product.price,
                    quantity=line.quantity,
                    line_total=quantize(line.product.price * line.quantity, totals.currency),
                )
                for line in lines
            ]
        )
        OrderStatusChange.objects.create(
            order=order, to_status=order.status, actor=user, reason=StatusReason.ORDER_PLACED
        )
        clear_cart(cart)
    logger.info("Order %s placed, total %s %s", order.number, order.total, order.currency)
    return order


def transition_order(
    *,
    order_id: int,
    to_status: str,
    actor=None,
    reason: str = "",
    params: dict | None = None,
    note: str = "",
    reinstate: bool = False,
    refund_failed: bool = False,
) -> tuple[Order, bool]:
    """The one way an order's status changes. Locks the row, refuses illegal moves, records
    the change with its `reason` (a StatusReason), the reason's `params` and an optional free
    `note`. Moving to the status it already has is a no-op (returns changed=False), so
    repeated events are harmless.

    `reinstate=True` also allows REINSTATE_TRANSITIONS for an order cancelled because its
    reservation expired: its stock is reserved again, or OutOfStock is raised and nothing
    changes.

    `refund_failed=True` also allows REFUND_FAILED_TRANSITIONS (back from refunded or
    partially refunded after Stripe failed a refund that had succeeded); the caller gives
    StatusReason.REFUND_FAILED."""
    # Inside a caller's transaction, no savepoint of its own: every refusal is raised
    # before the first write (the stock reservation rolls back its own), so there is
    # nothing to undo, and the webhook saves two round trips.
    with nullcontext() if transaction.get_connection().in_atomic_block else transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status == to_status:
            return order, False
        allowed = ALLOWED_TRANSITIONS.get(order.status, set())
        if reinstate and _cancelled_by_expiry(order):
            allowed = allowed | REINSTATE_TRANSITIONS.get(order.status, set())
        if refund_failed:
            allowed = allowed | REFUND_FAILED_TRANSITIONS.get(order.status, set())
        if to_status not in allowed:
            raise IllegalTransition(f"{order.number}: {order.status} -> {to_status} is not allowed")
        from_status = order.status
        if from_status == OrderStatus.CANCELLED:
            _reserve_stock_again(order)
        order.status = to_status
        order.save(update_fields=["status", "updated_at"])
        if to_status == OrderStatus.CANCELLED:
            _release_stock(order)
        OrderStatusChange.objects.create(
            order=order, from_status=from_status, to_status=to_status, actor=actor,
            reason=reason, params=params or {}, note=note,
        )
    return order, True


def cancel_unpaid_order(*, order_id: int, cart: Cart, actor=None) -> Order:
    """The customer gives up an order that awaits payment: it is cancelled (its stock goes
    back) and its items go back into `cart`, as much of each as is in stock now. Raises
    IllegalTransition when it is no longer awaiting payment (paid meanwhile). The caller
    cancels its open PaymentIntents after commit."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.status != OrderStatus.PENDING_PAYMENT:
            raise IllegalTransition(f"{order.number} is {order.status}, not awaiting payment")
        order, _changed = transition_order(
            order_id=order.pk, to_status=OrderStatus.CANCELLED, actor=actor,
            reason=StatusReason.CANCELLED_BY_CUSTOMER,
        )
        in_cart = {line.product_id: line.quantity for line in cart.lines.all()}
        for line in order.lines.select_related("product"):
            product = Product.objects.get(pk=line.product_id)
            room = min(line.quantity, product.stock - in_cart.get(line.product_id, 0))
            if product.is_active and room > 0:
                try:
                    add_to_cart(cart=cart, product=product, quantity=room)
                except CartError:  # over the per-line limit: the rest stays out
                    continue
    return order


class ShippingError(Exception):
    """The order cannot be marked so; the message is for staff."""


def mark_shipped(*, order_id: int, carrier: str, tracking_number: str, tracking_url: str = "",
                 actor=None) -> Shipment:
    """Staff handed a paid order to a carrier: its shipment is recorded and it moves to
    shipped (with the carrier and tracking number in its history). The caller queues the
    customer's e-mail in the same transaction."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if Shipment.objects.filter(order=order).exists():
            raise ShippingError(_("This order has already been shipped."))
        if not may_move(order.status, OrderStatus.FULFILLED):
            raise ShippingError(_("Only a paid order can be shipped."))
        shipment = Shipment.objects.create(order=order, carrier=carrier.strip(),
                                           tracking_number=tracking_number.strip(),
                                           tracking_url=tracking_url.strip())
        transition_order(order_id=order.pk, to_status=OrderStatus.FULFILLED, actor=actor,
                         reason=StatusReason.SHIPPED,
                         params={"carrier": shipment.carrier,
                                 "tracking_number": shipment.tracking_number})
    return shipment


def mark_delivered(*, order_id: int, actor=None) -> Shipment:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        shipment = Shipment.objects.filter(order=order).first()
        if shipment is None or shipment.delivered_at is not None:
            raise ShippingError(_("Only a shipped order can be marked delivered."))
        shipment.delivered_at = timezone.now()
        shipment.save(update_fields=["delivered_at"])
        if may_move(order.status, OrderStatus.DELIVERED):
            transition_order(order_id=order.pk, to_status=OrderStatus.DELIVERED, actor=actor,
                             reason=StatusReason.DELIVERED)
    return shipment


def _release_stock(order: Order) -> None:
    """Give an order's reserved units back to stock, once. Caller holds the order row lock."""
    if order.stock_released:
        return
    lines = list(order.lines.order_by("product_id"))
    for line in lines:
        Product.objects.filter(pk=line.product_id).update(stock=F("stock") + line.quantity)
    stock_moved({line.product_id: line.quantity for line in lines})
    order.stock_released = True
    order.save(update_fields=["stock_released", "updated_at"])


def restock_order(*, order_id: int, actor=None) -> bool:
    """Put all of an order's units back in stock after a refund that asked for it (staff
    refund with "restock"). Deliberately simple: every line, whole quantities, at most once
    per order (the same `stock_released` flag as a cancellation, so a cancelled order is
    never restocked twice either). Returns True when stock was put back now.

    Locks the order row (already held by the payments services that call it)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        if order.stock_released:
            return False
        _release_stock(order)
    logger.info("Order %s restocked after a refund (by %s)", order.number, actor or "system")
    return True


def _cancelled_by_expiry(order: Order) -> bool:
    last = order.status_changes.filter(to_status=OrderStatus.CANCELLED).order_by("-pk").first()
    return (
        order.status == OrderStatus.CANCELLED
        and last is not None
        and last.reason == StatusReason.RESERVATION_EXPIRED
    )


def _reserve_stock_again(order: Order) -> None:
    """Take a cancelled order's units from stock again, all or nothing (the caller's
    transaction rolls back on OutOfStock). Same conditional UPDATE and product order as
    place_order. Caller holds the order row lock."""
    if not order.stock_released:
        return
    with transaction.atomic():
        lines = list(order.lines.order_by("product_id"))
        for line in lines:
            reserved = Product.objects.filter(
                pk=line.product_id, stock__gte=line.quantity
            ).update(stock=F("stock") - line.quantity)
            if not reserved:
                raise OutOfStock(f"{order.number}: {line.sku} is no longer in stock")
        stock_moved({line.product_id: -line.quantity for line in lines})
    order.stock_released = False
    order.save(update_fields=["stock_released", "updated_at"])


def release_expired_orders(*, now: datetime | None = None) -> list[str]:
    """Cancel unpaid orders whose reservation ran out and return their stock.

    Safe to run from cron or a task as often as you like; returns the cancelled numbers.
    """
    now = now or timezone.now()
    expired_ids = Order.objects.filter(
        status=OrderStatus.PENDING_PAYMENT, reserved_until__lt=now
    ).values_list("pk", flat=True)
    cancelled = []
    for order_id in list(expired_ids):
        try:
            order, changed = transition_order(
                order_id=order_id,
                to_status=OrderStatus.CANCELLED,
                reason=StatusReason.RESERVATION_EXPIRED,
            )
        except IllegalTransition:
            continue  # paid meanwhile
        if changed:
            cancelled.append(order.number)
    if cancelled:
        logger.info("Released stock of expired orders: %s", ", ".join(cancelled))
    return cancelled
