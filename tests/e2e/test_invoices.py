"""Tax documents in a real browser: a shopper pays in Arabic, opens the invoice from the
order page, and the QR code on the screen decodes (zxing-cpp) to ZATCA's TLV with the
shop's VAT number and the order's total; then staff refund part of it in the Arabic admin,
and the credit note's QR code carries the refund. Screenshots: ar-{375,1280}-invoice.png,
ar-{375,1280}-credit-note.png and the A4 print layout (ar-a4-*.png)."""

import io
import re
from decimal import Decimal

import pytest

from tests.e2e.conftest import SCREENSHOT_DIR
from tests.e2e.test_payments import SUCCEEDS, assert_paid, pay_with, place_order
from tests.e2e.test_staff_journeys import sign_in

pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def qr_records(page) -> dict[int, str]:
    """Screenshot the QR code as shown and read it as a phone would."""
    import zxingcpp
    from PIL import Image

    from apps.invoices.zatca import read_payload

    image = Image.open(io.BytesIO(page.locator(".qr svg").screenshot()))
    [barcode] = zxingcpp.read_barcodes(image)
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return read_payload(barcode.text)


def print_preview(page, name: str) -> None:
    """The document as printed on A4 (print CSS), kept beside the screenshots."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.emulate_media(media="print")
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.screenshot(path=SCREENSHOT_DIR / f"ar-a4-{name}.png", full_page=True)
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_pay_open_the_invoice_and_read_its_qr_then_a_partial_refund_and_its_credit_note(
        shopper_factory, settings):
    from apps.invoices.models import DocumentKind, TaxDocument

    shopper = shopper_factory("ar")
    page = shopper.page
    order = place_order(shopper)
    pay_with(shopper, SUCCEEDS)
    assert_paid(shopper, order)
    order.refresh_from_db()
    invoice = TaxDocument.objects.get(order=order, kind=DocumentKind.INVOICE)

    page.goto(shopper.base_url + order.get_guest_url())
    link = page.locator("a.tax-document-link[data-kind=invoice]")
    assert invoice.number in link.inner_text()
    with page.expect_navigation():
        link.click()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator(".document-number").inner_text() == invoice.number
    shopper.snap("invoice")
    print_preview(page, "invoice")

    records = qr_records(page)
    assert records[2] == settings.SHOP_IDENTITY["vat_number"]
    assert records[1] == settings.SHOP_IDENTITY["name_ar"]
    assert Decimal(records[4]) == order.total
    assert Decimal(records[5]) == order.vat_amount

    # Staff refund 10.00 of it in the Arabic admin.
    staff = shopper_factory("ar")
    sign_in(staff, "Refunds")
    admin = staff.page
    admin.goto(f"{staff.base_url}/admin/shop_orders/refund/{order.pk}/")
    admin.locator("input[name=amount]").fill("10.00")
    with admin.expect_navigation():
        admin.locator("button[name=review]").click()
    with admin.expect_navigation():
        admin.locator("button[name=confirm]").click()
    credit_note = TaxDocument.objects.get(order=order, kind=DocumentKind.CREDIT_NOTE)
    admin.goto(f"{staff.base_url}/admin/shop_orders/inspect/{order.pk}/")
    staff_link = admin.locator("a.tax-document-link[data-kind=credit_note]")
    assert credit_note.number in staff_link.inner_text()

    # The customer finds it on the order page too.
    page.goto(shopper.base_url + order.get_guest_url())
    with page.expect_navigation():
        page.locator("a.tax-document-link[data-kind=credit_note]").click()
    assert page.locator(".document-number").inner_text() == credit_note.number
    assert page.locator(".original-invoice").inner_text() == invoice.number
    shopper.snap("credit-note")
    print_preview(page, "credit-note")
    records = qr_records(page)
    assert records[2] == settings.SHOP_IDENTITY["vat_number"]
    assert Decimal(records[4]) == Decimal("10.00")
    assert Decimal(records[5]) == Decimal("1.30")  # 10.00 x 15/115
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", records[3])
    shopper.assert_clean()
