"""Every screen of the shop's own admin, walked in Arabic by a manager with data that fills
them all, shows staff words, not Python: no None / True / False, no status codes, no ISO or
UTC times, no unformatted amounts and no English outside a fixed allow-list."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import models
from django.urls import get_resolver, reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from apps.backoffice.tests.fixtures import make_staff
from apps.catalog.models import Product
from apps.emails.models import EmailEvent, EmailKind, EmailRecord, EmailStatus
from apps.emails.tests.scenarios import decline, dispute, pay
from apps.orders.models import DisputeStatus, Order, OrderLine, OrderStatus, StatusReason
from apps.payments.models import (
    Payment,
    PaymentAttempt,
    PaymentReview,
    PaymentStatus,
    Refund,
    RefundReason,
    RefundStatus,
    Settlement,
    StripeEvent,
    StripeRefundReason,
)
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import approve_refund, request_refund
from apps.payments.tests.factories import event_payload, intent_payload, place_test_order, stripe_id
from apps.pricing.models import ShippingZone

# The shop's own admin screens: (URL namespace, model of its `pk` URLs).
SCREENS = {
    "shop_orders": Order,
    "shop_payments": Payment,
    "shop_refunds": Refund,
    "shop_stripe_events": StripeEvent,
    "shop_emails": EmailRecord,
    "shipping_zones": ShippingZone,
}
# Views that only take a POST (they redirect to a page walked anyway).
POST_ONLY = {"rerun", "resend", "deliver"}
# Tax documents are printed in Arabic and English side by side, by law and by design
# (apps/invoices/tests check them).
BILINGUAL = {"document"}

# Every code the shop stores for a status, reason or kind: never shown as such.
CHOICES = (OrderStatus, DisputeStatus, StatusReason, PaymentStatus, Settlement, PaymentReview,
           RefundStatus, RefundReason, StripeRefundReason, EmailKind, EmailStatus)
RAW_CODES = frozenset(value for choices in CHOICES for value in choices.values)

# Names and identifiers that are Latin wherever they are shown.
BRANDS = {"Stripe", "Wagtail", "Visa", "Gulf", "Emperor", "PaymentIntent"}
STRIPE_ID = re.compile(r"\b(?:pi|ch|py|re|evt|du|txn|pm|cus)_[A-Za-z0-9]+\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TAX_DOCUMENT_NUMBER = re.compile(r"\b(?:INV|CRN|DBN)-\d{4}-\d{6}\b")
CURRENCY_CODE = re.compile(r"\b(?:SAR|AED|QAR|USD|EUR|KWD|BHD|OMR|JOD)\b")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
PYTHON_WORD = re.compile(r"\b(?:None|True|False)\b")
# 2026-12-01T07:13, 2026-12-01 07:13:00+00:00
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
# A decimal number, and what may follow it: an Arabic currency sign ("‏1,050.00 ر.س.‏",
# format_money in Arabic) or a per cent sign.
DECIMAL = re.compile(r"(?<![\w.,])\d[\d,]*\.\d+(?![\w.])")
FORMATTED_AFTER = re.compile(r"^[\s\u200e\u200f\xa0]*(?:[\u0621-\u064a]|%)")
TIME = re.compile(r"(?<![\d:])(\d{1,2}:\d{2})(?![\d:])")
BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
DOUBLED_STOP = re.compile(r"(?<!\.)\.\s?\.(?!\.)")
CODE_TOKEN = re.compile(r"[A-Za-z0-9_]+(?:[.:][A-Za-z0-9_]+)*")


# --- the data ----------------------------------------------------------------------------


def arabic_staff(group: str, name: str):
    user = make_staff(group, language="ar")
    user.first_name, user.last_name = name, "العتيبي"
    user.save()
    return user


@pytest.fixture
def shop(card_holder, committed, post_event, product, settings):
    """A manager and a refunds clerk (both working in Arabic), and orders filling every
    screen: paid and partly refunded, a refund above the approval threshold requested by the
    clerk, one approved by the manager, a declined card, a dispute, a Stripe event whose
    handling failed, e-mails with tracking events."""
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("1000.00")
    manager = arabic_staff("Managers", "سارة")
    clerk = arabic_staff("Refunds", "خالد")
    for codename in ("view_shippingzone", "change_shippingzone", "add_shippingzone",
                     "delete_shippingzone"):
        manager.user_permissions.add(Permission.objects.get(codename=codename))

    big = place_test_order(product=product, quantity=12)  # 1,200.00 SAR, shipped free
    payment = pay(big, card_holder)
    committed(request_refund, payment_id=payment.pk, amount=Decimal("50.00"),
              stripe_reason="requested_by_customer", note="اتصل العميل", restock=False,
              requested_by=manager, idempotency_key="form-partial")
    awaiting = committed(request_refund, payment_id=payment.pk, amount=Decimal("1050.00"),
                         stripe_reason="requested_by_customer", note="طلب العميل الإلغاء",
                         restock=True, requested_by=clerk, idempotency_key="form-awaiting")
    assert awaiting.status == RefundStatus.AWAITING_APPROVAL

    approved_order = place_test_order(product=product, quantity=11)
    approved_payment = pay(approved_order, card_holder)
    approved = committed(request_refund, payment_id=approved_payment.pk,
                         amount=Decimal("1100.00"), stripe_reason="duplicate",
                         requested_by=clerk, idempotency_key="form-approved")
    committed(approve_refund, refund_id=approved.pk, approver=manager)

    decline(place_test_order(product=product), card_holder)
    dispute(place_test_order(product=product), card_holder, committed, post_event)

    failed_payload = event_payload("payment_intent.succeeded", intent_payload(
        start_payment(order=place_test_order(product=product)), status="succeeded",
        latest_charge=stripe_id("ch")))
    StripeEvent.objects.create(
        stripe_id=failed_payload["id"], type=failed_payload["type"],
        stripe_created=failed_payload["created"], payload=failed_payload,
        payment_intent_id=failed_payload["data"]["object"]["id"],
        error="RuntimeError: database went away",
    )

    record = EmailRecord.objects.filter(kind=EmailKind.ORDER_CONFIRMED).first()
    EmailEvent.objects.create(record=record, event_type="delivered", event_id="ev-1",
                              occurred_at=timezone.now(), recipient=record.to[0])
    EmailRecord.objects.filter(pk=record.pk).update(last_event_at=timezone.now())

    assert Order.objects.filter(status=OrderStatus.PARTIALLY_REFUNDED).exists()
    assert Order.objects.exclude(dispute_status="").exists()
    assert PaymentAttempt.objects.filter(status=PaymentStatus.FAILED).exists()
    assert EmailRecord.objects.filter(kind=EmailKind.PAYMENT_FAILED).exists()
    return manager


# --- reading the screens -----------------------------------------------------------------


def shop_urls() -> list[str]:
    """Every GET page of the shop's viewsets (from their URL names), for every object, and
    the dashboard."""
    resolver = get_resolver()
    urls = ["/admin/"]
    for namespace, model in SCREENS.items():
        _prefix, viewset = resolver.namespace_dict[namespace]
        for pattern in viewset.url_patterns:
            if pattern.name in POST_ONLY | BILINGUAL:
                continue
            name = f"{namespace}:{pattern.name}"
            if "pk" in pattern.pattern.converters:
                urls += [reverse(name, args=[pk])
                         for pk in model._default_manager.values_list("pk", flat=True)]
            else:
                urls.append(reverse(name))
    return urls


def visible_text(html: str) -> str:
    """What staff read in the page's main content (the whole fragment for the results
    views): no scripts, styles or attributes, and not the Stripe event's JSON payload."""
    soup = BeautifulSoup(html, "html.parser")
    main = soup.find("main") or soup
    for node in main.find_all(["script", "style", "template"]):
        node.decompose()
    for node in main.select("[hidden], [data-json-payload]"):
        node.decompose()
    for node in main.select(".shop-email"):  # an address wraps before its "@": one text
        node.string = node.get_text("")
    return " ".join(main.get_text(" ").split())


def shop_data_values() -> list[str]:
    """Shop data that is Latin as it is: order numbers, SKUs and product names, the
    e-mails' subjects as sent, the e-mail provider, the shipping zones' English names, and
    Stripe's own identifiers (event types, API versions, decline codes) and error texts
    recorded as they came."""
    values = list(Order.objects.values_list("number", flat=True))
    values += Product.objects.values_list("sku", flat=True)
    values += OrderLine.objects.values_list("sku", flat=True)
    values += OrderLine.objects.values_list("name_en", flat=True)
    values += EmailRecord.objects.values_list("subject", flat=True)
    values += EmailRecord.objects.values_list("provider", flat=True)
    values += ShippingZone.objects.values_list("name_en", flat=True)
    values += StripeEvent.objects.values_list("type", flat=True)
    values += StripeEvent.objects.values_list("api_version", flat=True)
    values += StripeEvent.objects.values_list("error", flat=True)
    for model in (Payment, PaymentAttempt):
        values += model.objects.values_list("failure_code", flat=True)
        values += model.objects.values_list("decline_code", flat=True)
    return sorted({value for value in values if value}, key=len, reverse=True)


def stored_times() -> tuple[set[str], set[str]]:
    """Every stored time as "H:i", in UTC and in the shop's time zone."""
    utc, local = set(), set()
    for model in (Order, Payment, PaymentAttempt, Refund, StripeEvent, EmailRecord, EmailEvent,
                  ModelLogEntry):
        fields = [f.name for f in model._meta.concrete_fields
                  if isinstance(f, models.DateTimeField)]
        for row in model.objects.values_list(*fields):
            for value in row:
                if isinstance(value, datetime):
                    utc.add(f"{value.astimezone(UTC):%H:%M}")
                    local.add(f"{timezone.localtime(value):%H:%M}")
    return utc, local


def problems_in(text: str, *, data: list[str], utc_only: set[str]) -> list[str]:
    found = [f"Python value {word!r}" for word in PYTHON_WORD.findall(text)]
    found += [f"ISO time {value!r}" for value in ISO_DATETIME.findall(text)]
    found += [f"UTC time {value!r}" for value in TIME.findall(text) if value in utc_only]
    for match in DOUBLED_STOP.finditer(BIDI_MARKS.sub("", text)):
        found.append(f"doubled full stop: …{match.string[max(0, match.start() - 30):match.end()]}")
    for value in data:
        text = text.replace(value, " ")
    text = TAX_DOCUMENT_NUMBER.sub(" ", EMAIL.sub(" ", STRIPE_ID.sub(" ", text)))
    found += [f"status code {token!r}" for token in CODE_TOKEN.findall(text)
              if token in RAW_CODES]
    for match in DECIMAL.finditer(text):
        if not FORMATTED_AFTER.match(text[match.end():]):
            found.append(f"unformatted number {match.group()!r}: "
                         f"…{text[max(0, match.start() - 30):match.end() + 15]}…")
    text = CURRENCY_CODE.sub(" ", text)
    found += [f"English {word!r}" for word in LATIN_WORD.findall(text) if word not in BRANDS]
    return found


def test_every_shop_screen_shows_staff_words_in_arabic(client, shop):
    client.force_login(shop)
    data = shop_data_values()
    utc, local = stored_times()
    utc_only = utc - local

    report = {}
    for url in shop_urls():
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        # Only a refund form with nothing left to refund sends staff elsewhere (the order).
        for target, _status in response.redirect_chain:
            assert "/shop_orders/refund/" in url and "/shop_orders/inspect/" in target, url
        html = response.content.decode()
        assert "results/" in url or re.search(r'<html[^>]* lang="ar"', html), url
        problems = problems_in(visible_text(html), data=data, utc_only=utc_only)
        if problems:
            report[url] = sorted(set(problems))

    assert not report, "Raw values on the Arabic admin:\n" + "\n".join(
        f"  {url}:\n    " + "\n    ".join(found) for url, found in report.items())


def test_the_walk_covers_every_inspect_and_decision_page(shop):
    urls = shop_urls()
    for model, namespace in ((Refund, "shop_refunds"), (Payment, "shop_payments"),
                             (StripeEvent, "shop_stripe_events"), (EmailRecord, "shop_emails")):
        for pk in model.objects.values_list("pk", flat=True):
            assert reverse(f"{namespace}:inspect", args=[pk]) in urls
    for pk in Refund.objects.values_list("pk", flat=True):
        assert reverse("shop_refunds:decide", args=[pk]) in urls
    for pk in Order.objects.values_list("pk", flat=True):
        assert reverse("shop_orders:refund", args=[pk]) in urls
        assert reverse("shop_orders:history", args=[pk]) in urls


@pytest.mark.parametrize(("text", "problem"), [
    ("فحص: refund 1050.000 SAR (awaiting_approval)", "status code 'awaiting_approval'"),
    ("فحص: refund 1050.000 SAR (awaiting_approval)", "English 'refund'"),
    ("المبلغ 1050.000", "unformatted number '1050.000'"),
    ("الإجمالي 125.00", "unformatted number '125.00'"),
    ("إعادة المنتجات إلى المخزون True", "Python value 'True'"),
    ("وافق عليه None", "Python value 'None'"),
    ("وضع التشغيل الحي False", "Python value 'False'"),
    ("نية الدفع pi_123abc (succeeded)", "status code 'succeeded'"),
    ("نزاع needs_response", "status code 'needs_response'"),
    ("الرسالة order_confirmed", "status code 'order_confirmed'"),
    ("أنشئ في 2026-12-01T07:13:00", "ISO time '2026-12-01T07:13'"),
    ("أنشئ في 2026-12-01 07:13:00+00:00", "ISO time '2026-12-01 07:13'"),
    ("بحد أقصى ‏399.00 ر.س.‏.", "doubled full stop"),
    ("أنشئ في 1 ديسمبر 2026، 07:13", "UTC time '07:13'"),
    ("Failure code", "English 'Failure'"),
])
def test_the_checks_catch_what_the_tester_found(text, problem):
    found = problems_in(text, data=[], utc_only={"07:13"})

    assert any(item.startswith(problem) for item in found), found


@pytest.mark.parametrize("text", [
    "المبلغ ‏1,050.00 ر.س.‏", "نجاح الدفع 66.7%", "أنشئ في 1 ديسمبر 2026، 10:13",
    "نية الدفع ‏pi_3abcDEF‏ · Visa •••• 4242 · حدث Stripe", "العملة SAR",
    "البريد noura@example.com",
])
def test_the_checks_let_staff_words_and_shop_data_through(text):
    assert problems_in(text, data=[], utc_only={"07:13"}) == []
