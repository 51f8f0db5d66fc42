"""Staff mark an order shipped in the Arabic admin on a phone; the customer sees the
shipped stage with the tracking link, and the bilingual shipping e-mail arrives with it.
Screenshots: ar-{375,1280}-staff-ship.png, {ar,en}-{375,1280}-order-shipped.png."""

import pytest
from django.core import mail

from tests.e2e.test_admin import snap
from tests.e2e.test_staff_journeys import paid_order, sign_in

pytestmark = [pytest.mark.e2e,
              pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_staff_ship_and_the_customer_follows_it(shopper_factory):
    from apps.emails.models import EmailKind, EmailRecord

    order = paid_order()
    staff = shopper_factory("ar")
    page = staff.page
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(staff, "Support")
    page.goto(f"{staff.base_url}/admin/shop_orders/inspect/{order.pk}/")
    with page.expect_navigation():
        page.locator("[data-ship-button]").first.click()
    page.locator("input[name=carrier]").fill("سمسا")
    page.locator("input[name=tracking_number]").fill("290012345678")
    page.locator("input[name=tracking_url]").fill("https://track.smsaexpress.com/290012345678")
    snap(staff, "staff-ship")
    with page.expect_navigation():
        page.locator("form.ship-form button[type=submit]").click()
    assert "290012345678" in page.locator(".shop-shipment").inner_text()

    record = EmailRecord.objects.get(order=order, kind=EmailKind.ORDER_SHIPPED)
    assert record.status == "sent"
    [message] = [m for m in mail.outbox if "290012345678" in m.body]
    assert "https://track.smsaexpress.com/290012345678" in message.body
    assert "طلبك في طريقه إليك" in message.body and "Your order is on its way" in message.body

    for lang in ("ar", "en"):
        customer = shopper_factory(lang)
        customer.page.goto(customer.base_url + order.get_guest_url().replace("/ar/", f"/{lang}/"))
        shipped = customer.page.locator(".order-progress [data-stage=shipped]")
        assert "done" in shipped.get_attribute("class")
        assert customer.page.locator(".tracking-link").get_attribute("href") == (
            "https://track.smsaexpress.com/290012345678")
        customer.snap("order-shipped")
        customer.assert_clean()
