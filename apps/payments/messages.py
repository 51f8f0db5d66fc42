"""What shoppers read when a payment does not go through, in the page's language.

Stripe's own messages are English only; these cover Stripe's common decline and error codes
(https://docs.stripe.com/declines/codes) and fall back to a generic sentence.
"""

from django.utils.translation import gettext_lazy as _

GENERIC_DECLINE = _("Your card was declined. Please try another card or contact your bank.")

DECLINE_MESSAGES = {
    "generic_decline": GENERIC_DECLINE,
    "card_declined": GENERIC_DECLINE,
    "do_not_honor": GENERIC_DECLINE,
    "insufficient_funds": _("Your card has insufficient funds. Please try another card."),
    "lost_card": GENERIC_DECLINE,
    "stolen_card": GENERIC_DECLINE,
    "expired_card": _("Your card has expired. Please use another card."),
    "incorrect_cvc": _("The card's security code is incorrect."),
    "invalid_cvc": _("The card's security code is incorrect."),
    "incorrect_number": _("The card number is incorrect."),
    "invalid_number": _("The card number is incorrect."),
    "invalid_expiry_month": _("The card's expiry date is incorrect."),
    "invalid_expiry_year": _("The card's expiry date is incorrect."),
    "processing_error": _("An error occurred while processing your card. Please try again."),
    "card_velocity_exceeded": _(
        "Your card has been used too often or over its limit. Please try another card."
    ),
    "currency_not_supported": _("Your card does not support this currency."),
    "card_not_supported": _("Your card does not support this type of purchase."),
    "fraudulent": GENERIC_DECLINE,
    "authentication_required": _(
        "Your bank asks you to confirm this payment. Please try again and complete the check."
    ),
    "payment_intent_authentication_failure": _(
        "We could not verify your card with your bank (3-D Secure). Please try again or use "
        "another card."
    ),
}

TRY_AGAIN_LATER = _(
    "We could not reach the payment service just now. Your order is saved and still "
    "awaiting payment; please try again in a moment."
)
PAYMENT_UNAVAILABLE = _(
    "Payment is not possible at the moment. Your order is saved and still awaiting payment; "
    "please try again later or contact us."
)


def failure_message(code: str | None, decline_code: str | None = None) -> str:
    """The shopper's message for a Stripe error or decline code."""
    for key in (decline_code, code):
        if key and key in DECLINE_MESSAGES:
            return str(DECLINE_MESSAGES[key])
    return str(GENERIC_DECLINE)


def decline_messages() -> dict[str, str]:
    """Every code's message in the current language (for the payment page's script)."""
    return {code: str(message) for code, message in DECLINE_MESSAGES.items()}
