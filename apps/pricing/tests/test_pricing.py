from decimal import Decimal

import pytest

from apps.pricing.selectors import compute_totals
from apps.pricing.tests.factories import ShippingZoneFactory

pytestmark = pytest.mark.django_db


def test_vat_is_the_part_of_the_vat_inclusive_total(shipping_zones):
    # given 100.00 of goods (VAT included) shipped to Riyadh for 15.00
    totals = compute_totals(lines=[(Decimal("50.00"), 2)], city="riyadh")

    # then the shopper pays 115.00, of which 15% VAT is 115 * 0.15 / 1.15 = 15.00
    assert totals.subtotal == Decimal("100.00")
    assert totals.shipping == Decimal("15.00")
    assert totals.total == Decimal("115.00")
    assert totals.vat_rate == Decimal("0.15")
    assert totals.vat_percent == Decimal("15")
    assert totals.vat_amount == Decimal("15.00")


def test_vat_is_rounded_half_up_to_the_halala(shipping_zones):
    totals = compute_totals(lines=[(Decimal("49.50"), 1)], city="riyadh")

    # 64.50 * 0.15 / 1.15 = 8.4130…
    assert totals.total == Decimal("64.50")
    assert totals.vat_amount == Decimal("8.41")


@pytest.mark.parametrize(
    ("city", "shipping"),
    [
        ("riyadh", Decimal("15.00")),
        ("jeddah", Decimal("20.00")),
        ("makkah", Decimal("20.00")),
        ("abha", Decimal("25.00")),  # listed by no zone: the default zone
        ("", Decimal("25.00")),  # city not chosen yet: the default zone
    ],
)
def test_shipping_depends_on_the_city_zone(shipping_zones, city, shipping):
    totals = compute_totals(lines=[(Decimal("100.00"), 1)], city=city)

    assert totals.shipping == shipping
    assert totals.total == Decimal("100.00") + shipping


@pytest.mark.parametrize(
    ("city", "subtotal", "shipping"),
    [
        ("riyadh", "199.99", "15.00"),
        ("riyadh", "200.00", "0.00"),
        ("jeddah", "299.99", "20.00"),
        ("jeddah", "300.00", "0.00"),
        ("tabuk", "399.99", "25.00"),
        ("tabuk", "400.00", "0.00"),
    ],
)
def test_shipping_is_free_from_the_zone_threshold(shipping_zones, city, subtotal, shipping):
    totals = compute_totals(lines=[(Decimal(subtotal), 1)], city=city)

    assert totals.shipping == Decimal(shipping)
    assert totals.free_shipping_from == shipping_zones[
        {"riyadh": "riyadh", "jeddah": "west", "tabuk": "default"}[city]
    ].free_above


def test_free_shipping_vat_is_on_goods_only(shipping_zones):
    totals = compute_totals(lines=[(Decimal("399.00"), 2)], city="riyadh")

    assert totals.shipping == Decimal("0")
    assert totals.total == Decimal("798.00")
    assert totals.vat_amount == Decimal("104.09")  # 798 * 0.15 / 1.15 = 104.0869…


def test_empty_cart_costs_nothing(shipping_zones):
    totals = compute_totals(lines=[], city="riyadh")

    assert totals.total == Decimal("0")
    assert totals.shipping == Decimal("0")
    assert totals.vat_amount == Decimal("0")


def test_zone_without_threshold_always_charges(db):
    ShippingZoneFactory(cities=["hail"], rate=Decimal("30.00"), free_above=None)

    totals = compute_totals(lines=[(Decimal("5000.00"), 1)], city="hail")

    assert totals.shipping == Decimal("30.00")
    assert totals.free_shipping_from is None


def test_three_decimal_currency_totals_are_amounts_stripe_can_charge(settings):
    # Stripe takes KWD/BHD/OMR only in steps of 10 fils: 3 x 1.235 KWD = 3.705 -> 3.710
    settings.SHOP_CURRENCY = "KWD"
    ShippingZoneFactory(cities=["riyadh"], rate=Decimal("1.234"), free_above=None)

    totals = compute_totals(lines=[(Decimal("1.235"), 3)], city="riyadh")

    assert totals.subtotal == Decimal("3.710")
    assert totals.shipping == Decimal("1.230")
    assert totals.total == Decimal("4.940")
