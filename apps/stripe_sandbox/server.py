"""The sandbox's HTTP face: routes Stripe API requests (as the SDK sends them) to the engine.

Handles what api.stripe.com handles around the objects themselves: the Bearer key, form
encoding (`metadata[order_id]=7`, `expand[0]=latest_charge`), `Idempotency-Key` (same key and
same parameters -> the stored answer; other parameters -> 400 idempotency_error; results of
failed validation are not stored), `expand`, and error bodies with the right HTTP status.
Tests can queue faults (rate limit, API error, connection error) with `inject_fault`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction

from apps.stripe_sandbox import contract, engine
from apps.stripe_sandbox.engine import Context, StripeErrorResponse, new_id
from apps.stripe_sandbox.models import SandboxObject, SandboxRequest

Response = tuple[int, dict[str, Any], dict[str, str]]


class SandboxConnectionError(Exception):
    """An injected network failure: the HTTP client turns it into APIConnectionError."""


# --- form decoding ------------------------------------------------------------------------


def decode_params(raw: str | bytes | None) -> dict[str, Any]:
    """Stripe's form encoding back into nested dicts and lists."""
    if not raw:
        return {}
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    root: dict[str, Any] = {}
    for key, value in parse_qsl(raw, keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+|\[\]", key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if part == "[]":
                part = str(len(node))
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        converted = {key: _lists(item) for key, item in value.items()}
        if converted and all(key.isdigit() for key in converted):
            return [converted[key] for key in sorted(converted, key=int)]
        return converted
    return value


# --- faults -------------------------------------------------------------------------------

FAULT_KINDS = {"rate_limit", "api_error", "invalid_request", "authentication", "connection_error"}


def inject_fault(
    *, kind: str, method: str = "POST", path_prefix: str = "/v1/", times: int = 1
) -> None:
    """Make the next `times` matching requests fail like Stripe (or the network) can."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {sorted(FAULT_KINDS)}")
    SandboxObject.objects.create(
        id=new_id("fault"),
        kind="fault",
        data={"kind": kind, "method": method.upper(), "path_prefix": path_prefix,
              "remaining": times},
        created_at=engine._monotonic_now(),
    )


def _take_fault(method: str, path: str) -> str | None:
    with transaction.atomic():
        for row in SandboxObject.objects.select_for_update().filter(kind="fault"):
            fault = row.data
            if fault["method"] == method and path.startswith(fault["path_prefix"]):
                fault["remaining"] -= 1
                if fault["remaining"] <= 0:
                    row.delete()
                else:
                    SandboxObject.objects.filter(pk=row.pk).update(data=fault)
                return fault["kind"]
    return None


def _fault_response(kind: str) -> StripeErrorResponse:
    if kind == "connection_error":
        raise SandboxConnectionError("Connection to the sandbox was reset (injected fault).")
    if kind == "rate_limit":
        return StripeErrorResponse(
            429,
            "Request rate limit exceeded. Learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            code="rate_limit",
        )
    if kind == "api_error":
        return StripeErrorResponse(500, "An unknown error occurred", type="api_error")
    if kind == "authentication":
        return StripeErrorResponse(401, "Invalid API Key provided: sk_test_****")
    return StripeErrorResponse(400, "Invalid request (injected fault).", code="parameter_invalid")


# --- routing ------------------------------------------------------------------------------

Handler = Callable[[Context, re.Match, dict[str, Any]], dict[str, Any]]


def _confirm(ctx: Context, match: re.Match, params: dict[str, Any]) -> dict[str, Any]:
    return engine.confirm_with_params(ctx, match["id"], params)


def _get(kind: str, label: str) -> Handler:
    def handler(ctx: Context, match: re.Match, params: dict[str, Any]) -> dict[str, Any]:
        obj = engine.load(kind, match["id"])
        if obj is None:
            raise engine.not_found(label, match["id"])
        return obj

    return handler


ROUTES: list[tuple[str, re.Pattern, Handler]] = [
    ("POST", re.compile(r"^/v1/payment_intents$"),
     lambda ctx, m, p: engine.create_payment_intent(ctx, p)),
    ("GET", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"),
     lambda ctx, m, p: engine.load_intent(m["id"])),
    ("POST", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)$"),
     lambda ctx, m, p: engine.update_payment_intent(ctx, m["id"], p)),
    ("POST", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)/confirm$"), _confirm),
    ("POST", re.compile(r"^/v1/payment_intents/(?P<id>[^/]+)/cancel$"),
     lambda ctx, m, p: engine.cancel_payment_intent(ctx, m["id"], p)),
    ("GET", re.compile(r"^/v1/charges/(?P<id>[^/]+)$"), _get("charge", "charge")),
    ("GET", re.compile(r"^/v1/payment_methods/(?P<id>[^/]+)$"),
     _get("payment_method", "PaymentMethod")),
    ("POST", re.compile(r"^/v1/refunds$"), lambda ctx, m, p: engine.create_refund(ctx, p)),
    ("GET", re.compile(r"^/v1/refunds/(?P<id>[^/]+)$"), _get("refund", "refund")),
    ("GET", re.compile(r"^/v1/events$"), lambda ctx, m, p: engine.list_events(p)),
    ("GET", re.compile(r"^/v1/events/(?P<id>[^/]+)$"), _get("event", "event")),
]

EXPANDABLE = {"latest_charge", "payment_method", "charge", "payment_intent"}


def _expand(body: dict[str, Any], paths: Any) -> dict[str, Any]:
    if isinstance(paths, str):
        paths = [paths]
    for path in paths or []:
        if path not in EXPANDABLE:
            raise StripeErrorResponse(
                400, f"This property cannot be expanded ({path}).", param="expand"
            )
        value = body.get(path)
        if isinstance(value, str):
            row = SandboxObject.objects.filter(pk=value).first()
            if row is not None:
                body[path] = row.data
    return body


def _headers(request_id: str, status: int, idempotency_key: str | None) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "Request-Id": request_id,
        "Stripe-Version": settings.STRIPE_API_VERSION,
    }
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    if 400 <= status < 500 and status not in (409, 429):
        headers["Stripe-Should-Retry"] = "false"
    return headers


def handle(method: str, url: str, headers: dict[str, str], post_data: Any) -> Response:
    """Answer one API request: (status, JSON body, response headers), and keep it in the
    request log (`SandboxRequest`, in the caller's transaction)."""
    method = method.upper()
    parts = urlsplit(url)
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    entry = SandboxRequest(
        method=method,
        path=parts.path[:255],
        idempotency_key=(lowered.get("idempotency-key") or "")[:255] if method == "POST" else "",
        params=decode_params(post_data if method == "POST" else parts.query),
    )
    try:
        status, body, response_headers = _answer(method, url, headers, post_data)
    except SandboxConnectionError:
        entry.save()
        raise
    entry.status = status
    entry.replayed = response_headers.get("Idempotent-Replayed") == "true"
    entry.request_id = response_headers.get("Request-Id", "")[:64]
    entry.save()
    return status, body, response_headers


def _answer(method: str, url: str, headers: dict[str, str], post_data: Any) -> Response:
    method = method.upper()
    parts = urlsplit(url)
    path = parts.path
    request_id = new_id("req")
    headers = {key.lower(): value for key, value in (headers or {}).items()}
    idempotency_key = headers.get("idempotency-key") if method == "POST" else None

    def error(exc: StripeErrorResponse) -> Response:
        return exc.status, exc.body(), _headers(request_id, exc.status, idempotency_key)

    api_key = headers.get("authorization", "").removeprefix("Bearer ").strip()
    if not api_key.startswith(("sk_test_", "rk_test_")):
        return error(StripeErrorResponse(
            401,
            "Invalid API Key provided. The Stripe sandbox accepts test keys (sk_test_...) only.",
        ))

    fault = _take_fault(method, path)
    if fault is not None:
        return error(_fault_response(fault))

    params = decode_params(post_data if method == "POST" else parts.query)
    # Stripe refuses what its API reference does not describe: so does the sandbox.
    problems = [problem for problem in contract.request_problems(method, path, params)
                if problem.kind != "endpoint"]
    if problems:
        contract.recorded.add(method, path, problems)
        first = problems[0]
        return error(StripeErrorResponse(400, first.message, param=first.param or None, code={
            "unknown_parameter": "parameter_unknown",
            "missing_parameter": "parameter_missing",
        }.get(first.kind, "parameter_invalid")))
    route = next(
        ((handler, match) for route_method, pattern, handler in ROUTES
         if route_method == method and (match := pattern.match(path))),
        None,
    )
    if route is None:
        return error(StripeErrorResponse(
            404,
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
        ))

    handler, match = route
    ctx = Context(request_id=request_id, idempotency_key=idempotency_key)

    def run() -> tuple[int, dict[str, Any]]:
        try:
            body = handler(ctx, match, params)
        except StripeErrorResponse as exc:
            if exc.status == 402:  # a decline: the state change stands, like on Stripe
                return exc.status, exc.body()
            raise
        return 200, _expand(dict(body), params.get("expand"))

    if not idempotency_key:
        try:
            with transaction.atomic():
                status, body = run()
        except StripeErrorResponse as exc:
            return error(exc)
        return status, body, _headers(request_id, status, None)

    scoped = hashlib.sha256(f"{api_key}:{idempotency_key}".encode()).hexdigest()[:40]
    fingerprint = hashlib.sha256(
        json.dumps([method, path, params], sort_keys=True).encode()
    ).hexdigest()
    try:
        with transaction.atomic():
            SandboxObject.objects.create(
                id=f"idem_{scoped}",
                kind="idempotency_key",
                data={"fingerprint": fingerprint, "status": None, "body": None},
                created_at=engine._monotonic_now(),
            )
            status, body = run()
            SandboxObject.objects.filter(pk=f"idem_{scoped}").update(
                data={"fingerprint": fingerprint, "status": status, "body": body}
            )
    except StripeErrorResponse as exc:
        # Failed validation is not stored (nothing ran), as on Stripe.
        return error(exc)
    except IntegrityError:
        stored = SandboxObject.objects.get(pk=f"idem_{scoped}").data
        if stored["fingerprint"] != fingerprint:
            return error(StripeErrorResponse(
                400,
                "Keys for idempotent requests can only be used with the same parameters they "
                f"were first used with. Try using a key other than '{idempotency_key}' if you "
                "meant to execute a different request.",
                type="idempotency_error",
            ))
        if stored["status"] is None:
            return error(StripeErrorResponse(
                409,
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                "going through).",
                code="idempotency_key_in_use",
            ))
        response_headers = _headers(request_id, stored["status"], idempotency_key)
        response_headers["Idempotent-Replayed"] = "true"
        return stored["status"], stored["body"], response_headers
    return status, body, _headers(request_id, status, idempotency_key)
