"""Staff refunds at the same moment, on PostgreSQL: real threads, real transactions, real row
locks. Two staff members cannot together refund more than was captured, and one form
submitted twice at once is one Stripe refund."""

from decimal import Decimal
from importlib import import_module

import pytest
from django.contrib.auth.models import Group

from apps.payments import stripe_test_cards as cards
from apps.payments.models import Payment, Refund, RefundStatus
from apps.payments.services import RefundRefused
from apps.payments.services.intents import start_payment
from apps.payments.services.refunds import request_refund
from apps.payments.tests.factories import place_test_order
from apps.payments.tests.test_concurrency import run_together
from apps.users.tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def paid_order(card_holder_now):
    order = place_test_order()  # 125.00 SAR
    payment = start_payment(order=order)
    card_holder_now.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    return Payment.objects.get(pk=payment.pk)


@pytest.fixture(autouse=True)
def _staff_groups():
    """Transactional tests empty the tables the data migration filled: create them again."""
    from django.apps import apps

    import_module("apps.payments.migrations.0003_staff_groups").create_groups(apps, None)


def clerk(email):
    user = UserFactory(email=email)
    user.groups.add(Group.objects.get(name="Refunds"))
    return user


def attempt(payment, user, key, amount):
    def run():
        try:
            return request_refund(
                payment_id=payment.pk, amount=amount, stripe_reason="requested_by_customer",
                requested_by=user, idempotency_key=key,
            )
        except RefundRefused as exc:
            return exc

    return run


def stripe_refund_calls(stripe_log):
    return stripe_log.requests.filter(method="POST", path="/v1/refunds", replayed=False)


def test_two_staff_members_cannot_together_refund_more_than_was_paid(card_holder_now, stripe_log):
    payment = paid_order(card_holder_now)
    amina, fahad = clerk("amina@gulf-emperor.example"), clerk("fahad@gulf-emperor.example")

    results = run_together(
        attempt(payment, amina, "amina-form", Decimal("100.00")),
        attempt(payment, fahad, "fahad-form", Decimal("100.00")),
    )

    refunds = [result for result in results if isinstance(result, Refund)]
    refused = [result for result in results if isinstance(result, RefundRefused)]
    assert len(refunds) == 1 and len(refused) == 1
    payment.refresh_from_db()
    counted = sum(
        refund.amount for refund in payment.refunds.exclude(status=RefundStatus.FAILED)
    )
    assert counted == Decimal("100.00") <= payment.amount
    assert stripe_refund_calls(stripe_log).count() == 1
    assert payment.refunds.get().status == RefundStatus.SUCCEEDED


def test_several_partial_refunds_at_once_stop_at_the_captured_amount(card_holder_now, stripe_log):
    payment = paid_order(card_holder_now)
    staff = [clerk(f"clerk{n}@gulf-emperor.example") for n in range(4)]

    results = run_together(*[
        attempt(payment, user, f"form-{n}", Decimal("50.00")) for n, user in enumerate(staff)
    ])

    assert sum(isinstance(result, Refund) for result in results) == 2  # 2 x 50 <= 125
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("100.00")
    assert stripe_refund_calls(stripe_log).count() == 2


def test_one_form_submitted_twice_at_once_is_one_stripe_refund(card_holder_now, stripe_log):
    payment = paid_order(card_holder_now)
    amina = clerk("amina@gulf-emperor.example")

    first, second = run_together(
        attempt(payment, amina, "same-form", Decimal("40.00")),
        attempt(payment, amina, "same-form", Decimal("40.00")),
    )

    assert first.pk == second.pk
    assert Refund.objects.count() == 1
    assert stripe_refund_calls(stripe_log).count() == 1
    payment.refresh_from_db()
    assert payment.amount_refunded == Decimal("40.00")
