"""What Stripe.js and the card holder do in the sandbox: confirm with a test card, pass or fail
3-D Secure. The shop's own code never calls these; the sandbox payment page and tests do."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.stripe_sandbox import engine
from apps.stripe_sandbox.cards import InvalidCardNumber, card_for_number
from apps.stripe_sandbox.engine import StripeErrorResponse
from apps.stripe_sandbox.server import inject_fault

__all__ = [
    "InvalidCardNumber",
    "StripeErrorResponse",
    "inject_fault",
    "sandbox_complete_3ds",
    "sandbox_confirm",
]


def sandbox_confirm(
    payment_intent_id: str, card_number: str, three_ds_outcome: str | None = None
) -> dict[str, Any]:
    """Confirm a PaymentIntent with a test card, as `stripe.confirmPayment` would.

    4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined (generic_decline);
    4000 0000 0000 9995 is declined for insufficient funds; 4000 0025 0000 3155 needs 3-D
    Secure: without `three_ds_outcome` the intent waits in requires_action, "approve" makes it
    succeed, "fail" returns it to requires_payment_method with last_payment_error. A decline
    also returns the intent to requires_payment_method, ready for another try.

    Returns the PaymentIntent as Stripe shows it. Raises InvalidCardNumber (what Stripe.js
    refuses before any request) and StripeErrorResponse (e.g. the intent is already paid).
    """
    card = card_for_number(card_number)
    return _confirm(payment_intent_id, card=card, three_ds_outcome=three_ds_outcome)


def sandbox_complete_3ds(payment_intent_id: str, outcome: str) -> dict[str, Any]:
    """The card holder approves ("approve") or fails ("fail") the pending challenge."""
    return _confirm(payment_intent_id, card=None, three_ds_outcome=outcome)


def _confirm(payment_intent_id: str, *, card, three_ds_outcome) -> dict[str, Any]:
    ctx = engine.Context(request_id=engine.new_id("req"))
    with transaction.atomic():
        try:
            return engine.confirm(
                ctx, payment_intent_id, card=card, three_ds_outcome=three_ds_outcome
            )
        except StripeErrorResponse as exc:
            if exc.status != 402:
                raise
            # Declined: the intent is back to requires_payment_method (committed).
            return engine.load_intent(payment_intent_id)
