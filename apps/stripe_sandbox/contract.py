"""Every API request the shop sends, held to Stripe's published contract: the stripe SDK's own
typed description of each endpoint's parameters (`stripe.params.*Params`, TypedDicts with
nested TypedDicts), the pinned API version, and an idempotency key of ours on every request
that changes something.

The sandbox checks each request it receives (`request_problems`) and answers a violation of
the parameters the way Stripe does (400 `invalid_request_error`, "Received unknown
parameter: …"); its HTTP client (the SDK's `http_client` hook) also checks the headers and
keeps every problem in `recorded`, which the test plugin (apps.stripe_sandbox.testing)
turns into a failure of the test that sent the request.

Written here because no library validates form-encoded Stripe requests against the SDK's
TypedDicts; it reads them, it does not restate them.
"""

from __future__ import annotations

import builtins
import re
import threading
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ForwardRef, Literal, Union

import stripe
import typing_extensions
from django.conf import settings
from typing_extensions import NotRequired, Required  # noqa: UP035 - the SDK uses these

# (method, path pattern) -> the SDK's params TypedDict for that endpoint: every endpoint the
# sandbox serves, which is every endpoint the shop's gateway calls.
ENDPOINTS: list[tuple[str, re.Pattern, str]] = [
    ("POST", re.compile(r"^/v1/payment_intents$"), "PaymentIntentCreateParams"),
    ("GET", re.compile(r"^/v1/payment_intents/[^/]+$"), "PaymentIntentRetrieveParams"),
    ("POST", re.compile(r"^/v1/payment_intents/[^/]+$"), "PaymentIntentUpdateParams"),
    ("POST", re.compile(r"^/v1/payment_intents/[^/]+/confirm$"), "PaymentIntentConfirmParams"),
    ("POST", re.compile(r"^/v1/payment_intents/[^/]+/cancel$"), "PaymentIntentCancelParams"),
    ("GET", re.compile(r"^/v1/charges/[^/]+$"), "ChargeRetrieveParams"),
    ("GET", re.compile(r"^/v1/payment_methods/[^/]+$"), "PaymentMethodRetrieveParams"),
    ("POST", re.compile(r"^/v1/refunds$"), "RefundCreateParams"),
    ("GET", re.compile(r"^/v1/refunds/[^/]+$"), "RefundRetrieveParams"),
    ("GET", re.compile(r"^/v1/events$"), "EventListParams"),
    ("GET", re.compile(r"^/v1/events/[^/]+$"), "EventRetrieveParams"),
]

# The SDK's own idempotency keys (16 random bytes shaped like a UUID, added to every POST
# that has none) are not ours: a retry by a task or a second click would make a second
# object.
_SDK_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class Problem:
    """One way a request breaks the contract: `param` is Stripe's dotted name (a[b][0])."""

    kind: str  # "unknown_parameter" | "invalid_type" | "missing_parameter" | "header" | "endpoint"
    param: str
    message: str

    def __str__(self) -> str:
        return self.message


def params_class(method: str, path: str) -> type | None:
    for endpoint_method, pattern, name in ENDPOINTS:
        if endpoint_method == method.upper() and pattern.match(path):
            return getattr(stripe.params, name)
    return None


def request_problems(method: str, path: str, params: dict[str, Any]) -> list[Problem]:
    """What is wrong with a request's parameters (decoded from Stripe's form encoding into
    nested dicts and lists), in Stripe's words."""
    typed = params_class(method, path)
    if typed is None:
        return [Problem("endpoint", "", f"Unrecognized request URL ({method}: {path}).")]
    return _typed_dict(params, typed, "")


def header_problems(method: str, headers: dict[str, str]) -> list[Problem]:
    lowered = {key.lower(): value for key, value in headers.items()}
    problems = []
    version = lowered.get("stripe-version")
    if version != settings.STRIPE_API_VERSION:
        problems.append(Problem("header", "Stripe-Version",
                                f"Stripe-Version is {version!r}, not the pinned "
                                f"{settings.STRIPE_API_VERSION!r}."))
    if method.upper() in ("POST", "DELETE"):
        key = lowered.get("idempotency-key", "")
        if not key:
            problems.append(Problem("header", "Idempotency-Key",
                                    f"A {method.upper()} without an Idempotency-Key."))
        elif _SDK_KEY.match(key):
            problems.append(Problem("header", "Idempotency-Key",
                                    f"A {method.upper()} with the SDK's random idempotency "
                                    f"key {key}, not one derived from our ids."))
    return problems


# --- recording (the SDK's http_client hook) --------------------------------------------------


class Recorder:
    """Problems seen in requests since the last `take()`; the test plugin fails the test
    that sent them. Bounded, so a long-running sandbox (make run) does not grow."""

    def __init__(self, size: int = 200) -> None:
        self.size = size
        self._items: list[tuple[str, str, Problem]] = []
        self._lock = threading.Lock()

    def add(self, method: str, path: str, problems: Iterable[Problem]) -> None:
        with self._lock:
            self._items.extend((method, path, problem) for problem in problems)
            del self._items[: -self.size]

    def take(self) -> list[tuple[str, str, Problem]]:
        with self._lock:
            items, self._items = self._items, []
        return items


recorded = Recorder()


# --- reading the SDK's TypedDicts -------------------------------------------------------------


class _Names(dict):
    """Names a forward reference may use: the module's, typing's, and Any for the few the
    SDK only imports for type checkers (they are all objects or strings)."""

    def __init__(self, module_globals: dict[str, Any]):
        super().__init__(module_globals)
        self.update({name: getattr(typing, name) for name in
                     ("Dict", "List", "Literal", "Optional", "Union", "Any")})

    def __missing__(self, name: str) -> Any:
        if hasattr(builtins, name):
            return getattr(builtins, name)
        return _Anything


class _Anything:
    """A name the SDK imports only for type checkers: accepted as it comes."""

    def __class_getitem__(cls, item):
        return cls


def _resolve(annotation: Any, owner: type) -> Any:
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        module = __import__(owner.__module__, fromlist=["_"])
        return eval(annotation.__forward_arg__, {}, _Names(vars(module)))  # noqa: S307 - the SDK's own annotations
    return annotation


def _fields(typed: type) -> dict[str, tuple[Any, bool]]:
    """name -> (annotation, required) of a TypedDict, its bases included."""
    fields: dict[str, tuple[Any, bool]] = {}
    for klass in reversed(typed.__mro__):
        for name, raw in getattr(klass, "__annotations__", {}).items():
            annotation = _resolve(raw, klass)
            required = getattr(klass, "__total__", True)
            origin = typing.get_origin(annotation)
            if origin is NotRequired:
                required, annotation = False, typing.get_args(annotation)[0]
            elif origin is Required:
                required, annotation = True, typing.get_args(annotation)[0]
            fields[name] = (_resolve(annotation, klass), required)
    return fields


def _is_typed_dict(annotation: Any) -> bool:
    return isinstance(annotation, type) and typing_extensions.is_typeddict(annotation)


def _typed_dict(value: Any, typed: type, prefix: str) -> list[Problem]:
    if not isinstance(value, dict):
        return [Problem("invalid_type", prefix, f"Invalid object: {prefix} must be a hash.")]
    fields = _fields(typed)
    problems = []
    for name, item in value.items():
        param = f"{prefix}[{name}]" if prefix else name
        if name not in fields:
            problems.append(Problem("unknown_parameter", param,
                                    f"Received unknown parameter: {param}"))
            continue
        problems += _check(item, fields[name][0], param)
    for name, (_annotation, required) in fields.items():
        if required and name not in value:
            param = f"{prefix}[{name}]" if prefix else name
            problems.append(Problem("missing_parameter", param,
                                    f"Missing required param: {param}."))
    return problems


def _check(value: Any, annotation: Any, param: str) -> list[Problem]:
    """Problems of one form-encoded value (a string, or nested dicts and lists) against its
    annotation."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return []
    if origin in (Union, getattr(__import__("types"), "UnionType", Union)):
        results = [_check(value, option, param) for option in args]
        if any(not result for result in results):
            return []
        return [Problem("invalid_type", param,
                        f"Invalid value for {param}: {_shown(value)} is none of "
                        f"{_names(args)}.")]
    if origin is Literal:
        allowed = [_form(option) for option in args]
        if isinstance(value, str) and value in allowed:
            return []
        return [Problem("invalid_type", param, f"Invalid {param}: must be one of "
                                               f"{', '.join(allowed)}; got {_shown(value)}.")]
    if origin is list:
        if not isinstance(value, list):
            return [Problem("invalid_type", param, f"Invalid array: {param} must be a list.")]
        problems = []
        for index, item in enumerate(value):
            problems += _check(item, args[0] if args else Any, f"{param}[{index}]")
        return problems
    if origin is dict or (
        isinstance(origin, type) and issubclass(origin, stripe.StripeObject)
    ):  # UntypedStripeObject[str]: a free-form hash (metadata)
        if not isinstance(value, dict):
            return [Problem("invalid_type", param, f"Invalid object: {param} must be a hash.")]
        item_type = args[-1] if args else Any  # Dict[str, V], UntypedStripeObject[V]
        problems = []
        for key, item in value.items():
            problems += _check(item, item_type, f"{param}[{key}]")
        return problems
    if _is_typed_dict(annotation):
        return _typed_dict(value, annotation, param)
    if annotation is bool:
        ok = value in ("true", "false")
        return [] if ok else [Problem("invalid_type", param,
                                      f"Invalid boolean: {_shown(value)} for {param}.")]
    if annotation is int:
        ok = isinstance(value, str) and bool(_INTEGER.match(value))
        return [] if ok else [Problem("invalid_type", param,
                                      f"Invalid integer: {_shown(value)} for {param}.")]
    if annotation is float:
        ok = isinstance(value, str) and bool(_NUMBER.match(value))
        return [] if ok else [Problem("invalid_type", param,
                                      f"Invalid number: {_shown(value)} for {param}.")]
    if annotation is str:
        ok = isinstance(value, str)
        return [] if ok else [Problem("invalid_type", param,
                                      f"Invalid string: {param} must be a string.")]
    return []  # a type the contract does not describe further


def _form(literal: Any) -> str:
    """How the SDK form-encodes a literal."""
    if isinstance(literal, bool):
        return "true" if literal else "false"
    return str(literal)


def _shown(value: Any) -> str:
    return repr(value) if not isinstance(value, (dict, list)) else type(value).__name__


def _names(options: tuple) -> str:
    return ", ".join(getattr(option, "__name__", str(option)) for option in options)
