"""Disputes: the card holder's bank reverses a payment (Stripe's "disputed as fraudulent"
test card). The charge succeeds, then Stripe opens a dispute on it and sends
`charge.dispute.created`."""

from __future__ import annotations

from typing import Any

from apps.stripe_sandbox.engine.core import Context, emit, load, new_id, now_ts, save, store

# Every piece of evidence Stripe's Dispute has, none submitted yet.
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)
RESPONSE_DAYS = 7


def open_dispute(ctx: Context, charge_id: str, *, reason: str = "fraudulent") -> dict[str, Any]:
    charge = load("charge", charge_id, for_update=True)
    brand = charge["payment_method_details"]["card"]["brand"]
    created = now_ts()
    dispute = {
        "id": new_id("dp"),
        "object": "dispute",
        "amount": charge["amount"],
        "balance_transactions": [],
        "charge": charge["id"],
        "created": created,
        "currency": charge["currency"],
        "enhanced_eligibility_types": [],
        "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
        "evidence_details": {
            "due_by": created + RESPONSE_DAYS * 24 * 3600,
            "enhanced_eligibility": {},
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        },
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": brand,
                "case_type": "chargeback",
                "network": brand,
                "network_reason_code": "10.4",
            },
            "type": "card",
        },
        "reason": reason,
        "status": "needs_response",
    }
    store("dispute", dispute)
    charge["disputed"] = True
    save("charge", charge)
    emit(ctx, "charge.dispute.created", dispute)
    emit(ctx, "charge.updated", charge, previous_attributes={"disputed": False})
    return dispute
