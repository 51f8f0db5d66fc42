"""Refunds of a succeeded payment: created pending or succeeded, settled later, failing for
Stripe's "refund fails" test card."""

from __future__ import annotations

import copy
from typing import Any

from django.db import transaction

from apps.stripe_sandbox.cards import (
    Behaviour,
)
from apps.stripe_sandbox.engine.core import (
    REFUND_REASONS,
    Context,
    StripeErrorResponse,
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
from apps.stripe_sandbox.models import SandboxObject


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

    from apps.stripe_sandbox.tasks import settle_sandbox_refund

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
