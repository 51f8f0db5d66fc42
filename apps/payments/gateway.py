"""The one module that talks to Stripe.

Every call goes through `stripe.StripeClient` with the secret key, the pinned API version,
timeouts and `max_network_retries`; every POST carries an idempotency key derived from our
own ids, so a retried request (by the SDK, a task or a shopper's double click) is executed
once by Stripe. Amounts cross this boundary as integer minor units converted by
`apps.core.money`. Stripe objects come back as plain dicts, errors as the exceptions below.

The SDK's HTTP client is the class `settings.STRIPE_HTTP_CLIENT` names (an import path):
`stripe.RequestsClient` in production; in development and tests the offline sandbox's client
(a separate app, installed only then), so everything above the HTTP layer is the code
production runs, and production never imports the sandbox.

Never call these functions inside `transaction.atomic()` or while holding row locks.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from django.utils.module_loading import import_string

from apps.core.money import to_minor_units
from apps.payments import messages

logger = logging.getLogger(__name__)
# One line per Stripe call (production's JSON logs, LOG_EVENTS): see _logging_calls.
call_logger = logging.getLogger("shop.stripe")

# --- errors -------------------------------------------------------------------------------


class PaymentGatewayError(Exception):
    """Stripe refused or could not be reached. `user_message` is for the shopper (already
    translated when read); the order stays payable."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        user_message: str | None = None,
        code: str | None = None,
        decline_code: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        payment_intent: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self._user_message = user_message
        self.code = code
        self.decline_code = decline_code
        self.http_status = http_status
        self.request_id = request_id
        self.payment_intent = payment_intent

    @property
    def user_message(self) -> str:
        return str(self._user_message or messages.PAYMENT_UNAVAILABLE)


def _stripe_amount(amount: Decimal, currency: str) -> int:
    """Minor units for Stripe; an amount Stripe cannot take (too many decimals, or a
    three-decimal amount not in steps of 0.010) is refused like Stripe would refuse it."""
    try:
        return to_minor_units(amount, currency)
    except ValueError as exc:
        raise GatewayRejected(str(exc), code="amount_invalid") from exc


class CardDeclined(PaymentGatewayError):
    """The card was declined (or failed authentication): the shopper can try another."""

    @property
    def user_message(self) -> str:
        return messages.failure_message(self.code, self.decline_code)


class GatewayUnavailable(PaymentGatewayError):
    """Network trouble, a rate limit or a Stripe outage, after the SDK's own retries."""

    retryable = True

    @property
    def user_message(self) -> str:
        return str(messages.TRY_AGAIN_LATER)


class GatewayRejected(PaymentGatewayError):
    """Stripe refused the request as invalid (bad parameter, wrong state, unknown id,
    wrong key). A bug or a configuration problem: logged with Stripe's request id."""


def _translate(exc: stripe.StripeError) -> PaymentGatewayError:
    error = getattr(exc, "error", None)
    code = getattr(exc, "code", None) or getattr(error, "code", None)
    decline_code = getattr(error, "decline_code", None)
    payment_intent = None
    if isinstance(exc.json_body, dict):
        raw = exc.json_body.get("error") or {}
        decline_code = decline_code or raw.get("decline_code")
        payment_intent = raw.get("payment_intent")
    kwargs = dict(
        code=code,
        decline_code=decline_code,
        http_status=exc.http_status,
        request_id=exc.request_id,
        payment_intent=payment_intent,
    )
    text = f"{type(exc).__name__}: {exc.user_message or exc}"
    if isinstance(exc, stripe.CardError):
        return CardDeclined(text, **kwargs)
    if isinstance(exc, stripe.RateLimitError | stripe.APIConnectionError):
        return GatewayUnavailable(text, **kwargs)
    if isinstance(exc, stripe.APIError) or (exc.http_status or 0) >= 500:
        return GatewayUnavailable(text, **kwargs)
    return GatewayRejected(text, **kwargs)


def _call(description: str, fn, *args, **kwargs) -> dict[str, Any]:
    try:
        result = fn(*args, **kwargs)
    except stripe.StripeError as exc:
        translated = _translate(exc)
        log = logger.warning if isinstance(translated, CardDeclined) else logger.error
        log("Stripe %s failed: %s (request %s)", description, translated, exc.request_id)
        raise translated from exc
    return result.to_dict(for_json=True)


# --- client -------------------------------------------------------------------------------


def secret_key() -> str:
    if not settings.STRIPE_SECRET_KEY:
        raise ImproperlyConfigured("STRIPE_SECRET_KEY is empty.")
    return settings.STRIPE_SECRET_KEY


def livemode() -> bool:
    """Whether the shop's key is a live one. Stripe objects and events carry `livemode`; one
    from the other mode is never applied (the sandbox's key is a test key)."""
    return settings.STRIPE_SECRET_KEY.startswith(("sk_live_", "rk_live_"))


def mode() -> str:
    """"sandbox" (the offline stand-in), "test" or "live": what ops may see, never a key."""
    if settings.STRIPE_SANDBOX:
        return "sandbox"
    return "live" if livemode() else "test"


def publishable_key() -> str:
    return settings.STRIPE_PUBLISHABLE_KEY


def stripe_js_url() -> str:
    """Where the payment page loads Stripe.js from: Stripe's URL, or a static file (the
    offline stand-in, which offers the same API)."""
    url = settings.STRIPE_JS_URL
    return url if url.startswith(("https://", "http://")) else static(url)


def get_client() -> stripe.StripeClient:
    return _client(
        secret_key(),
        settings.STRIPE_HTTP_CLIENT,
        settings.STRIPE_API_VERSION,
        settings.STRIPE_MAX_NETWORK_RETRIES,
        settings.STRIPE_CONNECT_TIMEOUT,
        settings.STRIPE_READ_TIMEOUT,
    )


@functools.lru_cache(maxsize=4)
def _client(
    api_key: str,
    http_client_path: str,
    api_version: str,
    max_network_retries: int,
    connect_timeout: float,
    read_timeout: float,
) -> stripe.StripeClient:
    http_client_class = _logging_calls(import_string(http_client_path))
    return stripe.StripeClient(
        api_key,
        stripe_version=api_version,
        max_network_retries=max_network_retries,
        http_client=http_client_class(timeout=(connect_timeout, read_timeout)),
    )


@functools.cache
def _logging_calls(http_client_class: type[stripe.HTTPClient]) -> type[stripe.HTTPClient]:
    """The SDK's HTTP client, logging one line per Stripe call (its retries included): the
    method, the path (never the query string, the body or a header: no key, no client
    secret), the status, the time taken and Stripe's request id. The log filter adds the id
    of the shop's request or the task that made the call (apps.core.logging)."""

    class LoggingCalls(http_client_class):
        def request_with_retries(self, method, url, *args, **kwargs):
            started = time.monotonic()
            status = headers = None
            try:
                content, status, headers = super().request_with_retries(
                    method, url, *args, **kwargs)
                return content, status, headers
            finally:
                if call_logger.isEnabledFor(logging.INFO):
                    path = urlsplit(url).path
                    call_logger.info(
                        "Stripe %s %s -> %s", method.upper(), path, status or "no answer",
                        extra={"method": method.upper(), "path": path, "status": status,
                               "duration_ms": round((time.monotonic() - started) * 1000, 1),
                               "stripe_request_id": (headers or {}).get("Request-Id")},
                    )

    LoggingCalls.__name__ = LoggingCalls.__qualname__ = f"LoggingCalls{http_client_class.__name__}"
    return LoggingCalls


# --- idempotency keys: derived from our ids, never random --------------------------------
# The one home of every key the shop sends: a retried request (by the SDK, a task, a
# shopper's double click, a resubmitted staff form) reuses its key, so Stripe acts once.


def payment_intent_key(*, order_public_id: Any, sequence: int) -> str:
    return f"order-{order_public_id}-pi-{sequence}"


def cancel_key(*, order_public_id: Any, sequence: int) -> str:
    return f"{payment_intent_key(order_public_id=order_public_id, sequence=sequence)}-cancel"


def refund_key(*, order_public_id: Any, sequence: int, suffix: str) -> str:
    """`suffix`: "auto" for the shop's own refund of a payment, "staff-<form key>" for a
    staff refund (the refund form's own key)."""
    base = payment_intent_key(order_public_id=order_public_id, sequence=sequence)
    return f"{base}-refund-{suffix}"[:255]


# --- calls --------------------------------------------------------------------------------


def create_payment_intent(
    *,
    amount: Decimal,
    currency: str,
    order_id: int,
    order_number: str,
    order_public_id: Any,
    sequence: int,
    description: str,
) -> dict[str, Any]:
    """A PaymentIntent for an order's server-computed total (card and whatever payment
    methods the Dashboard enables)."""
    params = {
        "amount": _stripe_amount(amount, currency),
        "currency": currency.lower(),
        "automatic_payment_methods": {"enabled": True},
        "description": description,
        "metadata": {
            "order_id": str(order_id),
            "order_number": order_number,
            "order_public_id": str(order_public_id),
            "payment_sequence": str(sequence),
        },
    }
    key = payment_intent_key(order_public_id=order_public_id, sequence=sequence)
    return _call(
        "PaymentIntent create",
        get_client().v1.payment_intents.create,
        params,
        {"idempotency_key": key},
    )


def retrieve_payment_intent(
    *, payment_intent_id: str, expand: Sequence[str] = ("latest_charge",)
) -> dict[str, Any]:
    params = {"expand": list(expand)} if expand else None
    return _call(
        "PaymentIntent retrieve",
        get_client().v1.payment_intents.retrieve,
        payment_intent_id,
        params,
    )


def cancel_payment_intent(
    *, payment_intent_id: str, idempotency_key: str, reason: str = "abandoned"
) -> dict[str, Any]:
    return _call(
        "PaymentIntent cancel",
        get_client().v1.payment_intents.cancel,
        payment_intent_id,
        {"cancellation_reason": reason},
        {"idempotency_key": idempotency_key},
    )


def confirm_payment_intent(
    *, payment_intent_id: str, payment_method: str, return_url: str, idempotency_key: str
) -> dict[str, Any]:
    """Server-side confirmation (the shop confirms in the browser with Stripe.js; this is for
    tests and staff tools)."""
    return _call(
        "PaymentIntent confirm",
        get_client().v1.payment_intents.confirm,
        payment_intent_id,
        {"payment_method": payment_method, "return_url": return_url},
        {"idempotency_key": idempotency_key},
    )


def create_refund(
    *,
    payment_intent_id: str,
    amount: Decimal,
    currency: str,
    idempotency_key: str,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "payment_intent": payment_intent_id,
        "amount": _stripe_amount(amount, currency),
        "metadata": metadata or {},
    }
    if reason:
        params["reason"] = reason
    return _call(
        "Refund create",
        get_client().v1.refunds.create,
        params,
        {"idempotency_key": idempotency_key},
    )


def list_events(
    *,
    created_gte: int | None = None,
    types: Sequence[str] = (),
    delivery_success: bool | None = None,
    page_size: int = 100,
) -> Iterator[dict[str, Any]]:
    """Events Stripe still keeps (30 days), newest first, page by page."""
    params: dict[str, Any] = {"limit": page_size}
    if created_gte is not None:
        params["created"] = {"gte": created_gte}
    if types:
        params["types"] = list(types)
    if delivery_success is not None:
        params["delivery_success"] = delivery_success
    while True:
        page = _call("Event list", get_client().v1.events.list, dict(params))
        yield from page["data"]
        if not page.get("has_more") or not page["data"]:
            return
        params["starting_after"] = page["data"][-1]["id"]
