"""The orders list in the Wagtail admin: columns, filters, exact indexed search, a fixed
number of queries however many orders there are, and the admin in Arabic or English."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.orders.models import Order, OrderStatus
from apps.orders.selectors import admin_orders, search_orders
from apps.orders.tests.admin_fixtures import *  # noqa: F403 (staff fixtures)
from apps.orders.tests.admin_fixtures import make_staff, order_row
from apps.payments.models import Payment, PaymentStatus

LIST_URL = "/admin/shop_orders/"


def add_orders(count: int, start: int = 1, **fields) -> list[Order]:
    Order.objects.bulk_create(
        [order_row(n, **fields) for n in range(start, start + count)], batch_size=2000
    )
    return list(Order.objects.filter(number__gte=f"GE-2026-{start:06d}")
                .filter(number__lte=f"GE-2026-{start + count - 1:06d}"))


def add_payments(orders, status=PaymentStatus.SUCCEEDED) -> None:
    Payment.objects.bulk_create([
        Payment(order=order, amount=order.total, currency=order.currency, status=status,
                stripe_payment_intent_id=f"pi_test_{order.pk:08d}")
        for order in orders
    ], batch_size=2000)


def listed_numbers(response) -> list[str]:
    """Order numbers in the list's rows, in order (each row names it twice: link, menu)."""
    found = re.findall(r"GE-2026-\d{6}", response.content.decode())
    return list(dict.fromkeys(found))


def list_queries(client) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(queries), response


def test_the_list_shows_each_order_with_its_payment_and_formatted_total(client, support_user):
    [order] = add_orders(1, phone="+966501234567", email="Noura@Example.com")
    add_payments([order], status=PaymentStatus.FAILED)
    client.force_login(support_user)

    response = client.get(LIST_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html
    assert "<bdi>+966501234567</bdi>" in html
    assert "<bdi>Noura@Example.com</bdi>" in html
    assert "Awaiting payment" in html  # order status
    assert "Failed" in html  # the newest payment's status
    assert "SAR\xa0125.00" in html


def test_the_list_costs_the_same_queries_for_3_or_10000_orders(client, support_user):
    client.force_login(support_user)
    add_payments(add_orders(3))
    client.get(LIST_URL)  # warm caches (content types, site, ...)
    few, response = list_queries(client)
    assert len(listed_numbers(response)) == 3

    many = add_orders(10_000, start=100)
    add_payments(many[:200], status=PaymentStatus.FAILED)

    lots, response = list_queries(client)
    assert len(listed_numbers(response)) == 50  # one page
    assert lots == few


@pytest.mark.parametrize("typed", [
    "0501234567", "+966 50 123 4567", "966501234567", "٠٥٠١٢٣٤٥٦٧", "050-123-4567",
])
def test_search_by_mobile_however_it_is_typed(client, support_user, typed):
    add_orders(2)
    [wanted] = add_orders(1, start=50, phone="+966501234567")
    client.force_login(support_user)

    response = client.get(LIST_URL, {"q": typed})

    assert listed_numbers(response) == [wanted.number]


def test_search_by_email_number_and_payment_intent(client, support_user):
    orders = add_orders(3)
    add_payments(orders)
    target = orders[1]
    client.force_login(support_user)

    by_email = client.get(LIST_URL, {"q": target.email.upper()})
    by_number = client.get(LIST_URL, {"q": target.number.lower()})
    by_intent = client.get(LIST_URL, {"q": f"pi_test_{target.pk:08d}"})
    by_part = client.get(LIST_URL, {"q": "buyer"})  # no partial matching

    assert listed_numbers(by_email) == [target.number]
    assert listed_numbers(by_number) == [target.number]
    assert listed_numbers(by_intent) == [target.number]
    assert listed_numbers(by_part) == []


def test_filters_status_payment_status_dates_and_currency(client, support_user):
    paid = add_orders(1, start=1, status=OrderStatus.PAID)
    add_payments(paid)
    failed = add_orders(1, start=2)
    add_payments(failed, status=PaymentStatus.FAILED)
    kwd = add_orders(1, start=3, currency="KWD", total=Decimal("10.000"))
    old = add_orders(1, start=4)
    Order.objects.filter(pk=old[0].pk).update(created_at=timezone.now() - timedelta(days=40))
    client.force_login(support_user)
    today = timezone.localdate()

    assert listed_numbers(client.get(LIST_URL, {"status": "paid"})) == [paid[0].number]
    assert listed_numbers(client.get(LIST_URL, {"payment_status": "failed"})) == [
        failed[0].number]
    assert listed_numbers(client.get(LIST_URL, {"currency": "KWD"})) == [kwd[0].number]
    recent = client.get(LIST_URL, {
        "created_at_from": str(today - timedelta(days=7)), "created_at_to": str(today),
    })
    assert sorted(listed_numbers(recent)) == sorted(
        [paid[0].number, failed[0].number, kwd[0].number])


def test_search_helper_ignores_text_that_is_no_number_phone_email_or_id(db):
    add_orders(2)
    assert list(search_orders(admin_orders(), "نورة")) == []


@pytest.mark.postgres
def test_phone_and_payment_intent_search_use_an_index(postgres_only, db):
    orders = add_orders(200)
    add_payments(orders)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE payments_payment")
        cursor.execute("SET enable_seqscan = off")
    try:
        by_phone = search_orders(admin_orders(), "0500000007").explain()
        by_intent = search_orders(admin_orders(), f"pi_test_{orders[7].pk:08d}").explain()
        by_email = search_orders(admin_orders(), "BUYER7@example.com").explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")

    assert "order_phone_idx" in by_phone, by_phone
    assert "Seq Scan on orders_order" not in by_phone
    assert "stripe_payment_intent_id" in by_intent and "Index" in by_intent, by_intent
    assert "Seq Scan on payments_payment" not in by_intent
    assert "order_email_lower_idx" in by_email, by_email


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("en", "ltr")])
def test_the_admin_speaks_the_staff_members_language(client, db, language, direction):
    user = make_staff("Support", language=language)
    client.force_login(user)

    html = client.get(LIST_URL).content.decode()

    assert re.search(rf'<html[^>]*lang="{language}"[^>]*dir="{direction}"', html), html[:300]
    assert ("الطلبات" in html) == (language == "ar")


def test_someone_without_admin_access_cannot_list_orders(client, db):
    from apps.users.tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
