"""Stripe webhooks: verify the signature, store the event by its Stripe id, handle it.

`process_webhook` is what the HTTP endpoint calls, and what the offline sandbox's signed
deliveries call: the same verification for both.

* Bad, missing or stale (> 300 s) signature -> 400, nothing stored.
* The event is inserted by its Stripe id first, in the same transaction as its handling: a
  concurrent or later delivery of the same event waits on / hits the unique id and answers
  200 without doing anything.
* Handlers are dispatched from an explicit dict; unknown types are stored, logged, 200.
* An event from the other Stripe mode (`livemode` not the key's) is stored, not applied, and
  the payment it is about is held for staff (services.review).
* Faults are told apart, so one bad event cannot make Stripe retry it for three days:
  - transient (the database unreachable or a lock timeout, Stripe unreachable): the whole
    transaction rolls back (event row included) and the answer is 500, so Stripe retries;
  - permanent (a signed event that can never be processed: JSON nested absurdly deep or not
    JSON at all, NUL characters, missing or ill-typed fields, any handler error that is not
    transient): rolled back too, then stored, sanitized, as failed with its reason and
    answered 200. Staff see it in the admin's Stripe events and can re-run it after a fix.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from apps.payments import gateway
from apps.payments.models import Payment, PaymentReview, StripeEvent
from apps.payments.services import disputes, fulfilment, refund_reports
from apps.payments.services.review import hold_for_review
from apps.payments.services.states import lock_payment

logger = logging.getLogger(__name__)

# Deeper than anything Stripe sends (its objects nest a few levels); checked before parsing.
MAX_JSON_DEPTH = 64
# What may pass and be tried again by Stripe: everything else is a permanent failure.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, gateway.GatewayUnavailable)


@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    detail: str


class UnprocessableEvent(Exception):
    """A signed event that can never be processed as it is."""


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
        return WebhookResult(400, "malformed signature header")
    # Signed by Stripe from here on: a body we cannot read is stored for staff, not refused
    # (a refusal would only make Stripe send it again for days).
    if json_depth(payload) > MAX_JSON_DEPTH:
        return _store_unreadable(payload, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as exc:
        return _store_unreadable(payload, f"not JSON: {exc}")
    clean, had_nul = sanitize(event)
    if had_nul:
        return _store_failed(clean, "The event contains NUL characters (stored with U+FFFD).")
    problem = _envelope_problem(clean)
    if problem:
        return _store_failed(clean, problem)
    return process_event(clean)


_JSON_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


def json_depth(payload: bytes) -> int:
    """How deep arrays and objects nest in a JSON text (strings skipped), without parsing
    it: json.loads recurses once per level and would fail on a hostile depth. Fast when it
    cannot be deep: a text with few brackets is not scanned."""
    if payload.count(b"[") + payload.count(b"{") <= MAX_JSON_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for match in _JSON_STRUCTURE.finditer(payload):
        char = match.group()
        if in_string:
            if escaped:
                escaped = False
            elif char == b"\\":
                escaped = True
            elif char == b'"':
                in_string = False
            continue
        if escaped:
            escaped = False
        if char == b'"':
            in_string = True
        elif char in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_JSON_DEPTH:
                    return deepest
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


def sanitize(value: Any) -> tuple[Any, bool]:
    """The value with every NUL character (which PostgreSQL refuses in text) replaced by
    U+FFFD, and whether there was one."""
    if isinstance(value, str):
        return (value.replace("\x00", "\ufffd"), True) if "\x00" in value else (value, False)
    if isinstance(value, dict):
        found = False
        clean = {}
        for key, item in value.items():
            key, bad_key = sanitize(key)
            clean[key], bad_item = sanitize(item)
            found = found or bad_key or bad_item
        return clean, found
    if isinstance(value, list):
        items = [sanitize(item) for item in value]
        return [item for item, _bad in items], any(bad for _item, bad in items)
    return value, False


def _envelope_problem(event: Any) -> str:
    """What is wrong with an event's envelope ("" when nothing)."""
    if not isinstance(event, dict):
        return "The event is not a JSON object."
    checks = [
        (event.get("object") == "event", 'object is not "event"'),
        (isinstance(event.get("id"), str) and event["id"].startswith("evt_"),
         "id is missing or not an evt_ id"),
        (isinstance(event.get("type"), str) and event["type"], "type is missing"),
        (isinstance(event.get("created"), int) and not isinstance(event.get("created"), bool),
         "created is missing or not a number"),
        (isinstance(event.get("data"), dict)
         and isinstance(event["data"].get("object"), dict), "data.object is missing"),
    ]
    return "; ".join(reason for ok, reason in checks if not ok)


def process_event(event: dict[str, Any]) -> WebhookResult:
    """Store and handle one event (already verified, or read from Stripe's API, or stored
    and run again by staff)."""
    problem = _envelope_problem(event)
    if problem:
        return _store_failed(event, problem)
    try:
        # Fast path for redeliveries: a processed event never becomes unprocessed. (The
        # insert below is what makes concurrent first deliveries safe.)
        if StripeEvent.objects.filter(stripe_id=event["id"],
                                      processed_at__isnull=False).exists():
            return WebhookResult(200, "duplicate")
        with transaction.atomic():
            stored = _store(event)
            if stored.processed_at is not None:
                return WebhookResult(200, "duplicate")
            detail, note = _handle(event)
            stored.processed_at = timezone.now()
            stored.error = note
            stored.save(update_fields=["processed_at", "error"])
    except TRANSIENT_ERRORS as exc:
        logger.exception("Stripe event %s (%s) failed for now; rolled back for Stripe to "
                         "retry", event["id"], event["type"])
        _record_failure(event, exc)
        return WebhookResult(500, "temporary error")
    except Exception as exc:  # noqa: BLE001 - any other fault is permanent, see the docstring
        logger.exception("Stripe event %s (%s) cannot be processed; stored as failed",
                         event["id"], event["type"])
        _record_failure(event, exc)
        return WebhookResult(200, "failed; stored for staff")
    return WebhookResult(200, detail)


def _handle(event: dict[str, Any]) -> tuple[str, str]:
    """Run the event's handler: (detail for the answer, note kept on the event row)."""
    if bool(event.get("livemode")) != gateway.livemode():
        _hold_payment_of(event)
        return "ignored (livemode)", (
            f"Not applied: a {'live' if event.get('livemode') else 'test'}-mode event, but "
            f"the shop's key is a {'live' if gateway.livemode() else 'test'} key."
        )
    handler = EVENT_HANDLERS.get(event["type"])
    if handler is None:
        logger.info("Stripe event %s of type %s acknowledged, not handled",
                    event["id"], event["type"])
        return "ignored", ""
    problem = object_problem(event)
    if problem:
        raise UnprocessableEvent(problem)
    handler(event)
    return "processed", ""


# The fields each handled object must have, with their types (Stripe's API reference); an
# object without them can never be applied.
REQUIRED_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "payment_intent": {"id": str, "status": str, "amount": int, "currency": str},
    "charge": {"id": str, "status": str, "amount": int, "currency": str,
               "payment_intent": (str, dict)},
    "refund": {"id": str, "amount": int, "currency": str, "payment_intent": (str, dict)},
    "dispute": {"id": str, "status": str, "amount": int, "currency": str},
}


def object_problem(event: dict[str, Any]) -> str:
    """What is missing or ill-typed in the event's object ("" when nothing)."""
    obj = event["data"]["object"]
    kind = event["type"].split(".")[0]
    kind = {"charge": "dispute" if ".dispute." in event["type"] else
            "refund" if ".refund." in event["type"] else "charge"}.get(kind, kind)
    problems = []
    for name, expected in REQUIRED_FIELDS.get(kind, {}).items():
        value = obj.get(name)
        if value is None:
            problems.append(f"{kind}.{name} is missing")
        elif not isinstance(value, expected) or isinstance(value, bool):
            problems.append(f"{kind}.{name} is not a {getattr(expected, '__name__', 'value')}")
    return "; ".join(problems)


def _hold_payment_of(event: dict[str, Any]) -> None:
    payment = Payment.objects.filter(stripe_payment_intent_id=payment_intent_of(event)).first()
    if payment is None:
        return
    order, payment = lock_payment(payment.pk)
    hold_for_review(order, payment, reason=PaymentReview.LIVEMODE, reported={
        "reason": PaymentReview.LIVEMODE, "livemode": bool(event.get("livemode")),
    })


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
    """Keep the failure on the event's row for staff (best effort: the database may be what
    failed)."""
    text = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
    text = sanitize(text)[0]
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


def _store_failed(event: Any, reason: str) -> WebhookResult:
    """A signed event that cannot be processed as it is: stored (sanitized) as failed."""
    body = event if isinstance(event, dict) else {"value": event}
    if not (isinstance(body.get("id"), str) and body["id"]):
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode())
        body = {**body, "id": f"unreadable_{digest.hexdigest()[:32]}"}
    if not isinstance(body.get("type"), str):
        body = {**body, "type": ""}
    if not isinstance(body.get("created"), int) or isinstance(body.get("created"), bool):
        body = {**body, "created": 0}
    logger.error("Stripe event %s cannot be processed: %s", body["id"], reason)
    _record_failure(body, UnprocessableEvent(reason))
    return WebhookResult(200, "failed; stored for staff")


def _store_unreadable(payload: bytes, reason: str) -> WebhookResult:
    """A signed body that is not readable JSON: an excerpt is kept for staff."""
    excerpt = payload[:2000].decode("utf-8", errors="replace")
    digest = hashlib.sha256(payload).hexdigest()[:32]
    return _store_failed({"id": f"unreadable_{digest}", "type": "", "created": 0,
                          "unreadable": sanitize(excerpt)[0]}, reason)
