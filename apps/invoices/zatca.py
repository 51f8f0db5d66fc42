"""ZATCA e-invoicing phase 1: the QR code of a simplified tax invoice (and of its credit and
debit notes), and the seller details it needs. Pure functions, no database: the settings
check at start-up and production settings use them too.

The QR code's content is base64 of TLV records (tag, length, value), tag and length one
byte each. The length counts the value's UTF-8 bytes, so an Arabic letter counts 2; a value
over 127 bytes cannot be written (ZATCA's phase 1 readers take a one-byte length whose high
bit is clear) and is refused.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

import segno

MAX_VALUE_BYTES = 127
SELLER_NAME, VAT_NUMBER, TIMESTAMP, TOTAL_WITH_VAT, VAT_TOTAL = 1, 2, 3, 4, 5
# A VAT registration number: 15 digits, the first and the last a 3.
VAT_NUMBER_PATTERN = re.compile(r"^3\d{13}3$")


class ValueTooLong(ValueError):
    """A QR value over 127 UTF-8 bytes."""


def tlv(records: list[tuple[int, str]]) -> bytes:
    encoded = bytearray()
    for tag, value in records:
        data = value.encode("utf-8")
        if len(data) > MAX_VALUE_BYTES:
            raise ValueTooLong(
                f"QR tag {tag} is {len(data)} UTF-8 bytes; at most {MAX_VALUE_BYTES} fit."
            )
        encoded += bytes([tag, len(data)]) + data
    return bytes(encoded)


def qr_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC, as ZATCA's examples write it: 2022-04-25T15:30:00Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def qr_payload(*, seller_name: str, vat_number: str, issued_at: datetime,
               total_with_vat: Decimal, vat_total: Decimal) -> str:
    """The base64 text a phase 1 QR code carries. Amounts are written as given (quantized
    to the currency's decimals by the caller: "1000.00")."""
    return base64.b64encode(tlv([
        (SELLER_NAME, seller_name),
        (VAT_NUMBER, vat_number),
        (TIMESTAMP, qr_timestamp(issued_at)),
        (TOTAL_WITH_VAT, str(total_with_vat)),
        (VAT_TOTAL, str(vat_total)),
    ])).decode("ascii")


def read_payload(payload: str) -> dict[int, str]:
    """tag -> value of a QR payload (what a ZATCA reader shows)."""
    data = base64.b64decode(payload)
    records, index = {}, 0
    while index < len(data):
        tag, length = data[index], data[index + 1]
        records[tag] = data[index + 2:index + 2 + length].decode("utf-8")
        index += 2 + length
    return records


def qr_svg(payload: str, *, scale: int = 4) -> str:
    """The QR code as inline SVG (segno: pure Python, no network, no system package)."""
    # A viewBox without a fixed size: the page's CSS scales it (print and phone alike),
    # quiet zone included.
    return segno.make(payload, error="m").svg_inline(scale=scale, dark="#000", light="#fff",
                                                     title="رمز الفاتورة", omitsize=True)


def seller_problems(identity: Mapping[str, str]) -> list[str]:
    """What keeps these seller details (settings.SHOP_IDENTITY) off a lawful tax invoice."""
    problems = []
    vat_number = str(identity.get("vat_number") or "")
    if not VAT_NUMBER_PATTERN.match(vat_number):
        problems.append(
            f"SHOP_VAT_NUMBER must be 15 digits starting and ending with 3; it is "
            f"{vat_number!r}."
        )
    if not str(identity.get("commercial_registration") or "").strip():
        problems.append("SHOP_CR_NUMBER (the commercial registration number) is required.")
    for key, setting in (("name_ar", "SHOP_NAME_AR"), ("name_en", "SHOP_NAME_EN")):
        name = str(identity.get(key) or "").strip()
        size = len(name.encode("utf-8"))
        if not name:
            problems.append(f"{setting} (the seller's name on invoices) is required.")
        elif size > MAX_VALUE_BYTES:
            problems.append(
                f"{setting} is {size} UTF-8 bytes; the invoice QR code holds at most "
                f"{MAX_VALUE_BYTES} (an Arabic letter takes 2)."
            )
    for key, setting in (("address_ar", "SHOP_ADDRESS_AR"), ("address_en", "SHOP_ADDRESS_EN")):
        if not str(identity.get(key) or "").strip():
            problems.append(f"{setting} (the seller's address on invoices) is required.")
    return problems
