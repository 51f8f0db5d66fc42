"""Stripe's documented test cards, and how the sandbox treats each one.

https://docs.stripe.com/testing#cards and #declined-payments
"""

from dataclasses import dataclass
from enum import StrEnum


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    THREE_D_SECURE = "three_d_secure"
    # Stripe's "asynchronous refund failure" card: the payment succeeds; a refund of it is
    # accepted (pending) and then fails with failure_reason "expired_or_canceled_card".
    # (Stripe may show the refund as succeeded before it fails; the sandbox keeps it pending
    # until it fails, the case the shop must never count as refunded.)
    REFUND_FAILS = "refund_fails"


@dataclass(frozen=True)
class TestCard:
    __test__ = False  # not a pytest test class

    number: str
    brand: str
    behaviour: Behaviour
    decline_code: str = ""
    funding: str = "credit"
    country: str = "US"

    @property
    def last4(self) -> str:
        return self.number[-4:]


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in [
        TestCard("4242424242424242", "visa", Behaviour.SUCCEED),
        TestCard("4000056655665556", "visa", Behaviour.SUCCEED, funding="debit"),
        TestCard("5555555555554444", "mastercard", Behaviour.SUCCEED),
        TestCard("4000000000000002", "visa", Behaviour.DECLINE, decline_code="generic_decline"),
        TestCard(
            "4000000000009995", "visa", Behaviour.DECLINE, decline_code="insufficient_funds"
        ),
        TestCard("4000000000009987", "visa", Behaviour.DECLINE, decline_code="lost_card"),
        TestCard("4000000000009979", "visa", Behaviour.DECLINE, decline_code="stolen_card"),
        TestCard("4000002500003155", "visa", Behaviour.THREE_D_SECURE),
        TestCard("4000002760003184", "visa", Behaviour.THREE_D_SECURE),
        TestCard("4000000000005126", "visa", Behaviour.REFUND_FAILS),
    ]
}

# Stripe's test PaymentMethod ids for server-side confirmation.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_refundFail": "4000000000005126",
}

# What Stripe says to the card holder for each decline code (error.message).
DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
}
# What Stripe says to the merchant (charge.outcome.seller_message).
SELLER_MESSAGES = {
    "generic_decline": "The bank did not return any further details with this decline.",
    "insufficient_funds": "The bank returned the decline code `insufficient_funds`.",
    "lost_card": "The bank returned the decline code `lost_card`.",
    "stolen_card": "The bank returned the decline code `stolen_card`.",
}


class InvalidCardNumber(ValueError):
    """What Stripe.js would refuse before any API call."""

    code = "incorrect_number"
    message = "Your card number is incorrect."


def normalise_number(number: str) -> str:
    return "".join(ch for ch in str(number) if ch.isdigit())


def luhn_valid(number: str) -> bool:
    digits = [int(ch) for ch in number]
    checksum = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        checksum += digit
    return len(digits) >= 12 and checksum % 10 == 0


def card_for_number(number: str) -> TestCard:
    """The test card for a number as typed (spaces allowed). Any other valid number succeeds,
    like Stripe's generic test numbers."""
    number = normalise_number(number)
    if number in TEST_CARDS:
        return TEST_CARDS[number]
    if not luhn_valid(number):
        raise InvalidCardNumber(number)
    brand = {"4": "visa", "5": "mastercard", "3": "amex"}.get(number[0], "unknown")
    return TestCard(number, brand, Behaviour.SUCCEED)
