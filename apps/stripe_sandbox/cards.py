"""Stripe's documented test cards, and how the sandbox treats each one.

https://docs.stripe.com/testing#cards and #declined-payments
"""

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

from apps.payments import stripe_test_cards as numbers


class Behaviour(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    THREE_D_SECURE = "three_d_secure"
    # Stripe's "asynchronous refund failure" card: the payment succeeds; a refund of it is
    # accepted (pending) and then fails with failure_reason "expired_or_canceled_card".
    # (Stripe may show the refund as succeeded before it fails; the sandbox keeps it pending
    # until it fails, the case the shop must never count as refunded.)
    REFUND_FAILS = "refund_fails"
    # Stripe's "fraudulent dispute" card: the payment succeeds, then the card holder's bank
    # disputes it (`charge.dispute.created`, status needs_response).
    DISPUTED = "disputed"


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

    @property
    def spaced(self) -> str:
        return numbers.spaced(self.number)


TEST_CARDS: dict[str, TestCard] = {
    card.number: card
    for card in [
        TestCard(numbers.SUCCEEDS, "visa", Behaviour.SUCCEED),
        TestCard(numbers.SUCCEEDS_DEBIT, "visa", Behaviour.SUCCEED, funding="debit"),
        TestCard(numbers.SUCCEEDS_MASTERCARD, "mastercard", Behaviour.SUCCEED),
        TestCard(numbers.DECLINED, "visa", Behaviour.DECLINE, decline_code="generic_decline"),
        TestCard(numbers.INSUFFICIENT_FUNDS, "visa", Behaviour.DECLINE,
                 decline_code="insufficient_funds"),
        TestCard(numbers.LOST_CARD, "visa", Behaviour.DECLINE, decline_code="lost_card"),
        TestCard(numbers.STOLEN_CARD, "visa", Behaviour.DECLINE, decline_code="stolen_card"),
        TestCard(numbers.THREE_D_SECURE, "visa", Behaviour.THREE_D_SECURE),
        TestCard(numbers.THREE_D_SECURE_REQUIRED, "visa", Behaviour.THREE_D_SECURE),
        TestCard(numbers.REFUND_FAILS, "visa", Behaviour.REFUND_FAILS),
        TestCard(numbers.DISPUTED, "visa", Behaviour.DISPUTED),
    ]
}

# The cards the sandbox's payment element lists, with what each one does.
LISTED_CARDS = [
    (TEST_CARDS[numbers.SUCCEEDS], _("payment succeeds")),
    (TEST_CARDS[numbers.DECLINED], _("card declined")),
    (TEST_CARDS[numbers.INSUFFICIENT_FUNDS], _("insufficient funds")),
    (TEST_CARDS[numbers.THREE_D_SECURE], _("asks for a bank check (3-D Secure)")),
]

# Stripe's test PaymentMethod ids for server-side confirmation.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": numbers.SUCCEEDS,
    "pm_card_mastercard": numbers.SUCCEEDS_MASTERCARD,
    "pm_card_chargeDeclined": numbers.DECLINED,
    "pm_card_chargeDeclinedInsufficientFunds": numbers.INSUFFICIENT_FUNDS,
    "pm_card_chargeDeclinedLostCard": numbers.LOST_CARD,
    "pm_card_chargeDeclinedStolenCard": numbers.STOLEN_CARD,
    "pm_card_authenticationRequired": numbers.THREE_D_SECURE_REQUIRED,
    "pm_card_authenticationRequiredOnSetup": numbers.THREE_D_SECURE,
    "pm_card_refundFail": numbers.REFUND_FAILS,
    "pm_card_createDispute": numbers.DISPUTED,
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
