"""The payment page's Content-Security-Policy: Stripe's script, frames and API with real
Stripe, and nothing else foreign; with Stripe.js served by the shop (the offline stand-in) no
foreign origin at all."""

import re

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import translation

from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.payments.tests.factories import place_test_order

pytestmark = pytest.mark.django_db

KEYWORDS = {"'self'", "'none'", "data:"}


def policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: sources for name, *sources in
            (part.split() for part in header.split(";") if part.strip())}


def foreign(directives: dict[str, list[str]]) -> set[str]:
    return {source for sources in directives.values() for source in sources
            if source not in KEYWORDS and not source.startswith("'nonce-")}


def nonce(directives: dict[str, list[str]]) -> str:
    """The response's script nonce (one per response)."""
    [value] = [source for source in directives["script-src"] if source.startswith("'nonce-")]
    return value[len("'nonce-"):-1]


class Scripts:
    def __init__(self, response):
        page = BeautifulSoup(response.content.decode(), "html.parser")
        tags = page.find_all("script")
        self.external = [tag["src"] for tag in tags if tag.get("src")]
        self.nonces = {tag.get("nonce") for tag in tags if tag.get("src")}
        self.inline_types = [tag.get("type") or "text/javascript"
                             for tag in tags if not tag.get("src")]


def scripts(response) -> Scripts:
    return Scripts(response)


def origin(url: str) -> str:
    match = re.match(r"https?://[^/]+", url)
    return match.group(0) if match else "'self'"


@pytest.fixture
def my_order(customer, product):
    return place_test_order(product=product, user=customer)


def pay_url(order):
    with translation.override("ar"):
        return reverse("payments:pay", kwargs={"number": order.number})


@pytest.fixture
def real_stripe(settings):
    """Real-Stripe mode for the page: keys set, Stripe.js from Stripe. Only Stripe's HTTP
    answers still come from the offline client, so no request leaves the machine."""
    settings.STRIPE_SECRET_KEY = "sk_test_real_account"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_real_account"
    settings.STRIPE_JS_URL = "https://js.stripe.com/v3/"
    gateway._client.cache_clear()
    yield
    gateway._client.cache_clear()


def test_with_stripe_the_page_allows_stripe_and_nothing_else_foreign(
    real_stripe, customer_client, my_order
):
    response = customer_client.get(pay_url(my_order))

    assert response.status_code == 200
    directives = policy(response)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce(directives)}'",
                                        "https://js.stripe.com"]
    assert directives["frame-src"] == ["'self'", "https://js.stripe.com",
                                       "https://hooks.stripe.com"]
    assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert foreign(directives) == {"https://js.stripe.com", "https://hooks.stripe.com",
                                   "https://api.stripe.com"}
    assert directives["default-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    # Every script the page loads is allowed; inline ones are only JSON data.
    page = scripts(response)
    assert "https://js.stripe.com/v3/" in page.external
    assert page.nonces == {nonce(directives)}  # every script carries this response's nonce
    assert {origin(src) for src in page.external} <= set(directives["script-src"])
    assert set(page.inline_types) <= {"application/json"}


def test_a_stripe_js_served_by_the_shop_needs_no_foreign_origin(customer_client, my_order):
    response = customer_client.get(pay_url(my_order))

    directives = policy(response)
    assert foreign(directives) == set()
    page = scripts(response)
    assert page.external and {origin(src) for src in page.external} == {"'self'"}
    assert set(page.inline_types) <= {"application/json"}


def test_the_return_page_needs_no_foreign_origin(real_stripe, customer_client, my_order,
                                                card_holder):
    payment = customer_client.get(pay_url(my_order)).context["payment"]
    card_holder.confirm(payment.stripe_payment_intent_id, cards.DECLINED)

    with translation.override("ar"):
        url = reverse("payments:pay_return", kwargs={"number": my_order.number})
    response = customer_client.get(url)

    assert response.status_code == 200
    assert foreign(policy(response)) == set()
