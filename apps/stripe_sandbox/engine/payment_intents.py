"""PaymentIntents, their PaymentMethods and charges: create, update, cancel, confirm with a test
card (decline, 3-D Secure challenge), as Stripe's API reference describes them."""

from __future__ import annotations

import copy
import hashlib
from typing import Any

from django.utils import timezone

from apps.stripe_sandbox.cards import (
    DECLINE_MESSAGES,
    SELLER_MESSAGES,
    TEST_PAYMENT_METHODS,
    Behaviour,
    TestCard,
    card_for_number,
)
from apps.stripe_sandbox.engine.core import (
    CANCELABLE,
    CANCELLATION_REASONS,
    CONFIRMABLE,
    DOCS,
    Context,
    StripeErrorResponse,
    _check_amount,
    _check_currency,
    _check_known,
    _metadata,
    emit,
    load,
    load_intent,
    new_id,
    not_found,
    now_ts,
    save,
    store,
)
from apps.stripe_sandbox.engine.disputes import open_dispute

PAYMENT_INTENT_PARAMS = {
    "amount", "currency", "metadata", "description", "receipt_email", "expand",
    "automatic_payment_methods", "payment_method_types", "statement_descriptor_suffix",
    "capture_method",
}


def create_payment_intent(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check_known(params, PAYMENT_INTENT_PARAMS)
    if "amount" not in params:
        raise StripeErrorResponse(
            400, "Missing required param: amount.", code="parameter_missing", param="amount"
        )
    currency = _check_currency(params)
    amount = _check_amount(params["amount"], currency)
    if params.get("capture_method", "automatic") != "automatic":
        raise StripeErrorResponse(
            400, "The sandbox supports capture_method=automatic only.",
            code="parameter_invalid_string", param="capture_method",
        )
    automatic = params.get("automatic_payment_methods") or {}
    intent_id = new_id("pi")
    intent = {
        "id": intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": (
            {"allow_redirects": "always", "enabled": True}
            if str(automatic.get("enabled", "")).lower() == "true"
            or "payment_method_types" not in params
            else None
        ),
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": "automatic",
        "client_secret": f"{intent_id}_secret_{new_id('x')[2:27]}",
        "confirmation_method": "automatic",
        "created": now_ts(),
        "currency": currency,
        "customer": None,
        "customer_account": None,
        "description": params.get("description") or None,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": {"enabled": False},
        "metadata": _metadata(params.get("metadata")),
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": list(params.get("payment_method_types") or ["card"]),
        "processing": None,
        "receipt_email": params.get("receipt_email") or None,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": params.get("statement_descriptor_suffix") or None,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": None,
    }
    store("payment_intent", intent)
    emit(ctx, "payment_intent.created", intent)
    return intent


def update_payment_intent(ctx: Context, intent_id: str, params: dict[str, Any]) -> dict:
    _check_known(params, {"amount", "metadata", "description", "receipt_email", "expand"})
    intent = load_intent(intent_id, for_update=True)
    if "amount" in params:
        if intent["status"] not in CONFIRMABLE:
            raise _unexpected_state(intent, "update", "updated")
        intent["amount"] = _check_amount(params["amount"], intent["currency"])
    if "metadata" in params:
        intent["metadata"] = _metadata(params["metadata"], intent["metadata"])
    for key in ("description", "receipt_email"):
        if key in params:
            intent[key] = params[key] or None
    save("payment_intent", intent)
    return intent


def _unexpected_state(intent: dict[str, Any], action: str, done: str, allowed=CONFIRMABLE):
    return StripeErrorResponse(
        400,
        f"You cannot {action} this PaymentIntent because it has a status of "
        f"{intent['status']}. Only a PaymentIntent with one of the following statuses may be "
        f"{done}: {', '.join(sorted(allowed))}.",
        code="payment_intent_unexpected_state",
        payment_intent=copy.deepcopy(intent),
    )


def cancel_payment_intent(ctx: Context, intent_id: str, params: dict[str, Any]) -> dict:
    _check_known(params, {"cancellation_reason", "expand"})
    intent = load_intent(intent_id, for_update=True)
    if intent["status"] not in CANCELABLE:
        raise StripeErrorResponse(
            400,
            f"You cannot cancel this PaymentIntent because it has a status of "
            f"{intent['status']}. Only a PaymentIntent with one of the following statuses may "
            f"be canceled: {', '.join(sorted(CANCELABLE))}.",
            code="payment_intent_unexpected_state",
            payment_intent=copy.deepcopy(intent),
        )
    reason = params.get("cancellation_reason")
    if reason and reason not in CANCELLATION_REASONS:
        raise StripeErrorResponse(
            400, f"Invalid cancellation_reason: {reason}", code="parameter_invalid_string",
            param="cancellation_reason",
        )
    intent.update(
        status="canceled",
        canceled_at=now_ts(),
        cancellation_reason=reason or None,
        next_action=None,
    )
    save("payment_intent", intent)
    emit(ctx, "payment_intent.canceled", intent)
    return intent


# --- confirmation (what Stripe does when Stripe.js confirms with a card) ------------------


def _payment_method(card: TestCard) -> dict[str, Any]:
    method = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None, "country": None, "line1": None, "line2": None,
                "postal_code": None, "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "country": card.country,
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": timezone.now().year + 5,
            "fingerprint": hashlib.sha256(card.number.encode()).hexdigest()[:16],
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": now_ts(),
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    # The card number itself is not stored, like Stripe never shows it.
    return store("payment_method", method, behaviour=card.behaviour.value,
                 decline_code=card.decline_code)


def _charge(
    intent: dict[str, Any],
    method: dict[str, Any],
    *,
    succeeded: bool,
    decline_code: str = "",
    three_d_secure: bool = False,
) -> dict[str, Any]:
    card = method["card"]
    charge_id = new_id("ch")
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": intent["amount"],
        "amount_captured": intent["amount"] if succeeded else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": new_id("txn") if succeeded else None,
        "billing_details": method["billing_details"],
        "calculated_statement_descriptor": "GULF EMPEROR",
        "captured": succeeded,
        "created": now_ts(),
        "currency": intent["currency"],
        "customer": None,
        "description": intent["description"],
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None if succeeded else "card_declined",
        "failure_message": None if succeeded else DECLINE_MESSAGES.get(
            decline_code, "Your card was declined."
        ),
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(intent["metadata"]),
        "on_behalf_of": None,
        "outcome": (
            {
                "advice_code": None,
                "network_advice_code": None,
                "network_decline_code": None,
                "network_status": "approved_by_network",
                "reason": None,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": "Payment complete.",
                "type": "authorized",
            }
            if succeeded
            else {
                "advice_code": "try_again_later" if decline_code == "insufficient_funds"
                else "do_not_try_again",
                "network_advice_code": None,
                "network_decline_code": "51" if decline_code == "insufficient_funds" else "05",
                "network_status": "declined_by_network",
                "reason": decline_code,
                "risk_level": "normal",
                "risk_score": 20,
                "seller_message": SELLER_MESSAGES.get(decline_code, "Declined."),
                "type": "issuer_declined",
            }
        ),
        "paid": succeeded,
        "payment_intent": intent["id"],
        "payment_method": method["id"],
        "payment_method_details": {
            "card": {
                "amount_authorized": intent["amount"] if succeeded else None,
                "authorization_code": None,
                "brand": card["brand"],
                "checks": card["checks"],
                "country": card["country"],
                "exp_month": card["exp_month"],
                "exp_year": card["exp_year"],
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": None,
                "overcapture": {"maximum_amount_capturable": intent["amount"],
                                "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": (
                    {
                        "authentication_flow": "challenge",
                        "electronic_commerce_indicator": "05",
                        "exemption_indicator": None,
                        "result": "authenticated",
                        "result_reason": None,
                        "transaction_id": new_id("3ds"),
                        "version": "2.2.0",
                    }
                    if three_d_secure
                    else None
                ),
                "transaction_link_id": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": intent["receipt_email"],
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {
            "object": "list", "data": [], "has_more": False,
            "total_count": 0, "url": f"/v1/charges/{charge_id}/refunds",
        },
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded" if succeeded else "failed",
        "transfer_data": None,
        "transfer_group": None,
    }
    return store("charge", charge)


def _succeed(ctx: Context, intent: dict, method: dict, *, three_d_secure: bool) -> dict:
    charge = _charge(intent, method, succeeded=True, three_d_secure=three_d_secure)
    intent.update(
        status="succeeded",
        amount_received=intent["amount"],
        latest_charge=charge["id"],
        payment_method=method["id"],
        last_payment_error=None,
        next_action=None,
    )
    save("payment_intent", intent)
    emit(ctx, "charge.succeeded", charge)
    emit(ctx, "payment_intent.succeeded", intent)
    return intent


def _decline(ctx: Context, intent: dict, method: dict, decline_code: str) -> StripeErrorResponse:
    charge = _charge(intent, method, succeeded=False, decline_code=decline_code)
    error = {
        "charge": charge["id"],
        "code": "card_declined",
        "decline_code": decline_code,
        "doc_url": DOCS + "card-declined",
        "message": DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
        "payment_method": copy.deepcopy(method),
        "type": "card_error",
    }
    intent.update(
        status="requires_payment_method",
        latest_charge=charge["id"],
        payment_method=None,
        last_payment_error=error,
        next_action=None,
    )
    save("payment_intent", intent)
    emit(ctx, "charge.failed", charge)
    emit(ctx, "payment_intent.payment_failed", intent)
    return StripeErrorResponse(
        402,
        error["message"],
        type="card_error",
        code="card_declined",
        decline_code=decline_code,
        charge=charge["id"],
        payment_intent=copy.deepcopy(intent),
        payment_method=copy.deepcopy(method),
    )


def _authentication_failed(ctx: Context, intent: dict, method: dict) -> dict:
    intent.update(
        status="requires_payment_method",
        payment_method=None,
        next_action=None,
        last_payment_error={
            "code": "payment_intent_authentication_failure",
            "doc_url": DOCS + "payment-intent-authentication-failure",
            "message": (
                "The provided PaymentMethod has failed authentication. You can provide "
                "payment_method_data or a new PaymentMethod to attempt to fulfill this "
                "PaymentIntent again."
            ),
            "payment_method": copy.deepcopy(method),
            "type": "invalid_request_error",
        },
    )
    save("payment_intent", intent)
    emit(ctx, "payment_intent.payment_failed", intent)
    return intent


def confirm(
    ctx: Context,
    intent_id: str,
    *,
    card: TestCard | None,
    three_ds_outcome: str | None = None,
    return_url: str | None = None,
) -> dict[str, Any]:
    """Confirm a PaymentIntent with a test card, as Stripe.js would, or complete its pending
    3-D Secure challenge (`card=None`, `three_ds_outcome` "approve" or "fail").

    A decline raises the 402 StripeErrorResponse Stripe answers, after the state change (the
    caller must commit it)."""
    if three_ds_outcome not in (None, "approve", "fail"):
        raise StripeErrorResponse(400, "three_ds_outcome must be approve or fail")
    intent = load_intent(intent_id, for_update=True)
    if intent["status"] == "requires_action" and card is None:
        if three_ds_outcome is None:
            raise StripeErrorResponse(
                400, "This PaymentIntent is waiting for 3-D Secure authentication.",
                code="payment_intent_unexpected_state",
            )
        method = load("payment_method", intent["payment_method"])
        return _complete_challenge(ctx, intent, method, three_ds_outcome)
    if intent["status"] not in CONFIRMABLE:
        raise _unexpected_state(intent, "confirm", "confirmed")
    if card is None:
        raise StripeErrorResponse(
            400,
            "You cannot confirm this PaymentIntent because it's missing a payment method.",
            code="payment_intent_unexpected_state",
        )
    method = _payment_method(card)
    if card.behaviour in (Behaviour.SUCCEED, Behaviour.REFUND_FAILS):
        return _succeed(ctx, intent, method, three_d_secure=False)
    if card.behaviour == Behaviour.DISPUTED:
        intent = _succeed(ctx, intent, method, three_d_secure=False)
        open_dispute(ctx, intent["latest_charge"])
        return intent
    if card.behaviour == Behaviour.DECLINE:
        raise _decline(ctx, intent, method, card.decline_code)
    # 3-D Secure: the bank asks the card holder first.
    intent.update(
        status="requires_action",
        payment_method=method["id"],
        last_payment_error=None,
        next_action={
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": "sandbox",
                "source": new_id("src"),
                "return_url": return_url,
            },
        },
    )
    save("payment_intent", intent)
    emit(ctx, "payment_intent.requires_action", intent)
    if three_ds_outcome is None:
        return intent
    return _complete_challenge(ctx, intent, method, three_ds_outcome)


def _complete_challenge(ctx: Context, intent: dict, method: dict, outcome: str) -> dict:
    if outcome == "approve":
        return _succeed(ctx, intent, method, three_d_secure=True)
    return _authentication_failed(ctx, intent, method)


def confirm_with_params(ctx: Context, intent_id: str, params: dict[str, Any]) -> dict:
    """POST /v1/payment_intents/:id/confirm with one of Stripe's test PaymentMethod ids."""
    _check_known(params, {"payment_method", "return_url", "expand", "receipt_email"})
    method_id = params.get("payment_method")
    card = None
    if method_id:
        if method_id not in TEST_PAYMENT_METHODS:
            raise not_found("PaymentMethod", method_id, param="payment_method")
        card = card_for_number(TEST_PAYMENT_METHODS[method_id])
    return confirm(ctx, intent_id, card=card, return_url=params.get("return_url"))


# --- refunds ------------------------------------------------------------------------------
