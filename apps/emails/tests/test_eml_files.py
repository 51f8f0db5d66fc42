"""The embedded default: a sandbox payment (success, failure, refund) writes the matching
message into var/mail/ (a temporary one here) as an .eml file any mail program opens."""

from decimal import Decimal

import pytest

from apps.core.money import format_money
from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.tests import scenarios
from apps.emails.tests.conftest import in_bdi, parts, read_eml
from apps.orders.models import OrderStatus
from apps.payments import stripe_test_cards as cards
from apps.payments.models import Refund, RefundReason
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db

FSI, PDI = "\u2068", "\u2069"


def eml_of(mail_dir, order, kind):
    """The one .eml file of that order and kind, parsed; checks its record points at it."""
    files = sorted(mail_dir.glob(f"*-{order.number}-{kind}-*.eml"))
    assert len(files) == 1, [path.name for path in mail_dir.iterdir()]
    message = read_eml(files[0])
    record = EmailRecord.objects.get(order=order, kind=kind)
    assert record.status == EmailStatus.SENT
    assert record.provider == "EML file"
    assert message["Message-ID"].strip("<>") == record.provider_message_id
    assert message["To"] == order.email
    return message


def amounts(amount: Decimal) -> tuple[str, str]:
    return format_money(amount, "SAR", "ar"), format_money(amount, "SAR", "en")


def check_both_languages(message, order, *amounts_shown):
    text, html = parts(message)
    assert str(message["Subject"]).count(order.number) == 2
    assert '<td lang="ar" dir="rtl"' in html and '<td lang="en" dir="ltr"' in html
    line = order.lines.get()
    assert line.name_ar in html and line.name_en in html
    assert line.name_ar in text and line.name_en in text
    for amount in amounts_shown:
        ar, en = amounts(amount)
        assert in_bdi(ar, html) and in_bdi(en, html)
        assert f"{FSI}{ar}{PDI}" in text and f"{FSI}{en}{PDI}" in text
    return text, html


def test_a_successful_payment_writes_the_confirmation(order, card_holder, mail_dir):
    scenarios.pay(order, card_holder)

    message = eml_of(mail_dir, order, EmailKind.ORDER_CONFIRMED)
    text, html = check_both_languages(message, order, order.total, order.vat_amount)
    assert html.index('lang="ar"') < html.index('lang="en" dir="ltr"')  # Arabic shopper
    assert [path.suffix for path in mail_dir.iterdir()] == [".eml"]


def test_a_declined_card_writes_the_failure_with_its_retry_link(product, card_holder, mail_dir):
    order = place_test_order(product=product, language="en")
    scenarios.decline(order, card_holder)

    message = eml_of(mail_dir, order, EmailKind.PAYMENT_FAILED)
    text, html = check_both_languages(message, order, order.total)
    assert html.index('<td lang="en"') < html.index('<td lang="ar"')  # English shopper
    for lang in ("en", "ar"):
        link = f"https://shop.example/{lang}/orders/{order.number}/pay/?token="
        assert link in text and link in html


def test_a_partial_refund_writes_refunded_and_kept_amounts(order, card_holder, committed,
                                                          mail_dir):
    payment = scenarios.refund(order, card_holder, committed, amount=Decimal("25.00"))

    message = eml_of(mail_dir, order, EmailKind.REFUND)
    text, _html = check_both_languages(message, order, Decimal("25.00"), Decimal("100.00"),
                                       payment.amount)
    assert "5–10" in text


def test_the_automatic_refund_of_sold_out_goods_is_mailed_too(order, product, card_holder,
                                                             mail_dir):
    from apps.catalog.models import Product
    from apps.orders.services import release_expired_orders

    payment = start_payment(order=order)
    type(order).objects.filter(pk=order.pk).update(reserved_until=order.created_at)
    release_expired_orders()
    Product.objects.filter(pk=product.pk).update(stock=0)  # sold meanwhile

    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)

    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    refund = Refund.objects.get()
    assert refund.reason == RefundReason.OUT_OF_STOCK
    message = eml_of(mail_dir, order, EmailKind.REFUND)
    check_both_languages(message, order, order.total, Decimal("0"))
    # No confirmation for an order that was never reinstated.
    assert not EmailRecord.objects.filter(kind=EmailKind.ORDER_CONFIRMED).exists()
