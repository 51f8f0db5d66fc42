"""Stripe webhooks: verify the signature, store the event by its Stripe id, handle it.

`process_webhook` is what the HTTP endpoint calls, and what the offline sandbox's signed
deliveries call: the same verification for both.

* Bad, missing or stale (> 300 s) signature, malformed body -> 400, nothing stored.
* The event is inserted by its Stripe id first, in the same transaction as its handling: a
  concurrent or later delivery of the same event waits on / hits the unique id and answers
  200 without doing anything.
* Handlers are dispatched from an explicit dict; unknown types are stored, logged, 200.
* A handler error rolls the whole transaction back (event row included) and answers 500 so
  Stripe retries; the failure is then recorded on the event row (processed_at empty, error
  text) for staff, and the retry processes it.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.payments.models import StripeEvent
from apps.payments.services import disputes, fulfilment, refund_reports

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    detail: str


# --- handlers -----------------------------------------------------------------------------


def _payment_intent(event: dict[str, Any]) -> None:
    fulfilment.apply_payment_intent(payment_intent=event["data"]["object"], observed_at=event["created"])


def _charge(event: dict[str, Any]) -> None:
    fulfilment.record_charge(charge=event["data"]["object"], observed_at=event["created"])


def _refund(event: dict[str, Any]) -> None:
    refund_reports.record_refund(refund=event["data"]["object"])


def _dispute(event: dict[str, Any]) -> None:
    disputes.record_dispute(dispute=event["data"]["object"])


EVENT_HANDLERS: dict[str, Callable[[dict[str, Any]], None]] = {
    "payment_intent.succeeded": _payment_intent,
    "payment_intent.payment_failed": _payment_intent,
    "payment_intent.canceled": _payment_intent,
    "payment_intent.processing": _payment_intent,
    "payment_intent.requires_action": _payment_intent,
    "charge.succeeded": _charge,
    "charge.failed": _charge,
    "charge.refunded": _charge,
    "refund.created": _refund,
    "refund.updated": _refund,
    "refund.failed": _refund,
    "charge.refund.updated": _refund,  # the same Refund object, older event name
    "charge.dispute.created": _dispute,
    "charge.dispute.updated": _dispute,
    "charge.dispute.closed": _dispute,
}


# --- entry points -------------------------------------------------------------------------


def process_webhook(*, payload: bytes, signature_header: str | None) -> WebhookResult:
    """Verify a delivery exactly as Stripe documents it, then process the event."""
    try:
        stripe.WebhookSignature.verify_header(
            payload,
            signature_header,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE,
        )
    except stripe.SignatureVerificationError as exc:
        logger.warning("Stripe webhook refused: %s", exc.user_message)
        return WebhookResult(400, "invalid signature")
    except (UnicodeDecodeError, ValueError):
        return WebhookResult(400, "malformed payload")
    try:
        event = json.loads(payload)
    except ValueError:
        return WebhookResult(400, "malformed payload")
    if not _well_formed(event):
        return WebhookResult(400, "malformed event")
    return process_event(event)


def _well_formed(event: Any) -> bool:
    return (
        isinstance(event, dict)
        and event.get("object") == "event"
        and isinstance(event.get("id"), str)
        and event["id"].startswith("evt_")
        and isinstance(event.get("type"), str)
        and isinstance(event.get("created"), int)
        and isinstance(event.get("data"), dict)
        and isinstance(event["data"].get("object"), dict)
    )


def process_event(event: dict[str, Any]) -> WebhookResult:
    """Store and handle one event (already verified, or read from Stripe's API)."""
    # Fast path for redeliveries: a processed event never becomes unprocessed. (The insert
    # below is what makes concurrent first deliveries safe.)
    if StripeEvent.objects.filter(stripe_id=event["id"], processed_at__isnull=False).exists():
        return WebhookResult(200, "duplicate")
    try:
        with transaction.atomic():
            stored = _store(event)
            if stored.processed_at is not None:
                return WebhookResult(200, "duplicate")
            handler = EVENT_HANDLERS.get(event["type"])
            if handler is None:
                logger.info("Stripe event %s of type %s acknowledged, not handled",
                            event["id"], event["type"])
                detail = "ignored"
            else:
                handler(event)
                detail = "processed"
            stored.processed_at = timezone.now()
            stored.error = ""
            stored.save(update_fields=["processed_at", "error"])
    except Exception as exc:
        logger.exception("Stripe event %s (%s) failed; rolled back", event["id"], event["type"])
        _record_failure(event, exc)
        return WebhookResult(500, "handler error")
    return WebhookResult(200, detail)


def payment_intent_of(event: dict[str, Any]) -> str:
    """The PaymentIntent id an event is about: the object's `id` for payment_intent.*
    events, its `payment_intent` for charges, refunds and disputes; "" when none."""
    obj = (event.get("data") or {}).get("object") or {}
    if not isinstance(obj, dict):
        return ""
    if obj.get("object") == "payment_intent" or str(event.get("type", "")).startswith(
        "payment_intent."
    ):
        value = obj.get("id")
    else:
        value = obj.get("payment_intent")
    if isinstance(value, dict):  # expanded
        value = value.get("id")
    return str(value)[:255] if isinstance(value, str) else ""


def _store(event: dict[str, Any]) -> StripeEvent:
    """Insert the event row, or lock the existing one (another delivery of the same event:
    on PostgreSQL the insert waits until that one commits or rolls back)."""
    try:
        with transaction.atomic():
            return StripeEvent.objects.create(
                stripe_id=event["id"],
                type=event["type"],
                livemode=bool(event.get("livemode")),
                api_version=str(event.get("api_version") or "")[:40],
                stripe_created=event["created"],
                payment_intent_id=payment_intent_of(event),
                payload=event,
            )
    except IntegrityError:
        return StripeEvent.objects.select_for_update().get(stripe_id=event["id"])


def _record_failure(event: dict[str, Any], exc: Exception) -> None:
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    try:
        with transaction.atomic():
            row, created = StripeEvent.objects.get_or_create(
                stripe_id=event["id"],
                defaults={
                    "type": event["type"],
                    "livemode": bool(event.get("livemode")),
                    "api_version": str(event.get("api_version") or "")[:40],
                    "stripe_created": event["created"],
                    "payment_intent_id": payment_intent_of(event),
                    "payload": event,
                    "error": text,
                },
            )
            if not created and row.processed_at is None:
                row.error = text
                row.save(update_fields=["error"])
    except Exception:
        logger.exception("Could not record the failure of Stripe event %s", event["id"])


def reprocess_event(*, stripe_event_id: str) -> WebhookResult:
    """Staff: run a stored event that failed again (a processed one stays a no-op)."""
    stored = StripeEvent.objects.get(stripe_id=stripe_event_id)
    return process_event(stored.payload)
