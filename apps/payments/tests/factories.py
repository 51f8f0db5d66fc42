"""Payments test data: orders placed through the checkout service, and Stripe-shaped
PaymentIntent / charge / refund / event objects (shapes from Stripe's API reference)."""

import itertools
import secrets
import time
from decimal import Decimal
from typing import Any

from apps.cart.models import Cart, CartLine
from apps.catalog.tests.factories import ProductFactory
from apps.core.money import to_minor_units
from apps.orders.models import Order
from apps.orders.services import Contact, place_order
from apps.orders.tests.factories import delivery_address
from apps.payments.models import Payment
from apps.pricing.models import ShippingZone


def default_zone() -> ShippingZone:
    zone = ShippingZone.objects.filter(is_default=True).first()
    return zone or ShippingZone.objects.create(
        name_ar="المملكة", name_en="Kingdom", cities=[], rate=Decimal("25.00"),
        free_above=Decimal("400.00"), is_default=True,
    )


def place_test_order(
    *, product=None, quantity: int = 1, language: str = "ar", user=None
) -> Order:
    """An order placed through place_order (stock reserved), total = price x qty + 25."""
    default_zone()
    product = product or ProductFactory(price=Decimal("100.00"), stock=50)
    cart = Cart.objects.create()
    CartLine.objects.create(cart=cart, product=product, quantity=quantity)
    return place_order(
        cart=cart,
        address=delivery_address(),
        contact=Contact(email=user.email if user else "noura@example.com", language=language),
        user=user,
    )


def stripe_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


_clock = itertools.count(int(time.time()) - 1000)


def tick() -> int:
    """Increasing Stripe timestamps for hand-made events."""
    return next(_clock)


def intent_payload(
    payment: Payment,
    *,
    status: str,
    last_payment_error: dict | None = None,
    latest_charge: Any = None,
) -> dict[str, Any]:
    return {
        "id": payment.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": to_minor_units(payment.amount, payment.currency),
        "amount_received": to_minor_units(payment.amount, payment.currency)
        if status == "succeeded" else 0,
        "automatic_payment_methods": {"enabled": True},
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": payment.client_secret,
        "created": tick(),
        "currency": payment.currency.lower(),
        "description": f"Order {payment.order.number}",
        "last_payment_error": last_payment_error,
        "latest_charge": latest_charge,
        "livemode": False,
        "metadata": {"order_id": str(payment.order_id), "order_number": payment.order.number},
        "next_action": None,
        "payment_method": None,
        "payment_method_types": ["card"],
        "status": status,
    }


def card_error(*, charge: str | None, decline_code: str = "generic_decline") -> dict:
    return {
        "charge": charge,
        "code": "card_declined",
        "decline_code": decline_code,
        "doc_url": "https://stripe.com/docs/error-codes/card-declined",
        "message": "Your card was declined.",
        "payment_method": {
            "id": stripe_id("pm"), "object": "payment_method", "type": "card",
            "card": {"brand": "visa", "last4": "0002", "exp_month": 12, "exp_year": 2034},
        },
        "type": "card_error",
    }


def charge_payload(
    payment: Payment, *, charge_id: str, status: str = "succeeded", amount_refunded: int = 0,
    last4: str = "4242",
) -> dict[str, Any]:
    amount = to_minor_units(payment.amount, payment.currency)
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount if status == "succeeded" else 0,
        "amount_refunded": amount_refunded,
        "captured": status == "succeeded",
        "created": tick(),
        "currency": payment.currency.lower(),
        "failure_code": None if status == "succeeded" else "card_declined",
        "failure_message": None if status == "succeeded" else "Your card was declined.",
        "livemode": False,
        "metadata": {},
        "outcome": {"reason": None if status == "succeeded" else "generic_decline",
                    "type": "authorized" if status == "succeeded" else "issuer_declined"},
        "paid": status == "succeeded",
        "payment_intent": payment.stripe_payment_intent_id,
        "payment_method_details": {"card": {"brand": "visa", "last4": last4}, "type": "card"},
        "refunded": amount_refunded >= amount,
        "status": status,
    }


def event_payload(event_type: str, obj: dict[str, Any], *, created: int | None = None,
                  event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or stripe_id("evt"),
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": created if created is not None else tick(),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
