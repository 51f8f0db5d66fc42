"""What the staff screens show and offer: inspect pages in words (titles, links, money,
local times), approving or withdrawing a refund awaiting approval, the refunds list, the
refund form's decimals, history pages, and the admin stylesheet's contrast and wrapping."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.utils import translation
from django.utils.translation import gettext, pgettext

from apps.backoffice.forms import RefundForm
from apps.backoffice.tests.fixtures import make_staff
from apps.backoffice.timeline import order_timeline
from apps.backoffice.views.common import local_time
from apps.emails.tests.scenarios import held, pay
from apps.payments.models import Refund, RefundStatus, StripeEvent
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import place_test_order

STYLES = Path(__file__).resolve().parents[3] / "templates" / "backoffice" / "_styles.html"


def text_of(response) -> str:
    main = BeautifulSoup(response.content.decode(), "html.parser").find("main")
    for node in main.find_all(["script", "style", "template"]):
        node.decompose()
    return re.sub(r"[ \t\r\n]+", " ", main.get_text(" "))  # no-break spaces kept


def messages_of(response) -> list[str]:
    return [str(message).strip() for message in get_messages(response.wsgi_request)]


@pytest.fixture
def awaiting(product, card_holder, committed, settings):
    """A 1,200.00 SAR order, paid, and a refund of 1,050.00 above the approval threshold
    (1,000.00) asked for by a refunds clerk: (refund, clerk)."""
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("1000.00")
    clerk = make_staff("Refunds")
    payment = pay(place_test_order(product=product, quantity=12), card_holder)
    refund = committed(request_refund, payment_id=payment.pk, amount=Decimal("1050.00"),
                       stripe_reason="requested_by_customer", restock=True,
                       requested_by=clerk, idempotency_key="form-awaiting")
    assert refund.status == RefundStatus.AWAITING_APPROVAL
    return refund, clerk


def order_page(refund) -> str:
    return f"/admin/shop_orders/inspect/{refund.payment.order_id}/"


def decide_page(refund) -> str:
    return f"/admin/shop_refunds/decide/{refund.pk}/"


def inspect_page(refund) -> str:
    return f"/admin/shop_refunds/inspect/{refund.pk}/"


# --- the refund's inspect page ----------------------------------------------------------


def test_the_refund_page_says_what_it_is_in_words(client, manager, awaiting):
    refund, clerk = awaiting
    order = refund.payment.order
    client.force_login(manager)

    response = client.get(inspect_page(refund))

    html = response.content.decode()
    title = BeautifulSoup(html, "html.parser").title.get_text()
    assert "Refund" in title and order.number in title
    text = text_of(response)
    for raw in ("awaiting_approval", "1050.000", "True", "None", "succeeded)"):
        assert raw not in text
    assert "SAR\xa01,050.00" in text
    assert "Awaiting approval" in text and "Yes" in text  # status label, restock
    with translation.override("en"):
        shown = local_time(refund.created_at)  # the shop's time zone...
    assert shown in text
    assert shown in text_of(client.get("/admin/shop_refunds/"))  # ...as the list shows it
    assert f'href="/admin/shop_orders/inspect/{order.pk}/"' in html
    assert f'href="/admin/shop_payments/inspect/{refund.payment_id}/"' in html
    assert refund.payment.stripe_payment_intent_id in text
    assert clerk.email.split("@")[0] in text


def test_the_payment_and_event_pages_show_labels_links_and_local_times(
        client, support_user, awaiting):
    refund, _clerk = awaiting
    payment = refund.payment
    client.force_login(support_user)

    page = client.get(f"/admin/shop_payments/inspect/{payment.pk}/")
    text = text_of(page)
    assert "Paid" in text and "succeeded" not in text
    assert "SAR\xa01,200.00" in text and "Visa •••• 4242" in text
    assert "Paid the order" in text  # settlement by its label
    with translation.override("en"):
        assert local_time(payment.succeeded_at) in text
    assert f'href="/admin/shop_refunds/inspect/{refund.pk}/"' in page.content.decode()

    stored = StripeEvent.objects.filter(
        payment_intent_id=payment.stripe_payment_intent_id).first()
    page = client.get(f"/admin/shop_stripe_events/inspect/{stored.pk}/")
    html = page.content.decode()
    soup = BeautifulSoup(html, "html.parser")
    payload = soup.select_one("[data-json-payload]")
    assert payload is not None and payload.get_text().lstrip().startswith("{")
    assert f'"id": "{stored.stripe_id}"' in payload.get_text()  # JSON, not a Python dict
    payload.decompose()
    text = " ".join(soup.find("main").get_text(" ").split())
    assert "False" not in text and "None" not in text
    assert "Live mode No" in text
    assert f'href="/admin/shop_payments/inspect/{payment.pk}/"' in html
    assert f'href="/admin/shop_orders/inspect/{payment.order_id}/"' in html


def test_the_email_page_says_why_the_message_was_sent(client, support_user, awaiting):
    from apps.emails.models import EmailKind, EmailRecord

    refund, _clerk = awaiting
    record = EmailRecord.objects.get(kind=EmailKind.ORDER_CONFIRMED)
    client.force_login(support_user)

    page = client.get(f"/admin/shop_emails/inspect/{record.pk}/")

    text = text_of(page)
    assert f"payment:{refund.payment_id}" not in text
    assert f"Payment {refund.payment.stripe_payment_intent_id}" in text
    assert "['" not in text and "Arabic" in text  # recipients listed, language named
    assert "sent" not in text.split() and "Sent" in text


def test_a_held_payment_shows_its_reason_and_the_reported_amount_in_arabic(
        client, order, committed, post_event):
    payment = held(order, committed, post_event)
    payment.refresh_from_db()
    assert payment.review_facts["amount"] == 100  # stored as facts, worded when shown
    client.force_login(make_staff("Support", language="ar"))

    text = text_of(client.get(f"/admin/shop_payments/inspect/{payment.pk}/"))

    assert "amount_mismatch" not in text and "SAR" not in text
    assert "1.00\xa0ر.س." in text
    with translation.override("ar"):
        assert gettext("Amount differs from the order's") in text
        [entry] = [e for e in order_timeline(order) if e.kind == "payment" and e.failed]
    assert "SAR" not in entry.title and "1.00\xa0ر.س." in entry.title


# --- approving or withdrawing a refund awaiting approval --------------------------------


def test_a_manager_is_not_offered_to_approve_their_own_request(client, manager,
                                                               other_manager, card_holder,
                                                               committed, product, settings):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("100.00")
    payment = pay(place_test_order(product=product), card_holder)
    refund = committed(request_refund, payment_id=payment.pk, amount=Decimal("120.00"),
                       stripe_reason="requested_by_customer", requested_by=manager,
                       idempotency_key="form-own")
    client.force_login(manager)

    for url in (order_page(refund), inspect_page(refund), decide_page(refund)):
        html = client.get(url).content.decode()
        assert "Approve or reject" not in html and "Approve and refund" not in html, url
        assert "Withdraw my request" in html, url

    client.force_login(other_manager)
    for url in (order_page(refund), inspect_page(refund)):
        html = client.get(url).content.decode()
        assert "Approve or reject" in html and "Withdraw my request" not in html, url
    decide = client.get(decide_page(refund)).content.decode()
    assert "Approve and refund" in decide and "Withdraw my request" not in decide


def test_the_requester_withdraws_their_own_request(client, awaiting, stripe_log):
    refund, clerk = awaiting
    client.force_login(clerk)  # may refund, may not approve

    page = client.get(decide_page(refund))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Withdraw my request" in html and 'value="approve"' not in html
    assert decide_page(refund) in client.get(order_page(refund)).content.decode()

    done = client.post(decide_page(refund), {"decision": "reject", "note": "Wrong order"},
                       follow=True)

    assert messages_of(done) == [
        "You withdrew your request to refund SAR\xa01,050.00; nothing was sent to Stripe."]
    refund.refresh_from_db()
    assert refund.status == RefundStatus.REJECTED and refund.approved_by == clerk
    assert stripe_log.requests.filter(path="/v1/refunds").count() == 0


def test_refunds_staff_cannot_decide_someone_elses_request(client, awaiting):
    refund, _clerk = awaiting
    client.force_login(make_staff("Refunds"))

    assert client.get(decide_page(refund)).status_code == 403
    assert client.post(decide_page(refund), {"decision": "reject"}).status_code == 403
    assert "Withdraw my request" not in client.get(order_page(refund)).content.decode()
    refund.refresh_from_db()
    assert refund.status == RefundStatus.AWAITING_APPROVAL


def test_approving_in_arabic_writes_the_amount_without_a_doubled_full_stop(
        client, awaiting, committed):
    refund, _clerk = awaiting
    client.force_login(make_staff("Managers", language="ar"))

    done = committed(client.post, decide_page(refund), {"decision": "approve"}, follow=True)

    assert messages_of(done)
    for message in messages_of(done):
        assert not re.search(r"\.[\u200e\u200f]*\.", message), message
    assert Refund.objects.get(pk=refund.pk).status != RefundStatus.AWAITING_APPROVAL


# --- the refunds list --------------------------------------------------------------------


def test_the_refunds_list_links_orders_and_labels_its_time_column(client, support_user,
                                                                   awaiting):
    refund, _clerk = awaiting
    order = refund.payment.order
    client.force_login(support_user)

    html = client.get("/admin/shop_refunds/").content.decode()

    assert re.search(rf'<a href="/admin/shop_orders/inspect/{order.pk}/">\s*<bdi>'
                     rf'{order.number}</bdi></a>', html)
    headers = [" ".join(th.get_text(" ").split())
               for th in BeautifulSoup(html, "html.parser").select("table thead th")]
    assert "Requested at" in headers and "Placed at" not in headers


def test_the_refund_time_has_its_own_arabic_label(client, awaiting):
    client.force_login(make_staff("Support", language="ar"))

    html = client.get("/admin/shop_refunds/").content.decode()

    with translation.override("ar"):
        own, placed = pgettext("refund", "Requested at"), gettext("Placed at")
    assert own != placed
    headers = [" ".join(th.get_text(" ").split())
               for th in BeautifulSoup(html, "html.parser").select("table thead th")]
    assert own in headers and placed not in headers


# --- the refund form ---------------------------------------------------------------------


@pytest.mark.parametrize(("currency", "decimals", "step", "refused", "accepted"), [
    ("SAR", 2, "0.01", "10.005", "10.01"),
    ("KWD", 3, "0.010", "1.0005", "1.010"),
])
def test_the_amount_takes_the_currencys_decimals(currency, decimals, step, refused, accepted):
    def form(amount: str) -> RefundForm:
        return RefundForm({"amount": amount, "stripe_reason": "requested_by_customer",
                           "idempotency_key": "2c9d9a3e-52a1-4f5c-8f1c-1d2f3a4b5c6d"},
                          currency=currency, refundable=Decimal("20"))

    with translation.override("en"):
        field = form(accepted).fields["amount"]
        assert field.decimal_places == decimals
        assert field.widget.attrs["step"] == step
        assert f'step="{step}"' in str(form(accepted)["amount"])
        assert form(accepted).is_valid()
        too_precise = form(refused)
        assert not too_precise.is_valid()
        assert too_precise.errors["amount"] == [
            f"Enter an amount in {currency} with at most its decimals."]
        assert field.help_text == f"Up to {currency}\xa020.{'0' * decimals}"


def test_no_staff_message_puts_a_full_stop_after_an_amount():
    root = Path(__file__).resolve().parents[3]
    sources = [*(root / "apps" / "backoffice").rglob("*.py"),
               *(root / "templates" / "backoffice").glob("*.html")]
    found = [f"{path.name}: {match.group()}" for path in sources if "tests" not in path.parts
             for match in re.finditer(r"(?:%\(amount\)s|\{\{ ?amount ?\}\})\.", path.read_text())]

    assert not found, found


# --- history -----------------------------------------------------------------------------


def test_staff_who_see_an_order_see_its_history(client, support_user, awaiting):
    refund, _clerk = awaiting
    client.force_login(support_user)

    for url in (f"/admin/shop_orders/history/{refund.payment.order_id}/",
                f"/admin/shop_refunds/history/{refund.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert refund.payment.order.number in text_of(response)
    assert "SAR\xa01,050.00" in text_of(
        client.get(f"/admin/shop_orders/history/{refund.payment.order_id}/"))


# --- the stylesheet ----------------------------------------------------------------------


def css_rule(selector: str) -> dict[str, str]:
    """The declarations of `selector`'s rule in the admin styles (backoffice/_styles.html)."""
    css = STYLES.read_text()
    match = re.search(re.escape(selector) + r"\s*\{([^}]*)\}", css)
    assert match, f"no rule for {selector}"
    return {name.strip(): value.strip() for name, _, value in
            (item.partition(":") for item in match[1].split(";") if item.strip())}


def hex_colour(value: str) -> tuple[int, int, int]:
    match = re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", value.strip())
    assert match, f"{value!r}: a fixed #rgb / #rrggbb colour (a theme variable cannot be checked)"
    digits = match[1] if len(match[1]) == 6 else "".join(c * 2 for c in match[1])
    return tuple(int(digits[i:i + 2], 16) for i in (0, 2, 4))


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2.x relative luminance."""
    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first, second) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)),
                             reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_matches_wcag():
    assert round(contrast_ratio((0, 0, 0), (255, 255, 255)), 1) == 21.0
    assert round(contrast_ratio(hex_colour("#777"), hex_colour("#fff")), 2) == 4.48


def test_timeline_labels_meet_wcag_aa_contrast():
    rule = css_rule(".shop-timeline .kind")
    text = hex_colour(rule["color"])
    background = hex_colour(rule.get("background-color") or rule["background"])

    assert contrast_ratio(text, background) >= 4.5


def test_email_addresses_wrap_only_before_the_at_sign(client, support_user, order):
    client.force_login(support_user)

    html = client.get(f"/admin/shop_orders/inspect/{order.pk}/").content.decode()

    local, domain = order.email.split("@")
    assert (f'<bdi class="shop-email"><span>{local}</span><wbr><span>@{domain}</span></bdi>'
            in html)
    assert css_rule(".shop-email > span")["white-space"] == "nowrap"
    assert "anywhere" not in STYLES.read_text()  # no break in the middle of a word


def test_dashboard_cards_keep_off_the_panel_edge():
    assert css_rule(".shop-overview").get("padding", "0") not in {"0", ""}
