"""The phase 1 QR code: TLV records whose lengths count UTF-8 bytes, base64 encoded, and
the seller details it needs."""

import base64
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from apps.invoices.checks import seller_details
from apps.invoices.zatca import (
    ValueTooLong,
    qr_payload,
    read_payload,
    seller_problems,
    tlv,
)

VALID_SELLER = {
    "name_ar": "الإمبراطور الخليجي", "name_en": "Gulf Emperor",
    "vat_number": "300000000000003", "commercial_registration": "1010000000",
    "address_ar": "الرياض", "address_en": "Riyadh",
}


def test_zatcas_published_test_vector():
    payload = qr_payload(
        seller_name="Bobs Records", vat_number="310122393500003",
        issued_at=datetime(2022, 4, 25, 15, 30, tzinfo=UTC),
        total_with_vat=Decimal("1000.00"), vat_total=Decimal("150.00"),
    )
    assert payload == ("AQxCb2JzIFJlY29yZHMCDzMxMDEyMjM5MzUwMDAwMwMUMjAyMi0wNC0yNVQxNTozMDowMFoE"
                       "BzEwMDAuMDAFBjE1MC4wMA==")


def test_a_time_in_riyadh_is_written_in_utc():
    from zoneinfo import ZoneInfo

    payload = qr_payload(
        seller_name="Bobs Records", vat_number="310122393500003",
        issued_at=datetime(2022, 4, 25, 18, 30, tzinfo=ZoneInfo("Asia/Riyadh")),
        total_with_vat=Decimal("1000.00"), vat_total=Decimal("150.00"),
    )
    assert read_payload(payload)[3] == "2022-04-25T15:30:00Z"


def test_an_arabic_name_is_counted_in_utf8_bytes_not_letters():
    name = "متجر التمور"  # 11 characters, 10 of them Arabic letters of 2 bytes
    assert len(name) == 11

    encoded = tlv([(1, name)])

    assert encoded[0] == 1
    assert encoded[1] == len(name.encode("utf-8")) == 21
    assert encoded[2:].decode("utf-8") == name
    payload = qr_payload(seller_name=name, vat_number="300000000000003",
                         issued_at=datetime(2026, 12, 1, tzinfo=UTC),
                         total_with_vat=Decimal("125.00"), vat_total=Decimal("16.30"))
    assert read_payload(payload) == {1: name, 2: "300000000000003", 3: "2026-12-01T00:00:00Z",
                                     4: "125.00", 5: "16.30"}
    assert base64.b64decode(payload)[1] == 21


def test_a_value_over_127_bytes_is_refused():
    assert tlv([(1, "م" * 63 + "x")])[1] == 127  # 127 bytes: the most that fits
    with pytest.raises(ValueTooLong, match="128 UTF-8 bytes"):
        tlv([(1, "م" * 64)])  # 64 letters, 128 bytes


@pytest.mark.parametrize(("change", "problem"), [
    ({"vat_number": "300000000000004"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"vat_number": "200000000000003"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"vat_number": "30000000000003"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"vat_number": "3000000000000a3"}, "SHOP_VAT_NUMBER must be 15 digits"),
    ({"commercial_registration": ""}, "SHOP_CR_NUMBER"),
    ({"name_ar": "م" * 64}, "SHOP_NAME_AR is 128 UTF-8 bytes"),
    ({"name_en": ""}, "SHOP_NAME_EN"),
    ({"address_ar": ""}, "SHOP_ADDRESS_AR"),
])
def test_seller_details_no_invoice_may_carry_are_named(change, problem):
    assert seller_problems(VALID_SELLER) == []
    problems = seller_problems({**VALID_SELLER, **change})
    assert len(problems) == 1 and problem in problems[0]


def test_the_start_up_check_reports_them(settings):
    assert seller_details() == []
    settings.SHOP_IDENTITY = {**settings.SHOP_IDENTITY, "name_ar": "م" * 70}
    [error] = seller_details()
    assert error.id == "invoices.E001"
    assert "SHOP_NAME_AR is 140 UTF-8 bytes" in error.msg
