"""The sandbox's Stripe: Stripe-shaped objects, their state changes and the events they emit.

Objects follow Stripe's API reference (and the example objects Stripe publishes): the same
ids (pi_…, ch_…, re_…, pm_…, evt_…), statuses, fields and error bodies. Every change runs in
one database transaction; the events it emits are stored with it and delivered after commit
by a task, signed like Stripe signs them.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.payments.sandbox.cards import (
    DECLINE_MESSAGES,
    SELLER_MESSAGES,
    TEST_PAYMENT_METHODS,
    Behaviour,
    TestCard,
    card_for_number,
)
from apps.payments.sandbox.models import SandboxObject

DOCS = "https://stripe.com/docs/error-codes/"
THREE_DECIMAL = {"kwd", "bhd", "omr", "jod", "tnd"}
CANCELLATION_REASONS = {"duplicate", "fraudulent", "requested_by_customer", "abandoned"}
REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}
CONFIRMABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
CANCELABLE = {
    "requires_payment_method",
    "requires_capture",
    "requires_confirmation",
    "requires_action",
    "processing",
}


class StripeErrorResponse(Exception):
    """An error answer of the API: HTTP status and Stripe's {"error": {...}} body."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        decline_code: str | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.error: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.error["code"] = code
            self.error["doc_url"] = DOCS + code.replace("_", "-")
        if param:
            self.error["param"] = param
        if decline_code:
            self.error["decline_code"] = decline_code
        self.error.update(extra)

    def body(self) -> dict[str, Any]:
        return {"error": self.error}


def not_found(kind: str, object_id: str, param: str = "id") -> StripeErrorResponse:
    return StripeErrorResponse(
        404, f"No such {kind}: '{object_id}'", code="resource_missing", param=param
    )


def new_id(prefix: str) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "_" + "".join(secrets.choice(alphabet) for _ in range(24))


def now_ts() -> int:
    return int(time.time())


_clock_lock = threading.Lock()
_last_created: list[datetime] = [timezone.now()]


def _monotonic_now() -> datetime:
    """Strictly increasing row times in this process, so events list in the order emitted."""
    with _clock_lock:
        value = max(timezone.now(), _last_created[0] + timedelta(microseconds=1))
        _last_created[0] = value
        return value


@dataclass
class Context:
    """One API request (or one sandbox action standing in for Stripe.js)."""

    request_id: str | None = None
    idempotency_key: str | None = None
    emitted: list[str] = field(default_factory=list)


# --- storage ------------------------------------------------------------------------------


def store(kind: str, data: dict[str, Any], **meta: Any) -> dict[str, Any]:
    SandboxObject.objects.create(
        id=data["id"], kind=kind, data=data, meta=meta, created_at=_monotonic_now()
    )
    return data


def load(kind: str, object_id: str, *, for_update: bool = False) -> dict[str, Any] | None:
    queryset = SandboxObject.objects.filter(kind=kind)
    if for_update:
        queryset = queryset.select_for_update()
    row = queryset.filter(pk=object_id).first()
    return row.data if row else None


def save(kind: str, data: dict[str, Any]) -> None:
    SandboxObject.objects.filter(pk=data["id"], kind=kind).update(data=data)


def load_intent(intent_id: str, *, for_update: bool = False) -> dict[str, Any]:
    intent = load("payment_intent", intent_id, for_update=for_update)
    if intent is None:
        raise not_found("payment_intent", intent_id, param="intent")
    return intent


# --- events -------------------------------------------------------------------------------


def emit(
    ctx: Context,
    event_type: str,
    obj: dict[str, Any],
    previous_attributes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Store a Stripe event and queue its signed delivery for after the commit."""
    from apps.payments.sandbox.tasks import deliver_sandbox_event

    data: dict[str, Any] = {"object": copy.deepcopy(obj)}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    event = {
        "id": new_id("evt"),
        "object": "event",
        "api_version": settings.STRIPE_API_VERSION,
        "created": now_ts(),
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
        "type": event_type,
    }
    store("event", event, delivered=False, attempts=0)
    ctx.emitted.append(event["id"])
    event_id = event["id"]
    transaction.on_commit(lambda: deliver_sandbox_event.enqueue(event_id))
    return event


# --- objects ------------------------------------------------------------------------------


def _check_amount(amount: Any, currency: str, param: str = "amount") -> int:
    try:
        value = int(amount)
    except (TypeError, ValueError):
        raise StripeErrorResponse(
            400, "Invalid integer: " + str(amount), code="parameter_invalid_integer", param=param
        ) from None
    minimum = 100 if currency in THREE_DECIMAL else 50
    if value < minimum:
        raise StripeErrorResponse(
            400,
            f"Amount must be at least {minimum} {currency} minor units",
            code="amount_too_small",
            param=param,
        )
    if currency in THREE_DECIMAL and value % 10:
        raise StripeErrorResponse(
            400,
            "For three-decimal currencies the amount must be a multiple of 10 minor units.",
            code="invalid_amount",
            param=param,
        )
    if value > 99_999_999:
        raise StripeErrorResponse(
            400, "Amount must be no more than 999,999.99", code="amount_too_large", param=param
        )
    return value


def _check_currency(params: dict[str, Any]) -> str:
    currency = str(params.get("currency") or "").lower()
    if not currency:
        raise StripeErrorResponse(
            400, "Missing required param: currency.", code="parameter_missing", param="currency"
        )
    if len(currency) != 3 or not currency.isalpha():
        raise StripeErrorResponse(
            400, f"Invalid currency: {currency}.", code="parameter_invalid_string",
            param="currency",
        )
    return currency


def _check_known(params: dict[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise StripeErrorResponse(
                400, f"Received unknown parameter: {key}", code="parameter_unknown", param=key
            )


def _metadata(value: Any, current: dict[str, str] | None = None) -> dict[str, str]:
    metadata = dict(current or {})
    if value in (None, ""):
        return {} if value == "" else metadata
    if not isinstance(value, dict):
        raise StripeErrorResponse(
            400, "Invalid object", code="parameter_invalid_object", param="metadata"
        )
    for key, item in value.items():
        if item == "":
            metadata.pop(key, None)
        else:
            metadata[str(key)] = str(item)
    return metadata


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
                "fingerprint": card["fingerprint"],
                "funding": card["funding"],
                "installments": None,
                "last4": card["last4"],
                "mandate": None,
                "network": card["brand"],
                "network_token": {"used": False},
                "network_transaction_id": None,
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


def create_refund(ctx: Context, params: dict[str, Any]) -> dict[str, Any]:
    _check_known(params, {"payment_intent", "charge", "amount", "reason", "metadata", "expand"})
    if params.get("payment_intent"):
        intent = load_intent(params["payment_intent"])
        if intent["status"] != "succeeded" or not intent["latest_charge"]:
            raise StripeErrorResponse(
                400,
                f"This PaymentIntent ({intent['id']}) does not have a successful charge to "
                "refund.",
                code="charge_not_refundable" if intent["status"] != "succeeded" else None,
                param="payment_intent",
            )
        charge_id = intent["latest_charge"]
    elif params.get("charge"):
        charge_id = params["charge"]
    else:
        raise StripeErrorResponse(
            400, "One of the following params should be provided for this request: "
            "payment_intent or charge.", code="parameter_missing",
        )
    charge = load("charge", charge_id, for_update=True)
    if charge is None:
        raise not_found("charge", charge_id, param="charge")
    if charge["status"] != "succeeded":
        raise StripeErrorResponse(
            400, f"Charge {charge_id} has not succeeded.", code="charge_not_refundable",
            param="charge",
        )
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise StripeErrorResponse(
            400, f"Charge {charge_id} has already been refunded.",
            code="charge_already_refunded", param="charge",
        )
    amount = remaining
    if params.get("amount") not in (None, ""):
        try:
            amount = int(params["amount"])
        except ValueError:
            raise StripeErrorResponse(
                400, "Invalid integer: " + str(params["amount"]),
                code="parameter_invalid_integer", param="amount",
            ) from None
        if amount <= 0 or amount > remaining:
            raise StripeErrorResponse(
                400,
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large", param="amount",
            )
    reason = params.get("reason") or None
    if reason and reason not in REFUND_REASONS:
        raise StripeErrorResponse(
            400, f"Invalid reason: {reason}", code="parameter_invalid_string", param="reason"
        )
    refund = {
        "id": new_id("re"),
        "object": "refund",
        "amount": amount,
        "balance_transaction": None,
        "charge": charge_id,
        "created": now_ts(),
        "currency": charge["currency"],
        "customer": None,
        "customer_account": None,
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
        "metadata": _metadata(params.get("metadata")),
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "pending",
        "transfer_reversal": None,
    }
    store("refund", refund)
    previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
    charge["amount_refunded"] += amount
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    charge["refunds"]["data"].insert(0, copy.deepcopy(refund))
    charge["refunds"]["total_count"] += 1
    save("charge", charge)
    emit(ctx, "refund.created", refund)
    emit(ctx, "charge.refunded", charge, previous_attributes=previous)

    from apps.payments.sandbox.tasks import settle_sandbox_refund

    refund_id = refund["id"]
    transaction.on_commit(lambda: settle_sandbox_refund.enqueue(refund_id))
    return refund


def settle_refund(ctx: Context, refund_id: str) -> dict[str, Any]:
    """The card network accepted the refund: pending -> succeeded, `refund.updated`. For a
    payment made with the refund-failure test card (4000 0000 0000 5126) it fails instead."""
    refund = load("refund", refund_id, for_update=True)
    if refund is None or refund["status"] != "pending":
        return refund or {}
    method = SandboxObject.objects.filter(
        kind="payment_method", pk=refund.get("payment_method") or ""
    ).first()
    if method is not None and method.meta.get("behaviour") == Behaviour.REFUND_FAILS:
        return _fail_refund(ctx, refund)
    refund["status"] = "succeeded"
    refund["balance_transaction"] = new_id("txn")
    refund["destination_details"]["card"].update(
        reference=new_id("arn")[4:20],
        reference_status="available",
        reference_type="acquirer_reference_number",
    )
    save("refund", refund)
    charge = load("charge", refund["charge"], for_update=True)
    if charge is not None:
        for item in charge["refunds"]["data"]:
            if item["id"] == refund_id:
                item.update(copy.deepcopy(refund))
        save("charge", charge)
    emit(ctx, "refund.updated", refund, previous_attributes={"status": "pending"})
    return refund


def _fail_refund(ctx: Context, refund: dict[str, Any]) -> dict[str, Any]:
    """pending -> failed: the money goes back to the balance, the charge's amount_refunded
    drops again; `refund.failed` and `refund.updated` (and `charge.refund.updated`)."""
    refund["status"] = "failed"
    refund["failure_reason"] = "expired_or_canceled_card"
    refund["failure_balance_transaction"] = new_id("txn")
    save("refund", refund)
    charge = load("charge", refund["charge"], for_update=True)
    if charge is not None:
        charge["amount_refunded"] = max(0, charge["amount_refunded"] - refund["amount"])
        charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
        for item in charge["refunds"]["data"]:
            if item["id"] == refund["id"]:
                item.update(copy.deepcopy(refund))
        save("charge", charge)
    emit(ctx, "refund.failed", refund, previous_attributes={"status": "pending"})
    emit(ctx, "refund.updated", refund, previous_attributes={"status": "pending"})
    emit(ctx, "charge.refund.updated", refund, previous_attributes={"status": "pending"})
    return refund


# --- events listing -----------------------------------------------------------------------


def list_events(params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/events: newest first, Stripe's cursor pagination and filters."""
    try:
        limit = max(1, min(100, int(params.get("limit") or 10)))
    except ValueError:
        raise StripeErrorResponse(
            400, "Invalid integer: " + str(params.get("limit")),
            code="parameter_invalid_integer", param="limit",
        ) from None
    types = params.get("types") or ([params["type"]] if params.get("type") else [])
    if isinstance(types, dict):
        types = list(types.values())
    created = params.get("created")
    delivery_success = params.get("delivery_success")
    rows = SandboxObject.objects.filter(kind="event").order_by("-created_at", "-id")
    events = []
    for row in rows.only("data", "meta"):
        event = row.data
        if types and not any(_type_matches(event["type"], pattern) for pattern in types):
            continue
        if created not in (None, "") and not _created_matches(event["created"], created):
            continue
        if delivery_success not in (None, ""):
            wanted = str(delivery_success).lower() == "true"
            if bool(row.meta.get("delivered")) != wanted:
                continue
        events.append(event)
    if params.get("starting_after"):
        ids = [event["id"] for event in events]
        if params["starting_after"] not in ids:
            raise not_found("event", params["starting_after"], param="starting_after")
        events = events[ids.index(params["starting_after"]) + 1 :]
    elif params.get("ending_before"):
        ids = [event["id"] for event in events]
        if params["ending_before"] not in ids:
            raise not_found("event", params["ending_before"], param="ending_before")
        events = events[: ids.index(params["ending_before"])][-limit:]
    return {
        "object": "list",
        "data": events[:limit],
        "has_more": len(events) > limit,
        "url": "/v1/events",
    }


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def _created_matches(created: int, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return created == int(condition)
    checks = {
        "gt": lambda bound: created > bound,
        "gte": lambda bound: created >= bound,
        "lt": lambda bound: created < bound,
        "lte": lambda bound: created <= bound,
    }
    return all(checks[key](int(value)) for key, value in condition.items() if key in checks)
