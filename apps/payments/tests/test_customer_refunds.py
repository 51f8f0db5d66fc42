"""The customer's order page lists each refund: amount, date and where it stands. Staff's own
steps (a refund awaiting a manager's approval) are not shown."""

from decimal import Decimal

import pytest
from django.utils import translation

from apps.core.money import format_money
from apps.payments import stripe_test_cards as cards
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import place_test_order, stripe_id

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["ar", "en"])
def test_the_order_page_lists_the_refunds(client, customer, product, card_holder, committed,
                                          html, settings, language):
    settings.REFUND_APPROVAL_THRESHOLD = Decimal("50.00")
    order = place_test_order(product=product, user=customer, language=language)
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    for amount in (Decimal("10.00"), Decimal("60.00")):  # the second waits for a manager
        committed(request_refund, payment_id=payment.pk, amount=amount,
                  stripe_reason="requested_by_customer", requested_by=None,
                  idempotency_key=f"form-{stripe_id('k')}")
    client.force_login(customer)

    with translation.override(language):
        page = client.get(order.get_absolute_url())

    refunds = html.soup(page).select(".refund-list .refund")
    assert len(refunds) == 1
    text = " ".join(refunds[0].get_text(" ").split())
    with translation.override(language):
        assert " ".join(format_money(Decimal("10.00"), "SAR").split()) in text
        assert translation.pgettext("refund for the customer", "Refunded") in text
    if language == "ar":
        assert html.is_arabic(refunds[0].select_one(".refund-status").get_text())
