"""Staff journeys in the Arabic admin, in a real browser: every role finds an order from the
dashboard's search box; a seeded staff member switches the admin to English; a refunds user
withdraws their own pending refund request; a manager is not offered to approve their own.

Screenshots: ar-{375,1280}-staff-{search,account,withdraw,own-request}.png."""

import re
from decimal import Decimal

import pytest

from tests.e2e.test_admin import snap

STAFF = {  # seed_demo's accounts
    "Support": ("support@gulf-emperor.example", "Support-2026"),
    "Refunds": ("refunds@gulf-emperor.example", "Refunds-2026"),
    "Managers": ("manager@gulf-emperor.example", "Manager-2026"),
}
pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sign_in(shopper, group: str) -> None:
    email, password = STAFF[group]
    page = shopper.page
    page.goto(f"{shopper.base_url}/admin/login/")
    assert shopper.norm(page.locator("h1").inner_text()).startswith("تسجيل الدخول إلى")
    page.locator("input[name=username]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()
    assert page.url.rstrip("/").endswith("/admin"), page.url


def paid_order():
    """A guest order of one demo product, paid through the sandbox."""
    from apps.catalog.models import Product
    from apps.payments import stripe_test_cards as cards
    from apps.payments.services.intents import start_payment
    from apps.payments.tests.factories import place_test_order
    from apps.stripe_sandbox.testing import CardHolder

    order = place_test_order(product=Product.objects.get(sku="GE-OUD-001"), quantity=3)
    payment = start_payment(order=order)
    CardHolder().confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    order.refresh_from_db()
    assert order.status == "paid"
    return order


def pending_refund(order, requester_email: str):
    """A refund above the approval threshold, requested by `requester_email`."""
    from django.contrib.auth import get_user_model

    from apps.payments.services.refunds import request_refund

    user = get_user_model().objects.get(email=requester_email)
    payment = order.payments.get()
    refund = request_refund(payment_id=payment.pk, amount=payment.amount,
                            stripe_reason="requested_by_customer", requested_by=user,
                            idempotency_key=f"e2e-{order.number}")
    assert refund.status == "awaiting_approval"
    return refund


@pytest.mark.parametrize("group", ["Support", "Refunds", "Managers"])
def test_every_role_finds_an_order_from_the_dashboard_search(shopper_factory, group, settings):
    order = paid_order()
    shopper = shopper_factory("ar")
    sign_in(shopper, group)
    page = shopper.page
    box = page.locator("form[data-shop-order-search] input[name=q]")
    assert box.is_visible()

    box.fill(order.number.lower().replace("-", " "))  # however it is typed
    with page.expect_navigation():
        box.press("Enter")

    assert "/admin/shop_orders/" in page.url
    assert "ليس لديك صلاحية" not in page.content()  # "you do not have permission"
    rows = page.locator("table.listing tbody tr")
    assert rows.count() == 1
    assert order.number in rows.first.inner_text()
    if group == "Refunds":
        snap(shopper, "staff-search")


def test_a_seeded_staff_member_switches_the_admin_to_english(shopper_factory):
    shopper = shopper_factory("ar")
    sign_in(shopper, "Support")
    page = shopper.page
    page.goto(f"{shopper.base_url}/admin/account/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    snap(shopper, "staff-account")

    page.locator("select[name='locale-preferred_language']").select_option("en")
    with page.expect_navigation():
        page.locator("form button[type=submit]").last.click()

    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    errors = [text for text in page.locator(".w-field__errors, .error-message").all_inner_texts()
              if text.strip()]
    assert errors == []
    staff = get_user_model().objects.get(email=STAFF["Support"][0])
    assert UserProfile.get_for_user(staff).preferred_language == "en"
    assert staff.last_name == "القحطاني"  # nothing invented to save the form
    page.goto(f"{shopper.base_url}/admin/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_a_refunds_user_withdraws_their_own_pending_request(shopper_factory, settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("100.00")
    order = paid_order()
    refund = pending_refund(order, STAFF["Refunds"][0])
    shopper = shopper_factory("ar")
    sign_in(shopper, "Refunds")
    page = shopper.page
    page.goto(f"{shopper.base_url}/admin/shop_orders/inspect/{order.pk}/")

    assert page.locator("[data-decide-link=decide]").count() == 0
    page.locator("[data-decide-link=withdraw]").click()
    page.wait_for_url(re.compile(rf"/admin/shop_refunds/decide/{refund.pk}/$"))
    assert page.locator("button[value=approve]").count() == 0
    snap(shopper, "staff-withdraw")
    with page.expect_navigation():
        page.locator("button[data-withdraw]").click()

    refund.refresh_from_db()
    assert refund.status == "rejected"
    assert page.url.endswith(f"/admin/shop_orders/inspect/{order.pk}/")


def test_a_manager_is_not_offered_to_approve_their_own_request(shopper_factory, settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("100.00")
    order = paid_order()
    own = pending_refund(order, STAFF["Managers"][0])
    shopper = shopper_factory("ar")
    sign_in(shopper, "Managers")
    page = shopper.page

    page.goto(f"{shopper.base_url}/admin/shop_orders/inspect/{order.pk}/")
    assert page.locator("[data-decide-link=decide]").count() == 0
    assert page.locator("[data-decide-link=withdraw]").count() == 1
    page.goto(f"{shopper.base_url}/admin/shop_refunds/inspect/{own.pk}/")
    assert "الموافقة" not in " ".join(page.locator("header").all_inner_texts())  # "approve"
    page.goto(f"{shopper.base_url}/admin/shop_refunds/decide/{own.pk}/")
    assert page.locator("button[value=approve]").count() == 0
    snap(shopper, "staff-own-request")
