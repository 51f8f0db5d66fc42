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
from apps.orders.models import DisputeStatus
from apps.payments.services.notifications import DISPUTE_REASONS
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


LRI, RLI = "\u2066", "\u2067"


def subject_in(lang: str, kind: str, number: str) -> str:
    """One language's half: the whole sentence isolated in its direction (RLI for Arabic,
    LRI for English), the order number isolated inside it."""
    with translation.override(lang):
        sentence = str(SUBJECTS[kind]) % {"number": f"{FSI}{number}{PDI}"}
    return f"{RLI if lang == 'ar' else LRI}{sentence}{PDI}"


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
    assert message.subject.count(f"{FSI}{order.number}{PDI}") == 2
    assert message.reply_to == ["care@gulf-emperor.example"]  # customer care answers
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
def test_order_confirmation(language, product, card_holder):
    order = place_test_order(product=product, language=language)
    scenarios.pay(order, card_holder)

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
    # The customer's name keeps its own direction inside "Hello …,".
    assert f"<bdi>{order.full_name}</bdi>" in by_lang["ar"]
    assert f"{FSI}{order.full_name}{PDI}" in text


@pytest.mark.parametrize("first", ["ar", "en"])
def test_each_half_of_the_subject_is_isolated(first):
    """In "<Arabic sentence> · <English sentence>" (or the other way round) neither half's
    direction leaks into the other: each is RLI/LRI … PDI, balanced, so the order number
    stays with its own sentence."""
    record = EmailRecord(kind=EmailKind.REFUND, language=first)
    from apps.emails.rendering import languages_for, subject_for

    halves = []
    for lang in languages_for(record.language):
        with translation.override(lang):
            halves.append(subject_for(EmailKind.REFUND, "GE-2026-000042", lang))
    subject = " · ".join(halves)

    assert subject.startswith(RLI if first == "ar" else LRI)
    assert halves[0].endswith(PDI) and halves[1].endswith(PDI)
    for half in halves:
        opened = sum(half.count(mark) for mark in (LRI, RLI, FSI))
        assert opened == half.count(PDI) == 2  # the sentence, the number: both closed
        assert f"{FSI}GE-2026-000042{PDI}" in half
    # The separator sits between the two isolates, outside both.
    assert subject.index(" · ") == len(halves[0])


@LANGUAGES
def test_payment_failure_links_back_to_the_payment(language, product, card_holder, client):
    order = place_test_order(product=product, language=language)
    scenarios.decline(order, card_holder)

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
def test_refund(language, amount, product, card_holder, committed):
    order = place_test_order(product=product, language=language)
    payment = scenarios.refund(order, card_holder, committed, amount=amount)

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
    with translation.override("en"):
        assert f"{translation.gettext('Amount still charged')}: " in text


def test_two_partial_refunds_sent_in_reverse_order_each_state_their_own_amounts(
    product, card_holder, committed, provider
):
    """The figures are frozen when each refund mail is queued: with the provider down during
    both refunds, the retries send the second refund's mail first, then the first one's —
    and neither mail borrows the other's amounts."""
    from apps.emails.services import send_email
    from apps.payments.services.refunds import request_refund
    from apps.payments.tests.factories import stripe_id

    order = place_test_order(product=product, language="en")
    payment = scenarios.pay(order, card_holder)
    provider.down = True
    for amount in (Decimal("25.00"), Decimal("40.00")):
        committed(request_refund, payment_id=payment.pk, amount=amount,
                  stripe_reason="requested_by_customer", requested_by=None,
                  idempotency_key=f"form-{stripe_id('k')}")
    first, second = EmailRecord.objects.filter(kind=EmailKind.REFUND).order_by("pk")
    assert (first.status, second.status) == (EmailStatus.RETRYING, EmailStatus.RETRYING)
    provider.down = False
    mail.outbox.clear()

    assert send_email(second.pk, force=True) == EmailStatus.SENT
    assert send_email(first.pk, force=True) == EmailStatus.SENT

    assert len(mail.outbox) == 2
    second_text, first_text = (message.body for message in mail.outbox)
    en = lambda amount: f"{FSI}{money(Decimal(amount), 'en')}{PDI}"  # noqa: E731
    # Refund 1: 25.00 back, 100.00 still charged (of 125.00).
    assert f"Amount refunded: {en('25.00')}" in first_text
    assert f"Amount still charged: {en('100.00')}" in first_text
    assert "Refunded so far" not in first_text
    # Refund 2: 40.00 back, 65.00 refunded in all, 60.00 still charged.
    assert f"Amount refunded: {en('40.00')}" in second_text
    assert f"Refunded so far: {en('65.00')}" in second_text
    assert f"Amount still charged: {en('60.00')}" in second_text
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.data["refund_amount"], first.data["refunded_total"]) == ("25.00", "25.00")
    assert (second.data["refund_amount"], second.data["refunded_total"]) == ("40.00", "65.00")


@LANGUAGES
def test_a_partial_refund_then_the_rest_states_the_right_figures(language, product, card_holder,
                                                                 committed):
    """10.00 back, then the rest: the last mail says how much came back this time (389.00),
    that the whole payment (399.00, not the last refund) is now refunded, and what was paid."""
    from apps.payments.services.refunds import request_refund
    from apps.payments.tests.factories import stripe_id

    product.price = Decimal("374.00")  # + 25.00 shipping = 399.00
    product.save()
    order = place_test_order(product=product, language=language)
    payment = scenarios.pay(order, card_holder)
    assert payment.amount == Decimal("399.00")
    for amount in (Decimal("10.00"), None):  # None: what is left
        committed(request_refund, payment_id=payment.pk, amount=amount,
                  stripe_reason="requested_by_customer", requested_by=None,
                  idempotency_key=f"form-{stripe_id('k')}")

    first, last = EmailRecord.objects.filter(kind=EmailKind.REFUND).order_by("pk")
    assert (first.data["refund_amount"], first.data["refunded_total"], first.data["paid"]) == (
        "10.00", "10.00", "399.00")
    assert (last.data["refund_amount"], last.data["refunded_total"], last.data["kept"]) == (
        "389.00", "399.00", "0.00")
    message = [m for m in mail.outbox if m.extra_headers.get("Content-Language") == language][-1]
    by_lang, text = check_bilingual(message, order, EmailKind.REFUND, language)
    for lang in ("ar", "en"):
        block = by_lang[lang]
        with translation.override(lang):
            sentence = translation.gettext(
                "We have refunded the remaining %(amount)s of your payment for order "
                "%(number)s: your whole payment of %(paid)s is now refunded."
            )
            assert translation.gettext("Amount refunded") in block
            assert translation.gettext("Refunded so far") in block
            assert translation.gettext("Amount paid") in block
        opening = sentence.split("%(amount)s")[0]
        assert opening in block
        assert in_bdi(money(Decimal("389.00"), lang), block)  # this time
        assert in_bdi(money(Decimal("399.00"), lang), block)  # so far = what was paid
        assert money(Decimal("389.00"), lang) != money(Decimal("399.00"), lang)
    assert f"{FSI}{money(Decimal('389.00'), 'en')}{PDI}" in text
    # The full-refund sentence names what was paid, never the last refund as "whole payment".
    with translation.override("en"):
        assert ("your whole payment of " + f"{FSI}{money(Decimal('399.00'), 'en')}{PDI}") in text
        assert "whole payment of " + f"{FSI}{money(Decimal('389.00'), 'en')}" not in text


@LANGUAGES
def test_dispute_alert_goes_to_staff(language, settings, order, card_holder, committed,
                                     post_event):
    settings.SHOP_STAFF_ALERT_LANGUAGE = language
    payment = scenarios.dispute(order, card_holder, committed, post_event)

    record, message = sent_message(order, EmailKind.DISPUTE_ALERT)

    assert message.to == ["staff@gulf-emperor.example"]
    by_lang, _text = check_bilingual(message, order, EmailKind.DISPUTE_ALERT, language)
    for lang in ("ar", "en"):
        block = by_lang[lang]
        assert in_bdi(money(Decimal('125.00'), lang), block)
        assert in_bdi(record.data['dispute_id'], block)
        with translation.override(lang):  # Stripe's codes in staff's words
            reason = str(DISPUTE_REASONS["fraudulent"])
            status = DisputeStatus.label_of("needs_response")
        assert in_bdi(reason, block) and in_bdi(status, block)
        assert "fraudulent" not in block and "needs_response" not in block
        assert payment.stripe_payment_intent_id in block  # the Stripe Dashboard link


def test_a_dispute_code_stripe_adds_later_is_shown_as_it_is(order, card_holder, committed,
                                                            post_event):
    scenarios.dispute(order, card_holder, committed, post_event, reason="some_new_reason",
                      status="some_new_status")

    record = EmailRecord.objects.get(order=order, kind=EmailKind.DISPUTE_ALERT)
    assert record.data["reason_label"] == {"ar": "some_new_reason", "en": "some_new_reason"}
    assert record.data["status_label"] == {"ar": "some_new_status", "en": "some_new_status"}


def test_an_empty_staff_list_records_the_alert_as_failed_not_sent(settings, order, card_holder,
                                                                 committed, post_event):
    settings.SHOP_STAFF_ALERT_EMAILS = []

    scenarios.dispute(order, card_holder, committed, post_event)

    record = EmailRecord.objects.get(order=order, kind=EmailKind.DISPUTE_ALERT)
    assert record.status == EmailStatus.FAILED
    assert "SHOP_STAFF_ALERT_EMAILS" in record.last_error
    assert record.sent_at is None
    assert not [message for message in mail.outbox if "dispute" in message.subject.lower()]
