"""Paying in a real browser through the shop's one payment script, static/payments/pay.js,
with the offline sandbox's Stripe.js (the same API as Stripe's), then the return page, which
reads the PaymentIntent on the server. Each test also reads the sandbox's request log: what
the shop's server (secret key) and the shopper's browser (Stripe.js, publishable key) really
sent to "Stripe". Screenshots: {lang}-{375,1280}-pay.png and friends."""

import re

import pytest
from playwright.sync_api import Error as PlaywrightError

ARABIC_LETTERS = re.compile("[\u0600-\u06ff]")
LANGS = pytest.mark.parametrize("lang", ["ar", "en"])

from apps.payments import stripe_test_cards as cards  # noqa: E402

SUCCEEDS = cards.spaced(cards.SUCCEEDS)
DECLINED = cards.spaced(cards.DECLINED)
INSUFFICIENT_FUNDS = cards.spaced(cards.INSUFFICIENT_FUNDS)
THREE_D_SECURE = cards.spaced(cards.THREE_D_SECURE)
CONFIRM_CALL = "/stripe-sandbox/v1/payment_intents/"

# What reached the sandbox, as (who, method, path, status, what the browser sent).
CREATE = ("api", "POST", "/v1/payment_intents", 200, "")
READ_ON_RETURN = ("api", "GET", "/v1/payment_intents/{pi}", 200, "")


def confirm(status: int, sent: str) -> tuple:
    return ("browser", "POST", "/v1/payment_intents/{pi}/confirm", status, sent)


def stripe_requests(shopper, order) -> list[tuple]:
    """The sandbox's request log for the order's PaymentIntent, oldest first: the server's
    API calls and Stripe.js's confirmations (card by its last four digits, or the answer to
    the 3-D Secure challenge)."""
    from apps.stripe_sandbox.models import SandboxRequest

    intent_id = order.payments.get().stripe_payment_intent_id
    log = []
    for request in SandboxRequest.objects.order_by("pk"):
        if request.path != "/v1/payment_intents" and intent_id not in request.path:
            continue
        params = request.params
        if request.source == "browser":
            # Stripe.js sends the page's language, and with a card the page's own return
            # address (the answer to a 3-D Secure challenge continues that confirmation).
            assert params["locale"] == shopper.lang
            assert ("card_last4" in params) == ("return_url" in params), params
            assert "card_last4" in params or "three_ds" in params, params
            return_page = f"{shopper.base_url}/{shopper.lang}/orders/{order.number}/pay/return/"
            if "return_url" in params:
                assert params["return_url"].startswith(return_page + "?token="), params
        elif request.method == "POST":
            assert params["metadata"]["order_number"] == order.number
            assert request.idempotency_key
        sent = params.get("card_last4") or params.get("three_ds") or ""
        log.append((request.source, request.method, request.path.replace(intent_id, "{pi}"),
                    request.status, sent if request.source == "browser" else ""))
    return log


def place_order(shopper, sku: str = "GE-DAT-101"):
    """A guest buys one unit of `sku` and lands on the order's payment page."""
    from apps.catalog.models import ProductPage
    from apps.orders.models import Order

    page = shopper.page
    product_page = ProductPage.objects.get(product__sku=sku, locale__language_code=shopper.lang)
    page.goto(shopper.base_url + product_page.url)
    shopper.assert_direction()
    shopper.add_to_cart(1)
    shopper.goto("/checkout/")
    shopper.fill_address(phone="0512345678", city="riyadh", email="payer@example.com")
    shopper.submit(page.locator(".checkout-form > button[type=submit]"))
    match = re.search(rf"/{shopper.lang}/orders/(GE-\d{{4}}-\d{{6}})/pay/\?token=", page.url)
    assert match, page.url
    # pay.js has mounted the Payment Element (here the sandbox's card form).
    page.locator("#payment-form").wait_for(state="visible")
    page.locator("input[name=sandbox_card_number]").wait_for(state="visible")
    return Order.objects.get(number=match.group(1))


def pay_with(shopper, card: str) -> None:
    page = shopper.page
    page.locator(f"input[name=sandbox_card][value='{card}']").check()
    assert page.locator("input[name=sandbox_card_number]").input_value() == card
    page.locator("#pay-button").click()


def assert_paid(shopper, order) -> None:
    page = shopper.page
    page.wait_for_url(re.compile(rf"/{shopper.lang}/orders/{order.number}/pay/return/\?"))
    shopper.assert_direction()
    success = page.locator(".payment-succeeded .message-success")
    assert shopper.t("Thank you! Your payment was received.") in shopper.norm(
        success.inner_text()
    )
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.payments.count() == 1  # one PaymentIntent per order, reused for retries


def decline_message(lang: str, code: str, decline_code: str | None = None) -> str:
    from django.utils import translation

    from apps.payments.messages import failure_message

    with translation.override(lang):
        return failure_message(code, decline_code)


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@LANGS
def test_pay_with_the_card_that_succeeds(shopper_factory, lang):
    shopper = shopper_factory(lang)
    page = shopper.page
    order = place_order(shopper)

    notice = shopper.norm(page.locator(".sandbox-notice").inner_text())
    assert shopper.norm(shopper.t("Sandbox")) in notice
    assert page.locator("input[name=sandbox_card]").count() == 4
    assert shopper.norm(page.locator(".amount-due .amount").inner_text()) == shopper.money(
        order.total
    )
    shopper.snap("pay")

    pay_with(shopper, SUCCEEDS)

    assert_paid(shopper, order)
    shopper.snap("pay-return")
    assert stripe_requests(shopper, order) == [CREATE, confirm(200, "4242"), READ_ON_RETURN]
    shopper.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_declined_card_then_retry_in_arabic(shopper_factory):
    shopper = shopper_factory("ar")
    page = shopper.page
    order = place_order(shopper)
    confirms = []
    page.on("request", lambda r: confirms.append(r.url) if CONFIRM_CALL in r.url else None)

    page.locator(f"input[name=sandbox_card][value='{DECLINED}']").check()
    # Two quick submissions send one confirmation: the button is busy meanwhile.
    page.evaluate("""() => {
        const form = document.getElementById("payment-form");
        form.requestSubmit();
        form.requestSubmit();
    }""")
    message = page.locator("#payment-message")
    message.wait_for(state="visible")
    text = shopper.norm(message.inner_text())
    assert text == shopper.norm(decline_message("ar", "card_declined", "generic_decline"))
    assert ARABIC_LETTERS.search(text)
    assert len(confirms) == 1
    assert page.locator("#pay-button").is_enabled()
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert order.payments.get().status == "failed"
    shopper.snap("pay-declined")

    pay_with(shopper, SUCCEEDS)

    assert_paid(shopper, order)
    attempts = list(order.payments.get().attempts.order_by("pk").values_list("status", flat=True))
    assert attempts == ["failed", "succeeded"]
    assert stripe_requests(shopper, order) == [
        CREATE, confirm(402, "0002"), confirm(200, "4242"), READ_ON_RETURN,
    ]
    shopper.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@LANGS
def test_insufficient_funds_is_told_in_the_shoppers_language(shopper_factory, lang):
    shopper = shopper_factory(lang)
    page = shopper.page
    order = place_order(shopper)

    pay_with(shopper, INSUFFICIENT_FUNDS)

    message = page.locator("#payment-message")
    message.wait_for(state="visible")
    assert shopper.norm(message.inner_text()) == shopper.norm(
        decline_message(lang, "card_declined", "insufficient_funds")
    )
    assert page.locator("#pay-button").is_enabled()
    order.refresh_from_db()
    assert order.status == "pending_payment"
    payment = order.payments.get()
    assert (payment.status, payment.failure_code, payment.decline_code) == (
        "failed", "card_declined", "insufficient_funds")
    assert stripe_requests(shopper, order) == [CREATE, confirm(402, "9995")]
    shopper.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_double_click_on_pay_confirms_once(shopper_factory):
    shopper = shopper_factory("ar")
    page = shopper.page
    order = place_order(shopper)
    page.locator(f"input[name=sandbox_card][value='{SUCCEEDS}']").check()

    page.locator("#pay-button").dblclick()

    assert_paid(shopper, order)
    assert order.payments.get().attempts.count() == 1
    assert stripe_requests(shopper, order) == [CREATE, confirm(200, "4242"), READ_ON_RETURN]
    shopper.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_misspelled_confirm_payment_in_pay_js_fails_the_payment_tests(shopper_factory):
    """The browser tests run the production script: break it as a typo would, and the
    checks the tests above rely on fail."""
    shopper = shopper_factory("ar")
    page = shopper.page

    def broken_pay_js(route):
        script = route.fetch().text()
        assert "stripe.confirmPayment(" in script
        route.fulfill(body=script.replace("stripe.confirmPayment(", "stripe.confirmPaymnt("),
                      content_type="application/javascript")

    page.route(re.compile(r"/static/payments/pay(\.[0-9a-f]+)?\.js$"), broken_pay_js)
    order = place_order(shopper)

    page.set_default_timeout(5_000)
    with pytest.raises((AssertionError, PlaywrightError)):
        pay_with(shopper, SUCCEEDS)
        assert_paid(shopper, order)
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert stripe_requests(shopper, order) == [CREATE]  # nothing was confirmed
    assert any("confirmPaymnt is not a function" in error for error in shopper.page_errors)
    with pytest.raises(AssertionError):
        shopper.assert_clean()


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("outcome", ["approve", "fail"])
def test_three_d_secure_challenge(shopper_factory, outcome):
    shopper = shopper_factory("ar")
    page = shopper.page
    order = place_order(shopper)

    pay_with(shopper, THREE_D_SECURE)
    challenge = page.locator(".sandbox-challenge")
    challenge.wait_for(state="visible")
    shopper.check_language("pay-3ds")
    challenge.locator(f"button[data-outcome={outcome}]").click()

    if outcome == "approve":
        assert_paid(shopper, order)
        assert stripe_requests(shopper, order) == [
            CREATE, confirm(200, "3155"), confirm(200, "approve"), READ_ON_RETURN,
        ]
    else:
        message = page.locator("#payment-message")
        message.wait_for(state="visible")
        assert shopper.norm(message.inner_text()) == shopper.norm(
            decline_message("ar", "payment_intent_authentication_failure")
        )
        order.refresh_from_db()
        assert order.status == "pending_payment"
        assert order.payments.get().status == "failed"
        # The shopper can try again on the same page.
        pay_with(shopper, SUCCEEDS)
        assert_paid(shopper, order)
        assert stripe_requests(shopper, order) == [
            CREATE, confirm(200, "3155"), confirm(402, "fail"), confirm(200, "4242"),
            READ_ON_RETURN,
        ]
    shopper.assert_clean()
