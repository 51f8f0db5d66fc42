"""What every sandbox object shares: Stripe's error answers and ids, the storage of objects in
the database, the events a change emits, and the checks Stripe makes on parameters."""

from __future__ import annotations

import copy
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

from apps.stripe_sandbox.models import SandboxObject

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
    from apps.stripe_sandbox.tasks import deliver_sandbox_event

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
