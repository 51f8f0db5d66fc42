"""Every message kind in both language orders, through anymail's test backend: subject,
lang/dir of each block, amounts as the shop formats them, the retry link."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import translation

from apps.core.money import format_money
from apps.emails.models import EmailKind, EmailRecord, EmailStatus
from apps.emails.rendering import SUBJECTS
from apps.emails.tests import scenarios
from apps.emails.tests.conftest import in_bdi
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db

BLOCK = re.compile(r'<td lang="(ar|en)" dir="(rtl|ltr)"')
FSI, PDI = "\u2068", "\u2069"


def sent_message(order, kind):
    record = EmailRecord.objects.get(order=order, kind=kind)
    assert record.status == EmailStatus.SENT
    assert record.provider == "Test"
    message = mail.outbox[int(record.provider_message_id)]  # the test backend's message id
    return record, message


def blocks(html: str) -> dict[str, str]:
    """Each language block's HTML, by language."""
    starts = [(match.start(), match.group(1)) for match in BLOCK.finditer(html)]
    ends = [start for start, _lang in starts[1:]] + [len(html)]
    return {lang: html[start:end] for (start, lang), end in zip(starts, ends, strict=True)}


def subject_in(lang: str, kind: str, number: str) -> str:
    with translation.override(lang):
        return str(SUBJECTS[kind]) % {"number": number}


def money(amount, lang: str) -> str:
    return format_money(amount, "SAR", lang)


def check_bilingual(message, order, kind, first: str):
    """Subject in both languages (reader's first), blocks with their own lang and dir, in
    that order, an HTML and a plain-text part."""
    second = "en" if first == "ar" else "ar"
    assert message.subject == (
        f"{subject_in(first, kind, order.number)} · {subject_in(second, kind, order.number)}"
    )
    assert message.subject.count(order.number) == 2
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'<html lang="{first}" dir="{"rtl" if first == "ar" else "ltr"}">' in html
    expected = [(lang, "rtl" if lang == "ar" else "ltr") for lang in (first, second)]
    assert BLOCK.findall(html) == expected
    assert "font-family:Tahoma,'Noto Sans Arabic',Arial,sans-serif" in html
    assert 'style="' in html and "<table" in html  # inline styles, table layout
    assert message.body  # the plain-text alternative
    text = message.body
    assert text.index(f"{FSI}{order.number}{PDI}") >= 0  # isolated in plain text
    return blocks(html), text


LANGUAGES = pytest.mark.parametrize("language", ["ar", "en"])


@LANGUAGES
def test_order_confirmation(language, product, sandbox):
    order = place_test_order(product=product, language=language)
    scenarios.pay(order, sandbox)

    record, message = sent_message(order, EmailKind.ORDER_CONFIRMED)

    assert message.to == [order.email]
    by_lang, text = check_bilingual(message, order, EmailKind.ORDER_CONFIRMED, language)
    line = order.lines.get()
    for lang, name in (("ar", line.name_ar), ("en", line.name_en)):
        block = by_lang[lang]
        assert in_bdi(order.number, block)
        assert name in block
        for amount in (order.total, order.vat_amount, order.shipping, line.line_total):
            assert in_bdi(money(amount, lang), block)
        assert order.street in block and order.postal_code in block  # delivery address
        assert f"https://shop.example/{lang}/orders/track/" in block  # the order page
    assert f"{FSI}{money(order.total, 'ar')}{PDI}" in text
    assert f"{FSI}{money(order.total, 'en')}{PDI}" in text
    assert record.language == language


@LANGUAGES
def test_payment_failure_links_back_to_the_payment(language, product, sandbox, client):
    order = place_test_order(product=product, language=language)
    scenarios.decline(order, sandbox)

    _record, message = sent_message(order, EmailKind.PAYMENT_FAILED)

    by_lang, text = check_bilingual(message, order, EmailKind.PAYMENT_FAILED, language)
    links = {}
    for lang in ("ar", "en"):
        block = by_lang[lang]
        assert in_bdi(money(order.total, lang), block)
        link = re.search(r'href="(https://shop\.example/(ar|en)/orders/[^"]+/pay/\?token=[^"]+)"',
                         block)
        assert link and link.group(2) == lang
        links[lang] = link.group(1).replace("&amp;", "&")
        with translation.override(lang):
            assert translation.gettext(
                "Your card was declined. Please try another card or contact your bank."
            ) in block
    assert links["ar"] in text and links["en"] in text
    # The link works for a guest who is not signed in: the payment page opens.
    for lang, link in links.items():
        response = client.get(link.removeprefix("https://shop.example"))
        assert response.status_code == 200, lang
        assert order.number in response.content.decode()


@LANGUAGES
@pytest.mark.parametrize("amount", [Decimal("25.00"), None], ids=["partial", "full"])
def test_refund(language, amount, product, sandbox, committed):
    order = place_test_order(product=product, language=language)
    payment = scenarios.refund(order, sandbox, committed, amount=amount)

    _record, message = sent_message(order, EmailKind.REFUND)

    by_lang, text = check_bilingual(message, order, EmailKind.REFUND, language)
    refunded = amount or payment.amount
    kept = payment.amount - refunded
    for lang in ("ar", "en"):
        block = by_lang[lang]
        assert in_bdi(money(refunded, lang), block)
        assert in_bdi(money(kept, lang), block)
        assert in_bdi(money(payment.amount, lang), block)
        with translation.override(lang):
            assert translation.gettext(
                "Refunds usually reach your account within 5–10 business days, depending on "
                "your bank."
            ) in block
    assert f"{FSI}{money(refunded, 'en')}{PDI}" in text
    assert f"{FSI}{money(kept, 'en')}{PDI}" in text


@LANGUAGES
def test_dispute_alert_goes_to_staff(language, settings, order, sandbox, committed,
                                     post_event):
    settings.SHOP_STAFF_ALERT_LANGUAGE = language
    payment = scenarios.dispute(order, sandbox, committed, post_event)

    record, message = sent_message(order, EmailKind.DISPUTE_ALERT)

    assert message.to == ["staff@gulf-emperor.example"]
    by_lang, _text = check_bilingual(message, order, EmailKind.DISPUTE_ALERT, language)
    for lang in ("ar", "en"):
        block = by_lang[lang]
        assert in_bdi(money(Decimal('125.00'), lang), block)
        assert in_bdi(record.data['dispute_id'], block)
        assert "fraudulent" in block
        assert payment.stripe_payment_intent_id in block  # the Stripe Dashboard link
