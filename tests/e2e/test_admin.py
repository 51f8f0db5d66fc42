"""Staff in the Wagtail admin, in a real browser against the offline Stripe sandbox: a refunds
user finds a paid order by the customer's mobile number, refunds part of it, then the rest;
the order ends refunded and the customer got two refund e-mails.

Screenshots (tests/e2e/screenshots/): {lang}-{375,1280}-admin-{dashboard,orders,order,
refund-form,refund-confirm,order-refunded}.png in Arabic and English."""

import re
from decimal import Decimal

import pytest

from tests.e2e.conftest import DESKTOP, SCREENSHOT_DIR, SCREENSHOT_WIDTHS, money
from tests.e2e.test_payments import SUCCEEDS, assert_paid, pay_with, place_order

LANGS = pytest.mark.parametrize("lang", ["ar", "en"])
REFUNDS_EMAIL = "refunds@gulf-emperor.example"  # seed_demo's Refunds account
REFUNDS_PASSWORD = "Refunds-2026"


def log_into_admin(shopper, lang: str) -> None:
    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    user = get_user_model().objects.get(email=REFUNDS_EMAIL)
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = lang
    profile.save()
    page = shopper.page
    page.goto(f"{shopper.base_url}/admin/login/")
    page.locator("input[name=username]").fill(REFUNDS_EMAIL)
    page.locator("input[name=password]").fill(REFUNDS_PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    assert page.url.rstrip("/").endswith("/admin"), page.url
    shopper.assert_direction()  # <html lang dir> of the staff member's language


# The Wagtail admin scrolls inside its own layout, so a "full page" screenshot would stop at
# the viewport: make the viewport as tall as the content instead.
_CONTENT_HEIGHT = """
() => Math.max(...[document.scrollingElement, ...document.querySelectorAll(
    "main, #main, .content-wrapper, .content")].filter(Boolean).map(el => el.scrollHeight))
"""


def snap(shopper, step: str) -> None:
    """{lang}-{375,1280}-{step}.png of the whole admin page."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page = shopper.page
    for width in SCREENSHOT_WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(150)
        height = min(max(900, page.evaluate(_CONTENT_HEIGHT)), 8000)
        page.set_viewport_size({"width": width, "height": height})
        page.wait_for_timeout(150)
        page.screenshot(path=SCREENSHOT_DIR / f"{shopper.lang}-{width}-{step}.png")
    page.set_viewport_size(DESKTOP)


def messages(page) -> list[str]:
    from tests.e2e.conftest import norm

    return [norm(text) for text in page.locator(".messages li").all_inner_texts()]


def refund(shopper, order, amount: Decimal | None, screenshots: bool) -> None:
    """From the order page: refund form -> confirmation -> refund."""
    page = shopper.page
    page.locator("a[data-refund-link]").click()
    page.wait_for_url(re.compile(rf"/admin/shop_orders/refund/{order.pk}/$"))
    shopper.assert_direction()
    amount_input = page.locator("input[name=amount]")
    left = Decimal(amount_input.input_value())
    if amount is not None:
        amount_input.fill(str(amount))
    page.locator("textarea[name=note]").fill("Customer called" if shopper.lang == "en"
                                             else "اتصلت العميلة")
    if screenshots:
        snap(shopper, "admin-refund-form")
    shopper.submit(page.locator("form.refund-form button[name=review]"))

    confirm = page.locator("[data-refund-confirm]")
    title = shopper.norm(confirm.locator("h2").inner_text())
    refunded = amount if amount is not None else left
    assert title == shopper.norm(shopper.t("Refund %(amount)s of order %(number)s?") % {
        "amount": money(refunded, shopper.lang), "number": order.number})
    if screenshots:
        snap(shopper, "admin-refund-confirm")
    shopper.submit(confirm.locator("button[name=confirm]"))
    assert page.url.endswith(f"/admin/shop_orders/inspect/{order.pk}/"), page.url


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@LANGS
def test_refunds_user_finds_an_order_by_phone_and_refunds_it_in_two_steps(shopper_factory,
                                                                          lang, settings):
    from apps.emails.models import EmailKind, EmailRecord
    from apps.payments.models import Refund
    from apps.stripe_sandbox.models import SandboxRequest

    settings.WAGTAIL_GRAVATAR_PROVIDER_URL = None  # no avatars from the internet

    customer = shopper_factory(lang)
    order = place_order(customer)  # the shopper typed 0512345678
    pay_with(customer, SUCCEEDS)
    assert_paid(customer, order)

    staff = shopper_factory(lang)
    page = staff.page
    log_into_admin(staff, lang)
    page.wait_for_function("() => window.Chart && Chart.getChart('payment-chart')")
    snap(staff, "admin-dashboard")
    assert page.locator("[data-figure=paid-today] .figure").inner_text().strip() == "1"
    # The payment figures: one card attempt, paid; Chart.js drew today's bar.
    assert page.locator("[data-figure=success-rate-7]").inner_text().startswith("100.0%")
    assert page.evaluate("() => Chart.getChart('payment-chart').data.datasets[0].data.at(-1)") == 1

    # The order list, searched by the mobile number as the customer says it.
    page.goto(f"{staff.base_url}/admin/shop_orders/")
    search = page.locator("input[name=q]").first
    search.fill("0512345678")
    search.press("Enter")
    page.wait_for_url(re.compile(r"/admin/shop_orders/\?q=0512345678"))
    rows = page.locator("table.listing tbody tr")
    rows.first.wait_for()
    assert rows.count() == 1
    assert order.number in rows.first.inner_text()
    snap(staff, "admin-orders")

    rows.first.locator(f"a:has-text('{order.number}')").first.click()
    page.wait_for_url(re.compile(rf"/admin/shop_orders/inspect/{order.pk}/$"))
    staff.assert_direction()
    assert page.locator(".shop-timeline li").count() >= 5
    snap(staff, "admin-order")

    # First refund: part of it.
    refund(staff, order, Decimal("50.00"), screenshots=True)
    [message] = messages(page)
    assert money(Decimal("50.00"), lang) in message
    order.refresh_from_db()
    assert order.status == "partially_refunded"

    # Second refund: the form offers the rest; take it.
    refund(staff, order, None, screenshots=False)
    order.refresh_from_db()
    assert order.status == "refunded"
    assert list(Refund.objects.filter(payment__order=order).values_list("amount", "status")) == [
        (Decimal("50.00"), "succeeded"), (order.total - Decimal("50.00"), "succeeded")]
    page.reload()
    assert page.locator(".order-status").inner_text().strip() == staff.t("Refunded")
    assert staff.norm(page.locator(".order-refundable").inner_text()) == money(
        Decimal("0"), lang)
    snap(staff, "admin-order-refunded")

    # "Stripe" received exactly two refund requests, one per confirmed form, each with
    # its refund's own idempotency key.
    calls = SandboxRequest.objects.filter(method="POST", path="/v1/refunds")
    assert calls.count() == 2
    refunds = Refund.objects.filter(payment__order=order)
    assert sorted(calls.values_list("idempotency_key", flat=True)) == sorted(
        refunds.values_list("idempotency_key", flat=True))
    assert sorted(int(call.params["amount"]) for call in calls) == sorted(
        int(refund.amount * 100) for refund in refunds)

    refund_mails = EmailRecord.objects.filter(order=order, kind=EmailKind.REFUND)
    assert refund_mails.count() == 2
    assert set(refund_mails.values_list("status", flat=True)) <= {"sent", "delivered"}
    assert all(record.to == [order.email] for record in refund_mails)
    assert not staff.bad_responses, staff.bad_responses
