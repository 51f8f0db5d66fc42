"""Stripe's documented test card numbers (https://docs.stripe.com/testing#cards and
#declined-payments): what Stripe's test mode accepts, and the offline sandbox with it. The
one list of them, for the sandbox's card form and for every test."""

SUCCEEDS = "4242424242424242"
SUCCEEDS_DEBIT = "4000056655665556"
SUCCEEDS_MASTERCARD = "5555555555554444"
DECLINED = "4000000000000002"
INSUFFICIENT_FUNDS = "4000000000009995"
LOST_CARD = "4000000000009987"
STOLEN_CARD = "4000000000009979"
# 3-D Secure: the bank asks the card holder first (approve or fail the challenge).
THREE_D_SECURE = "4000002500003155"
THREE_D_SECURE_REQUIRED = "4000002760003184"
# Pays; a refund of it is accepted, then fails ("asynchronous refund failure").
REFUND_FAILS = "4000000000005126"
# Pays; then the card holder's bank disputes the payment as fraudulent.
DISPUTED = "4000000000000259"


def spaced(number: str) -> str:
    """As printed on a card: "4242 4242 4242 4242"."""
    return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
