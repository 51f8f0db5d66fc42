"""Each e-mail's HTML rendered in Chromium, Arabic-first and English-first, at a phone's and
a desktop mail client's width. Screenshots: email-{kind}-{lang}-first-{width}.png."""

from decimal import Decimal

import pytest

from apps.emails.models import EmailKind, EmailRecord
from apps.emails.rendering import render_email
from apps.emails.tests import scenarios
from apps.payments.tests.factories import place_test_order

from .conftest import SCREENSHOT_DIR

pytestmark = pytest.mark.e2e

WIDTHS = (375, 700)


def make_order(kind, lang, request):
    """An order of two demo products (Arabic and English names) that got `kind` of mail."""
    from apps.catalog.models import Product

    order = place_test_order(product=Product.objects.get(sku="GE-DAT-101"), quantity=2,
                             language=lang)
    card_holder, committed_ = request.getfixturevalue("card_holder"), request.getfixturevalue(
        "committed")
    if kind == EmailKind.ORDER_CONFIRMED:
        scenarios.pay(order, card_holder)
    elif kind == EmailKind.PAYMENT_FAILED:
        scenarios.decline(order, card_holder)
    elif kind == EmailKind.REFUND:
        scenarios.refund(order, card_holder, committed_, amount=Decimal("50.00"))
    elif kind == EmailKind.PAYMENT_REVIEW:
        scenarios.held(order, committed_, request.getfixturevalue("post_event"))
    elif kind == EmailKind.PAYMENT_REMINDER:
        scenarios.remind(order, committed_)
    elif kind == EmailKind.ORDER_SHIPPED:
        scenarios.ship(order, card_holder, committed_)
    else:
        scenarios.dispute(order, card_holder, committed_, request.getfixturevalue("post_event"))
    return EmailRecord.objects.get(order=order, kind=kind)


@pytest.mark.parametrize("lang", ["ar", "en"])
@pytest.mark.parametrize("kind", EmailKind.values)
def test_email_renders_in_chromium(kind, lang, browser, seeded, settings, request):
    settings.SHOP_STAFF_ALERT_LANGUAGE = lang
    record = make_order(kind, lang, request)
    rendered = render_email(record)
    other = "en" if lang == "ar" else "ar"

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_content(rendered.html, wait_until="load")

        assert page.locator("html").get_attribute("lang") == lang
        blocks = page.locator("td[lang][dir]")
        assert blocks.count() == 2
        assert [blocks.nth(i).get_attribute("lang") for i in range(2)] == [lang, other]
        assert [blocks.nth(i).evaluate("el => getComputedStyle(el).direction")
                for i in range(2)] == ["rtl" if lang == "ar" else "ltr",
                                       "ltr" if lang == "ar" else "rtl"]
        # Arabic text starts at the right edge of its block, English at the left.
        arabic = page.locator('td[lang="ar"] h1')
        assert arabic.evaluate("el => getComputedStyle(el).textAlign") == "right"
        # Nothing wider than the screen (a phone's mail app cannot scroll sideways well).
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{kind} {lang} {width}px overflows by {overflow}px"
        page.screenshot(path=SCREENSHOT_DIR / f"email-{kind}-{lang}-first-{width}.png",
                        full_page=True)
        context.close()
