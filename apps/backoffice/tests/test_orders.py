"""The orders list in the Wagtail admin: columns, filters, exact indexed search, a fixed
number of queries however many orders there are, and the admin in Arabic or English."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.backoffice.selectors import admin_orders, search_orders
from apps.backoffice.tests.fixtures import make_staff, order_row
from apps.orders.models import Order, OrderStatus
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


LRM, RLM, RLE, PDF, RLI, PDI = "\u200e", "\u200f", "\u202b", "\u202c", "\u2067", "\u2069"


@pytest.mark.parametrize("typed", [
    "GE-2026-000042", "ge-2026-000042", "GE 2026 000042", "GE2026000042", "ge-2026-42",
    "2026-000042", " 2026 - 42 ", f"{RLM}GE-2026-000042{LRM}", f"{RLI}GE-2026-000042{PDI}",
    f"{RLE}٢٠٢٦-٠٠٠٠٤٢{PDF}",
])
def test_search_by_order_number_however_it_is_typed_or_pasted(client, support_user, typed):
    add_orders(3, start=40)
    client.force_login(support_user)

    assert listed_numbers(client.get(LIST_URL, {"q": typed})) == ["GE-2026-000042"]


def test_the_normaliser_strips_bidi_marks_and_spaces(db):
    from apps.backoffice.selectors import normalize_search

    term = normalize_search(f"{RLM}pi_3abc {LRM}")
    assert (term.text, term.order_number) == ("pi_3abc", None)
    assert normalize_search(f"{RLI}+966 50 123 4567{PDI}").text == "+966501234567"
    assert normalize_search("2026 000042").order_number == "GE-2026-000042"
    assert normalize_search("0501234567").order_number is None  # a mobile, not an order
    assert normalize_search(None).text == ""


def test_a_pasted_mobile_with_bidi_marks_is_found(client, support_user):
    add_orders(2)
    [wanted] = add_orders(1, start=50, phone="+966501234567")
    client.force_login(support_user)

    response = client.get(LIST_URL, {"q": f"{RLM}+966 50 123 4567{LRM}"})

    assert listed_numbers(response) == [wanted.number]


def test_payments_and_refunds_lists_share_the_order_search(client, support_user):
    from apps.payments.models import Refund

    orders = add_orders(3, start=40)
    add_payments(orders)
    payment = Payment.objects.get(order__number="GE-2026-000042")
    other = Payment.objects.get(order__number="GE-2026-000041")
    Payment.objects.filter(pk=payment.pk).update(stripe_charge_id="ch_test_42")
    Refund.objects.create(payment=payment, amount=Decimal("5.00"), currency="SAR",
                          reason="staff", stripe_refund_id="re_test_42")
    Refund.objects.create(payment=other, amount=Decimal("6.00"), currency="SAR",
                          reason="staff", stripe_refund_id="re_test_41")
    client.force_login(support_user)

    for typed in ("GE 2026 000042", "2026-000042", f"{RLM}ge-2026-42{LRM}",
                  f"{LRM}{payment.stripe_payment_intent_id} "):
        payments = client.get("/admin/shop_payments/", {"q": typed}).content.decode()
        refunds = client.get("/admin/shop_refunds/", {"q": typed}).content.decode()
        assert payment.stripe_payment_intent_id in payments, typed
        assert other.stripe_payment_intent_id not in payments, typed
        assert "re_test_42" in refunds and "re_test_41" not in refunds, typed
    charges = client.get("/admin/shop_payments/", {"q": f"{RLM}ch_test_42"}).content.decode()
    assert payment.stripe_payment_intent_id in charges
    assert other.stripe_payment_intent_id not in charges
    refund = client.get("/admin/shop_refunds/", {"q": f" re_test_42{LRM}"}).content.decode()
    assert "re_test_42" in refund and "re_test_41" not in refund


def test_search_helper_ignores_text_that_is_no_number_phone_email_or_id(db):
    add_orders(2)
    assert list(search_orders(admin_orders(), "نورة")) == []


def index_used(plan: str, *indexes: str, column: str) -> bool:
    """The plan reads one of `indexes` ("Index Scan using <index>", or an index-only / bitmap
    scan of it) with an "Index Cond" on `column` on the next line."""
    names = "|".join(re.escape(index) for index in indexes)
    lines = plan.splitlines()
    for number, line in enumerate(lines[:-1]):
        if re.search(rf"(Index Scan using|Index Only Scan using|Bitmap Index Scan on) "
                     rf"({names}) ", line):
            following = lines[number + 1]
            if "Index Cond" in following and column in following:
                return True
    return False


# The unique constraint on Payment.stripe_payment_intent_id and the `varchar_pattern_ops`
# index Django adds beside it (name hashed from table and column): either serves `=`.
PAYMENT_INTENT_INDEXES = (
    "payments_payment_stripe_payment_intent_id_key",
    "payments_payment_stripe_payment_intent_id_481f9973_like",
)


@pytest.mark.postgres
def test_phone_and_payment_intent_search_use_an_index(postgres_only, db):
    """5,000 orders with a payment each, statistics up to date, the planner free to choose
    (no enable_seqscan=off): each search reads its own index."""
    orders = add_orders(5_000)
    add_payments(orders)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE orders_order")
        cursor.execute("ANALYZE payments_payment")

    by_phone = search_orders(admin_orders(), "0500004007").explain()
    by_intent = search_orders(admin_orders(), f"pi_test_{orders[7].pk:08d}").explain()
    by_charge = search_orders(admin_orders(), "ch_nothing_like_it").explain()
    by_email = search_orders(admin_orders(), "BUYER7@example.com").explain()

    assert index_used(by_phone, "order_phone_idx", column="phone"), by_phone
    assert "Seq Scan" not in by_phone, by_phone
    assert index_used(by_intent, *PAYMENT_INTENT_INDEXES,
                      column="stripe_payment_intent_id"), by_intent
    assert "Seq Scan" not in by_intent, by_intent
    assert index_used(by_charge, "payment_charge_id_idx", column="stripe_charge_id"), by_charge
    assert index_used(by_email, "order_email_lower_idx", column="lower"), by_email


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


def test_email_records_list_shares_the_order_search(client, support_user):
    from apps.emails.models import EmailKind, EmailRecord

    wanted, other = add_orders(2, start=60)
    for order, message_id in ((wanted, "msg-60"), (other, "msg-61")):
        EmailRecord.objects.create(order=order, kind=EmailKind.ORDER_CONFIRMED,
                                   cause=f"payment:{order.pk}", to=[order.email],
                                   provider_message_id=message_id)
    client.force_login(support_user)

    for typed in (f"{RLM}{wanted.number.lower()}", wanted.number.replace("-", " "), "msg-60"):
        page = client.get("/admin/shop_emails/", {"q": typed}).content.decode()
        assert f">{wanted.number}<" in page.replace("<bdi>", ">").replace("</bdi>", "<"), typed
        assert other.number not in page, typed


def test_payments_and_refunds_lists_filter_by_status_and_currency(client, support_user):
    from apps.payments.models import Refund

    paid, failed, in_kwd = add_orders(3, start=70)
    add_payments([paid, in_kwd])
    add_payments([failed], status=PaymentStatus.FAILED)
    Payment.objects.filter(order=in_kwd).update(currency="KWD")
    for order, status in ((paid, "succeeded"), (in_kwd, "failed")):
        Refund.objects.create(payment=order.payments.get(), amount=Decimal("1.00"),
                              currency=order.payments.get().currency, reason="staff",
                              status=status, stripe_refund_id=f"re_test_{order.pk}")
    client.force_login(support_user)

    def listed(url, **params):
        return set(listed_numbers(client.get(url, params)))

    assert listed("/admin/shop_payments/", status="failed") == {failed.number}
    assert listed("/admin/shop_payments/", currency="KWD") == {in_kwd.number}
    assert listed("/admin/shop_refunds/", status="succeeded") == {paid.number}
    assert listed("/admin/shop_refunds/", currency="KWD") == {in_kwd.number}
