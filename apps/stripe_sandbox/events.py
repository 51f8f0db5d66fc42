"""Signed delivery of sandbox events to the shop's own webhook processing.

The payload is signed exactly as Stripe signs it (`Stripe-Signature: t=<unix time>,v1=<hex
HMAC-SHA256 of "<t>.<payload>" keyed with the endpoint secret>`) and handed to the same
function the HTTP endpoint calls, so sandbox events pass the same verification code.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.db import transaction

from apps.stripe_sandbox.models import SandboxObject

logger = logging.getLogger(__name__)


class DeliveryFailed(Exception):
    pass


def signature_header(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{timestamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id: str) -> str:
    """The body Stripe would POST: the event as JSON, pretty-printed like Stripe's."""
    event = SandboxObject.objects.get(pk=event_id, kind="event").data
    return json.dumps(event, indent=2, ensure_ascii=False)


def deliver_event(*, event_id: str) -> int:
    """POST the event to our webhook processing, signed; returns the HTTP status it got."""
    from apps.payments.webhooks import process_webhook

    payload = event_payload(event_id)
    header = signature_header(payload, settings.STRIPE_WEBHOOK_SECRET)
    result = process_webhook(payload=payload.encode("utf-8"), signature_header=header)
    delivered = 200 <= result.status_code < 300
    with transaction.atomic():
        row = SandboxObject.objects.select_for_update().get(pk=event_id)
        row.meta = {
            **row.meta,
            "attempts": row.meta.get("attempts", 0) + 1,
            "delivered": bool(row.meta.get("delivered")) or delivered,
            "last_status": result.status_code,
        }
        if row.meta["delivered"]:
            row.data = {**row.data, "pending_webhooks": 0}
        row.save(update_fields=["meta", "data"])
    if not delivered:
        logger.warning("Sandbox event %s: webhook answered %s", event_id, result.status_code)
        raise DeliveryFailed(f"{event_id}: webhook answered {result.status_code}")
    return result.status_code
