"""Stripe webhooks: verify the signature, store the event by its Stripe id and queue its
application; the worker applies it.

`process_webhook` is what the HTTP endpoint calls, and what the offline sandbox's signed
deliveries call: the same verification for both. Its answer is Stripe's only concern, so it
does as little as can make the event safe (Stripe's advice: answer fast, work later):

* Bad, missing or stale (> 300 s) signature -> 400, nothing stored.
* `accept_event`: one transaction inserts the event by its unique id and queues its
  application (with the database task backend the task is a row of the same transaction:
  both commit or neither). A redelivery finds the id (in this process without even a
  query) and answers 200 doing nothing; a concurrent one waits on the unique id, fails it
  and answers 200. A database fault here rolls back and answers 500: Stripe retries.
* `apply_stored_event` (the worker's task; inline with the immediate backend): locks the
  event's row, runs its handler (dispatched from an explicit dict; unknown types are
  acknowledged) and marks it processed, all in one transaction, so a late or repeated event
  changes nothing twice. An event from the other Stripe mode (`livemode` not the key's) is
  not applied and the payment it is about is held for staff (services.review).
* Faults are told apart, so one bad event cannot poison anything:
  - permanent (a signed event that can never be applied: JSON nested absurdly deep or not
    JSON at all, NUL characters, missing or ill-typed fields, found before it is queued;
    or any handler error that is not transient): stored, sanitized, as failed with its
    reason, answered 200; staff see it in the admin's Stripe events and re-run it after a
    fix;
  - transient while applying (the database, a lock timeout): rolled back and retried by the
    worker with backoff (STRIPE_EVENT_RETRY_*), or by `reconcile_payments`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from apps.core.retry import backoff
from apps.core.tasks import runs_tasks_now, stores_tasks_in_database
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
    # In JSON a NUL can only be written \u0000 (json.loads refuses a raw one), so an event
    # without that text has none and need not be walked.
    if b"\\u0000" in payload:
        event, had_nul = sanitize(event)
        if had_nul:
            return _store_failed(event, "The event contains NUL characters (stored with U+FFFD).")
    return accept_event(event)


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


def accept_event(event: dict[str, Any]) -> WebhookResult:
    """Store a verified event (or one read from Stripe's API) by its id and queue its
    application, both in one transaction; the worker applies it (`apply_stored_event`).

    200 once the event is stored and queued, or when it was stored before (a redelivery);
    500 with nothing stored when storing or queueing fails (the database, the task table:
    Stripe retries); a signed event that can never be applied is stored as failed for
    staff and answered 200."""
    problem = _envelope_problem(event) or (
        object_problem(event) if event["type"] in EVENT_HANDLERS else ""
    )
    if problem:
        return _store_failed(event, problem)
    if accepted_here.has(event["id"]):
        return WebhookResult(200, "duplicate")
    try:
        with transaction.atomic():
            _store_pending(event)
            detail = _queue_application(event["id"])
            if detail not in ("failed", "retrying"):  # applied now, and that failed
                transaction.on_commit(lambda: accepted_here.add(event["id"]))
    except DeliveredTwice:
        accepted_here.add(event["id"])
        return _redelivered(event["id"])
    except Exception:  # noqa: BLE001 - the event was checked: a fault of ours, or of the database
        logger.exception("Stripe event %s (%s) not stored for now; rolled back for Stripe "
                         "to retry", event["id"], event["type"])
        return WebhookResult(500, "temporary error")
    return WebhookResult(200, detail)


def _redelivered(stripe_event_id: str) -> WebhookResult:
    """A stored event delivered again: nothing to do, unless applying it failed (resent from
    Stripe's Dashboard after a fix, say): then its application is queued again."""
    try:
        failed = StripeEvent.objects.filter(
            stripe_id=stripe_event_id, processed_at__isnull=True
        ).exclude(error="").exists()
        if not failed:
            return WebhookResult(200, "duplicate")
        with transaction.atomic():
            return WebhookResult(200, _queue_application(stripe_event_id))
    except TRANSIENT_ERRORS:
        return WebhookResult(500, "temporary error")


def _store_pending(event: dict[str, Any]) -> StripeEvent:
    """The event's row, not applied yet. A concurrent delivery of the same event that
    inserted first makes this insert wait (PostgreSQL) until that one commits, then fail."""
    try:
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
        raise DeliveredTwice(event["id"]) from None


def _queue_application(stripe_event_id: str) -> str:
    """Queue `apply_stored_event` for the event being stored. A backend whose tasks are rows
    of this database gets the task in the same transaction (the event and its task commit
    together, or neither); the immediate backend applies it here and now (inside a
    savepoint: the event stays stored if applying fails). Any other backend gets it after
    commit. Returns what the answer says: the outcome when applied now, else "queued"."""
    from apps.payments.tasks import apply_stripe_event_task

    backend = apply_stripe_event_task.get_backend()
    if not (stores_tasks_in_database(backend) or runs_tasks_now(backend)):
        transaction.on_commit(lambda: apply_stripe_event_task.enqueue(stripe_event_id))
        return "queued"
    result = apply_stripe_event_task.enqueue(stripe_event_id)
    return result.return_value if result.is_finished and result.return_value else "queued"


def apply_stored_event(*, stripe_event_id: str) -> str:
    """Apply a stored event: its handler and the event's `processed_at`, in one transaction
    that holds the event's row lock (so two workers never apply it at the same time).

    Returns the outcome: "processed", "ignored", "ignored (livemode)", "duplicate" (applied
    before), "retrying" (a transient fault: rolled back, retried with backoff) or "failed"
    (a permanent fault: rolled back, kept for staff with its error)."""
    payload: dict[str, Any] = {}
    try:
        with transaction.atomic():
            stored = StripeEvent.objects.select_for_update().filter(
                stripe_id=stripe_event_id
            ).first()
            if stored is None:
                return "unknown"
            if stored.processed_at is not None:
                return "duplicate"
            payload = stored.payload
            problem = _envelope_problem(payload)  # one stored as unreadable stays so
            if problem:
                raise UnprocessableEvent(problem)
            detail, note = _handle(payload)
            stored.processed_at, stored.error, stored.retry_at = timezone.now(), note, None
            stored.save(update_fields=["processed_at", "error", "retry_at"])
    except TRANSIENT_ERRORS as exc:
        logger.exception("Stripe event %s failed for now; rolled back, to be retried",
                         stripe_event_id)
        accepted_here.discard(stripe_event_id)  # a redelivery may queue it again
        _schedule_retry(stripe_event_id, exc)
        return "retrying"
    except Exception as exc:  # noqa: BLE001 - any other fault is permanent, see the docstring
        logger.exception("Stripe event %s cannot be processed; kept as failed for staff",
                         stripe_event_id)
        accepted_here.discard(stripe_event_id)
        _record_failure(payload or {"id": stripe_event_id, "type": "", "created": 0}, exc)
        return "failed"
    return detail


def _schedule_retry(stripe_event_id: str, exc: Exception) -> None:
    """After a transient fault: the error and the time of the next try on the event's row,
    and a task for then when the backend can wait (else `reconcile_payments` retries it)."""
    from apps.payments.tasks import apply_stripe_event_task

    try:
        with transaction.atomic():
            stored = StripeEvent.objects.select_for_update().get(stripe_id=stripe_event_id)
            if stored.processed_at is not None:
                return
            stored.attempts += 1
            stored.retry_at = timezone.now() + backoff(
                stored.attempts,
                base_seconds=settings.STRIPE_EVENT_RETRY_BACKOFF_SECONDS,
                max_seconds=settings.STRIPE_EVENT_RETRY_MAX_DELAY_SECONDS,
            )
            stored.error = _error_text(exc)
            stored.save(update_fields=["attempts", "retry_at", "error"])
            if apply_stripe_event_task.get_backend().supports_defer:
                run_after = stored.retry_at
                transaction.on_commit(lambda: apply_stripe_event_task.using(
                    run_after=run_after).enqueue(stripe_event_id))
    except Exception:
        logger.exception("Could not schedule the retry of Stripe event %s (the next "
                         "reconcile_payments run retries it)", stripe_event_id)


class DeliveredTwice(Exception):
    """Another delivery of the same event stored it first."""


class AcceptedEvents:
    """The ids of events this process has stored (committed), newest kept: a redelivery is
    answered without a query. Only a shortcut: a process that has not seen an event tries
    to insert it, and the unique id decides."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: dict[str, None] = {}
        self._lock = threading.Lock()

    def has(self, event_id: str) -> bool:
        return event_id in self._ids

    def add(self, event_id: str) -> None:
        with self._lock:
            self._ids[event_id] = None
            while len(self._ids) > self.size:
                del self._ids[next(iter(self._ids))]

    def discard(self, event_id: str) -> None:
        with self._lock:
            self._ids.pop(event_id, None)

    def clear(self) -> None:
        with self._lock:
            self._ids.clear()


accepted_here = AcceptedEvents()


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


def _error_text(exc: Exception) -> str:
    return sanitize("".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000])[0]


def _record_failure(event: dict[str, Any], exc: Exception) -> None:
    """Keep a permanent failure on the event's row for staff (best effort: the database may
    be what failed). No retry is due: staff re-run it after a fix."""
    text = _error_text(exc)
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
                row.error, row.retry_at = text, None
                row.save(update_fields=["error", "retry_at"])
    except Exception:
        logger.exception("Could not record the failure of Stripe event %s", event["id"])


def reprocess_event(*, stripe_event_id: str) -> WebhookResult:
    """Staff: apply a stored event that failed, now (a processed one stays a no-op).
    Raises StripeEvent.DoesNotExist for an id that is not stored."""
    StripeEvent.objects.get(stripe_id=stripe_event_id)
    outcome = apply_stored_event(stripe_event_id=stripe_event_id)
    failed = outcome in ("failed", "retrying")
    return WebhookResult(500 if failed else 200, outcome)


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
