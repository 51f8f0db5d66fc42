"""On PostgreSQL, payments that commit at the same moment still take consecutive invoice
numbers: no gap, no duplicate (the sequence row is locked until each commits)."""

import pytest

from apps.core.tests.concurrency import run_together
from apps.invoices.models import DocumentKind, TaxDocument
from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment
from apps.payments.services.fulfilment import refresh_payment
from apps.payments.services.intents import start_payment
from apps.payments.tests.factories import place_test_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ORDERS = 20


def test_twenty_orders_paid_at_once_get_twenty_consecutive_invoice_numbers(settings,
                                                                           card_holder_now):
    # The card holders pay; Stripe's webhooks are not delivered, so the twenty return pages
    # below are what marks the orders paid, all at the same moment.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    payments = []
    for _ in range(ORDERS):
        payment = start_payment(order=place_test_order())
        card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
        payments.append(payment.pk)
    assert not TaxDocument.objects.exists()

    results = run_together(ORDERS, lambda index: refresh_payment(
        payment=Payment.objects.get(pk=payments[index])))

    assert not [result for result in results if isinstance(result, Exception)], results
    invoices = TaxDocument.objects.filter(kind=DocumentKind.INVOICE)
    assert sorted(invoices.values_list("sequence", flat=True)) == list(range(1, ORDERS + 1))
    numbers = set(invoices.values_list("number", flat=True))
    assert len(numbers) == ORDERS
    assert sorted(invoices.values_list("counter", flat=True)) == list(range(1, ORDERS + 1))
    assert set(invoices.values_list("order__status", flat=True)) == {"paid"}
