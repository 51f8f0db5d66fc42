"""Tax documents as the shop issues them: an invoice when the order is paid, a credit note
when a refund of it succeeds, a debit note when Stripe later fails that refund."""

from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse

from apps.core.money import quantize
from apps.emails.models import EmailKind, EmailRecord
from apps.invoices.models import DocumentKind, TaxDocument
from apps.invoices.services import (
    CreditExceedsInvoice,
    credited,
    issue_credit_note,
    issue_invoice,
)
from apps.invoices.zatca import read_payload
from apps.payments.models import Payment, StripeRefundReason
from apps.payments.services.refund_reports import record_refund
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import place_test_order
from apps.pricing.selectors import vat_included
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def money(value: str) -> Decimal:
    return Decimal(value)


def clerk():
    user = UserFactory(email="clerk@gulf-emperor.example")
    user.groups.add(Group.objects.get(name="Refunds"))
    return user


def refund(payment, amount, committed, key):
    return committed(request_refund, payment_id=payment.pk, amount=Decimal(amount),
                     stripe_reason=StripeRefundReason.REQUESTED_BY_CUSTOMER,
                     requested_by=clerk() if not hasattr(refund, "by") else refund.by,
                     idempotency_key=key)


@pytest.fixture
def staff_member(db):
    user = clerk()
    refund.by = user
    yield user
    del refund.by


def invoice_of(order) -> TaxDocument:
    return TaxDocument.objects.get(order=order, kind=DocumentKind.INVOICE)


# --- the invoice ---------------------------------------------------------------------------


def test_a_paid_order_gets_its_simplified_tax_invoice(paid, settings):
    order = paid.order
    invoice = invoice_of(order)

    assert invoice.number.startswith("INV-") and invoice.number.endswith("-000001")
    assert (invoice.sequence, invoice.counter) == (1, 1)
    assert invoice.uuid
    assert invoice.currency == "SAR"
    assert invoice.seller == {key: settings.SHOP_IDENTITY[key] for key in (
        "name_ar", "name_en", "vat_number", "commercial_registration", "address_ar",
        "address_en")}
    [goods, shipping] = invoice.lines
    line = order.lines.get()
    assert (goods["name_ar"], goods["name_en"], goods["quantity"]) == (
        line.name_ar, line.name_en, 1)
    assert (goods["unit_price"], goods["vat_amount"], goods["taxable_amount"],
            goods["line_total"]) == ("100.00", "13.04", "86.96", "100.00")
    assert (shipping["name_en"], shipping["vat_amount"], shipping["line_total"]) == (
        "Shipping", "3.26", "25.00")
    assert goods["vat_rate"] == shipping["vat_rate"] == "0.1500"
    assert (invoice.total_excluding_vat, invoice.vat_total, invoice.total_including_vat) == (
        money("108.70"), money("16.30"), money("125.00"))
    assert invoice.vat_total == order.vat_amount
    assert sum(Decimal(line["vat_amount"]) for line in invoice.lines) == invoice.vat_total
    assert read_payload(invoice.qr_payload) == {
        1: settings.SHOP_IDENTITY["name_ar"],
        2: settings.SHOP_IDENTITY["vat_number"],
        3: invoice.issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        4: "125.00",
        5: "16.30",
    }


def test_the_invoice_is_issued_once_however_often_payment_is_reported(paid):
    from apps.payments.services.fulfilment import refresh_payment

    refresh_payment(payment=Payment.objects.get(pk=paid.pk))
    issue_invoice(paid.order)

    assert TaxDocument.objects.filter(kind=DocumentKind.INVOICE).count() == 1


def test_the_invoice_is_a_frozen_snapshot(paid, settings):
    order = paid.order
    invoice = invoice_of(order)
    before = (invoice.lines, invoice.seller, invoice.total_including_vat, invoice.qr_payload)
    product = order.lines.get().product
    product.price = Decimal("250.00")
    product.name_ar = "اسم جديد"
    product.save()
    settings.SHOP_IDENTITY = {**settings.SHOP_IDENTITY, "name_ar": "متجر آخر",
                              "vat_number": "399999999999993"}

    invoice = TaxDocument.objects.get(pk=invoice.pk)
    assert (invoice.lines, invoice.seller, invoice.total_including_vat,
            invoice.qr_payload) == before
    assert issue_invoice(order).lines == before[0]  # asking again changes nothing


def test_a_rolled_back_payment_takes_no_number(order):
    with pytest.raises(RuntimeError), transaction.atomic():
        issue_invoice(order)
        raise RuntimeError("the payment's transaction failed")

    other = place_test_order()
    assert issue_invoice(other).number.endswith("-000001")
    assert issue_invoice(order).number.endswith("-000002")


def test_invoices_number_their_own_sequence(order):
    first = issue_invoice(order)
    second = issue_invoice(place_test_order())
    assert [first.sequence, second.sequence] == [1, 2]
    assert second.number == first.number.replace("000001", "000002")


# --- credit notes ----------------------------------------------------------------------------


def test_partial_refunds_credit_the_invoices_vat_exactly(paid, committed, staff_member):
    invoice = invoice_of(paid.order)
    for index, amount in enumerate(["33.33", "33.33", "58.34"]):
        refund(paid, amount, committed, key=f"part-{index}")

    notes = list(TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE).order_by("counter"))
    assert [note.number[-6:] for note in notes] == ["000001", "000002", "000003"]
    assert [note.total_including_vat for note in notes] == [
        money("33.33"), money("33.33"), money("58.34")]
    assert sum(note.vat_total for note in notes) == invoice.vat_total == money("16.30")
    assert sum(note.total_including_vat for note in notes) == invoice.total_including_vat
    for note in notes:
        exact = note.total_including_vat * 15 / 115
        assert abs(note.vat_total - exact) <= money("0.01")
        assert note.total_excluding_vat + note.vat_total == note.total_including_vat
        assert note.invoice == invoice
        assert note.reason_en == "Requested by the customer"
        assert note.reason_ar == "بطلب من العميل"
        assert read_payload(note.qr_payload)[4] == str(quantize(note.total_including_vat, "SAR"))
        assert read_payload(note.qr_payload)[5] == str(quantize(note.vat_total, "SAR"))


def test_one_refund_of_everything_credits_exactly_the_invoice(paid, committed, staff_member):
    refund(paid, "125.00", committed, key="all")

    [note] = TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE)
    invoice = invoice_of(paid.order)
    assert (note.total_including_vat, note.vat_total) == (
        invoice.total_including_vat, invoice.vat_total)


def test_credit_notes_never_add_up_to_more_than_the_invoice(paid):
    order = paid.order
    issue_credit_note(order=order, source="test:1", amount=money("100.00"),
                      reason_ar="", reason_en="")
    with pytest.raises(CreditExceedsInvoice):
        issue_credit_note(order=order, source="test:2", amount=money("25.01"),
                          reason_ar="", reason_en="")
    last = issue_credit_note(order=order, source="test:3", amount=money("25.00"),
                             reason_ar="", reason_en="")
    assert last.vat_total == money("16.30") - vat_included(money("100.00"), Decimal("0.15"),
                                                           "SAR")


def test_a_refund_that_fails_after_success_is_reversed_by_a_debit_note(
        paid, committed, staff_member):
    refund(paid, "25.00", committed, key="fails-later")
    refund_row = paid.refunds.get()
    credit_note = TaxDocument.objects.get(kind=DocumentKind.CREDIT_NOTE)

    committed(record_refund, refund={
        "id": refund_row.stripe_refund_id, "object": "refund", "amount": 2500,
        "currency": "sar", "payment_intent": paid.stripe_payment_intent_id,
        "status": "failed", "failure_reason": "expired_or_canceled_card", "metadata": {},
    })

    debit_note = TaxDocument.objects.get(kind=DocumentKind.DEBIT_NOTE)
    assert debit_note.reverses == credit_note
    assert debit_note.invoice == credit_note.invoice
    assert (debit_note.total_including_vat, debit_note.vat_total) == (
        credit_note.total_including_vat, credit_note.vat_total)
    assert TaxDocument.objects.filter(pk=credit_note.pk).exists()  # never deleted
    assert debit_note.number.startswith("DBN-")
    # What is credited is back to nothing: the whole invoice may be credited again (here
    # the 100.00 Stripe still lets us refund).
    refund(paid, "100.00", committed, key="again")
    assert TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 2
    assert credited(credit_note.invoice) == (money("100.00"), vat_included(
        money("100.00"), Decimal("0.15"), "SAR"))


def test_an_automatic_refund_of_a_second_payment_has_no_invoice_to_credit(
        paid, card_holder):
    """The order was paid already: the second payment is refunded automatically. It was
    never a sale, so no invoice and no credit note; the order's invoice is untouched."""
    from apps.payments import stripe_test_cards as cards
    from apps.payments.models import Settlement

    from apps.payments import gateway

    # start_payment refuses a paid order: a second PaymentIntent made as if by a second tab.
    intent = gateway.create_payment_intent(
        amount=paid.amount, currency="SAR", order_id=paid.order.pk,
        order_number=paid.order.number, order_public_id=paid.order.public_id, sequence=2,
        description="second")
    Payment.objects.create(order=paid.order, stripe_payment_intent_id=intent["id"],
                           amount=paid.amount, currency="SAR", sequence=2)
    card_holder.confirm(intent["id"], cards.SUCCEEDS)

    assert Payment.objects.get(stripe_payment_intent_id=intent["id"]).settlement == (
        Settlement.REFUND_DUPLICATE)
    assert TaxDocument.objects.filter(kind=DocumentKind.CREDIT_NOTE).count() == 0
    assert TaxDocument.objects.filter(kind=DocumentKind.INVOICE).count() == 1


# --- where people see them -------------------------------------------------------------------


def page(client, url):
    response = client.get(url)
    return response, BeautifulSoup(response.content, "html.parser")


def test_the_guest_link_shows_the_invoice_bilingual_with_its_qr(paid, client, settings):
    order = paid.order
    invoice = invoice_of(order)
    url = reverse("invoices:guest_document", kwargs={"token": order.guest_token,
                                                      "number": invoice.number})

    response, soup = page(client, url)

    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert soup.html["lang"] == "ar" and soup.html["dir"] == "rtl"
    assert soup.select_one(".document-number").text == invoice.number
    assert soup.select_one(".seller-vat").text == settings.SHOP_IDENTITY["vat_number"]
    assert soup.select_one(".total-including-vat").text.strip() == "125.00"
    assert soup.select_one(".vat-total").text.strip() == "16.30"
    title = soup.select_one(".document-title").text
    assert "فاتورة ضريبية مبسطة" in title and "Simplified tax invoice" in title
    assert soup.select_one(".qr svg") is not None
    assert len(soup.select("tr.line")) == 2


def test_the_order_pages_link_their_documents(paid, client):
    order = paid.order
    invoice = invoice_of(order)

    _response, soup = page(client, order.get_guest_url())
    [link] = soup.select("a.tax-document-link")
    assert link["href"] == reverse("invoices:guest_document",
                                   kwargs={"token": order.guest_token, "number": invoice.number})
    assert invoice.number in link.text


def test_a_document_is_found_only_through_its_own_order(paid, client):
    invoice = invoice_of(paid.order)
    other = place_test_order()
    url = reverse("invoices:guest_document", kwargs={"token": other.guest_token,
                                                      "number": invoice.number})
    assert client.get(url).status_code == 404
    forged = reverse("invoices:guest_document", kwargs={"token": "x:y",
                                                         "number": invoice.number})
    assert client.get(forged).status_code == 404


def test_the_signed_in_customer_and_staff_see_it_and_another_customer_does_not(card_holder,
                                                                               client):
    from apps.payments import stripe_test_cards as cards
    from apps.payments.services.intents import start_payment

    owner = UserFactory(email="owner@example.com")
    order = place_test_order(user=owner)
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    invoice = invoice_of(order)
    url = reverse("invoices:customer_document", kwargs={"order_number": order.number,
                                                         "number": invoice.number})

    client.force_login(UserFactory(email="someone@example.com"))
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert client.get(url).status_code == 200
    _response, soup = page(client, order.get_absolute_url())
    assert soup.select_one("a.tax-document-link")["href"] == url

    client.force_login(clerk())
    staff_url = reverse("shop_orders:document", args=[order.pk, invoice.number])
    response, soup = page(client, staff_url)
    assert response.status_code == 200
    assert soup.select_one(".document-number").text == invoice.number
    _response, soup = page(client, reverse("shop_orders:inspect", args=[order.pk]))
    assert soup.select_one("a.tax-document-link")["href"] == staff_url


def test_the_emails_link_the_invoice_and_the_credit_note(paid, committed, staff_member):
    from apps.emails.rendering import render_email

    confirmation = EmailRecord.objects.get(order=paid.order, kind=EmailKind.ORDER_CONFIRMED)
    invoice = invoice_of(paid.order)
    rendered = render_email(confirmation)
    assert invoice.number in rendered.text
    assert (reverse("invoices:guest_document", kwargs={"token": paid.order.guest_token,
                                                       "number": invoice.number})
            .replace("/en/", "/ar/") in rendered.text)

    refund(paid, "25.00", committed, key="mail")
    note = TaxDocument.objects.get(kind=DocumentKind.CREDIT_NOTE)
    rendered = render_email(EmailRecord.objects.get(order=paid.order, kind=EmailKind.REFUND))
    assert note.number in rendered.text and note.number in rendered.html
    assert str(quantize(note.total_including_vat, "SAR")) == "25.00"
