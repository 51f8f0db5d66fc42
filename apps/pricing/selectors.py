"""Order totals, computed only here, only on the server, only in Decimal."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from apps.core.money import quantize, quantize_charge
from apps.pricing.models import ShippingZone


@dataclass(frozen=True)
class Totals:
    currency: str
    subtotal: Decimal
    shipping: Decimal
    total: Decimal
    vat_rate: Decimal
    vat_amount: Decimal
    free_shipping_from: Decimal | None

    @property
    def vat_percent(self) -> Decimal:
        return (self.vat_rate * 100).normalize()


def zone_for_city(city: str | None) -> ShippingZone | None:
    zones = list(ShippingZone.objects.all())
    for zone in zones:
        if city and city in zone.cities:
            return zone
    return next((zone for zone in zones if zone.is_default), None)


def vat_included(amount: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The VAT inside a VAT-inclusive amount, rounded to the currency's decimals: the one
    rounding of VAT (order totals, invoice lines, credit notes)."""
    return quantize(amount * rate / (1 + rate), currency)


def compute_totals(*, lines: Iterable[tuple[Decimal, int]], city: str | None) -> Totals:
    """Totals for (unit price incl. VAT, quantity) lines shipped to `city`.

    Prices include VAT, so the VAT part is extracted from the grand total (shipping is
    taxable in Saudi Arabia too): vat = total * rate / (1 + rate).
    """
    currency = settings.SHOP_CURRENCY
    # Chargeable steps, so the total is an amount Stripe accepts (0.010 for KWD/BHD/OMR).
    subtotal = quantize_charge(sum((price * qty for price, qty in lines), Decimal(0)), currency)
    zone = zone_for_city(city)
    shipping = Decimal(0)
    free_from = None
    if zone is not None and subtotal > 0:
        free_from = zone.free_above
        if zone.free_above is None or subtotal < zone.free_above:
            shipping = zone.rate
    shipping = quantize_charge(shipping, currency)
    total = subtotal + shipping
    rate = settings.SHOP_VAT_RATE
    vat_amount = vat_included(total, rate, currency)
    return Totals(currency, subtotal, shipping, total, rate, vat_amount, free_from)


def delivery_window(city: str | None) -> tuple[int, int] | None:
    """Working days from payment to the door for `city` (its shipping zone's promise)."""
    zone = zone_for_city(city)
    return (zone.delivery_days_min, zone.delivery_days_max) if zone else None
