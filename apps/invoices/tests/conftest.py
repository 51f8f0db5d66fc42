import pytest

from apps.payments import stripe_test_cards as cards
from apps.payments.models import PaymentStatus
from apps.payments.services.intents import start_payment


@pytest.fixture
def paid(order, card_holder):
    """The 125.00 SAR order (100.00 + 25.00 shipping), paid by card; its payment."""
    payment = start_payment(order=order)
    card_holder.confirm(payment.stripe_payment_intent_id, cards.SUCCEEDS)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    return payment
