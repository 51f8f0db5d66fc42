"""Staff mark a paid order shipped (carrier, tracking number and link) and then delivered;
the order moves through the transition function, its history says so, the customer gets
the bilingual shipping e-mail and follows the stages on the order page."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.emails.models import EmailKind, EmailRecord
from apps.emails.rendering import render_email
from apps.orders.models import OrderStatus, StatusReason
from apps.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TRACKING = {"carrier": "SMSA", "tracking_number": "290012345678",
            "tracking_url": "https://track.smsaexpress.com/290012345678"}


@pytest.fixture
def support(db):
    user = UserFactory(email="support@gulf-emperor.example")
    user.groups.add(Group.objects.get(name="Support"))
    return user


@pytest.fixture
def paid_order(paid):
    order = paid.order
    assert order.status == OrderStatus.PAID
    return order


def soup_of(response):
    return BeautifulSoup(response.content, "html.parser")


def test_staff_mark_shipped_then_delivered(client, support, paid_order, committed):
    client.force_login(support)
    inspect = reverse("shop_orders:inspect", args=[paid_order.pk])
    assert soup_of(client.get(inspect)).select_one("[data-ship-button]") is not None

    response = committed(client.post, reverse("shop_orders:ship", args=[paid_order.pk]),
                         TRACKING)

    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.FULFILLED
    change = paid_order.status_changes.last()
    assert (change.reason, change.actor) == (StatusReason.SHIPPED, support)
    assert change.params == {"carrier": "SMSA", "tracking_number": "290012345678"}
    [mail] = EmailRecord.objects.filter(order=paid_order, kind=EmailKind.ORDER_SHIPPED)
    rendered = render_email(mail)
    assert TRACKING["tracking_url"] in rendered.text and TRACKING["tracking_url"] in rendered.html
    assert "290012345678" in rendered.text
    assert "في طريقه إليك" in rendered.subject and "on its way" in rendered.subject
    page = soup_of(client.get(inspect))
    assert page.select_one(".shipment-carrier").get_text(strip=True) == "SMSA"
    assert page.select_one("[data-ship-button]") is None
    assert page.select_one("[data-deliver-button]") is not None

    # Again: refused, nothing changes, no second e-mail.
    committed(client.post, reverse("shop_orders:ship", args=[paid_order.pk]), TRACKING)
    assert EmailRecord.objects.filter(kind=EmailKind.ORDER_SHIPPED).count() == 1

    client.post(reverse("shop_orders:deliver", args=[paid_order.pk]))
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.DELIVERED
    assert paid_order.shipment.delivered_at is not None


def test_the_customer_follows_the_stages(client, support, paid_order):
    page = soup_of(client.get(paid_order.get_guest_url()))
    stages = {li["data-stage"]: "done" in li["class"] for li in page.select(".order-progress li")}
    assert stages == {"placed": True, "paid": True, "shipped": False, "delivered": False}

    client.force_login(support)
    client.post(reverse("shop_orders:ship", args=[paid_order.pk]), TRACKING)
    client.logout()

    page = soup_of(client.get(paid_order.get_guest_url()))
    stages = {li["data-stage"]: "done" in li["class"] for li in page.select(".order-progress li")}
    assert stages == {"placed": True, "paid": True, "shipped": True, "delivered": False}
    assert page.select_one(".tracking-link")["href"] == TRACKING["tracking_url"]
    assert page.select_one(".tracking-number").get_text() == "290012345678"


def test_only_a_paid_order_ships(client, support, order):
    client.force_login(support)
    client.post(reverse("shop_orders:ship", args=[order.pk]), TRACKING)
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_a_link_that_is_not_a_web_address_is_refused(client, support, paid_order):
    client.force_login(support)
    response = client.post(reverse("shop_orders:ship", args=[paid_order.pk]),
                           {**TRACKING, "tracking_url": "javascript:alert(1)"})
    assert response.status_code == 400
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID


def test_staff_without_the_permission_cannot_ship(client, paid_order):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(email="viewer@gulf-emperor.example")
    clerk.user_permissions.add(Permission.objects.get(codename="access_admin"),
                               Permission.objects.get(codename="view_order"))
    client.force_login(clerk)
    client.post(reverse("shop_orders:ship", args=[paid_order.pk]), TRACKING)
    paid_order.refresh_from_db()
    assert paid_order.status == OrderStatus.PAID
