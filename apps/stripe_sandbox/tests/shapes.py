"""Is an object shaped as Stripe's? Held to two published descriptions of Stripe's objects:
its example objects (`stripe_examples.json`, copied from Stripe's fixtures3.json) and the
stripe SDK's typed resource classes (`stripe.PaymentIntent.__annotations__`, nested classes
included).

- A key Stripe's example has may not be missing (the example is the object as the API
  version sends it).
- A key neither the example nor the SDK knows is invented.
- A value has the type the SDK gives it (or, for a key the SDK does not type, the type of
  the example's value); null only where the SDK says Optional (or the example shows null).
"""

from __future__ import annotations

import json
import sys
import types
import typing
from pathlib import Path
from typing import Any, ForwardRef, Literal, Union

import stripe
from stripe import StripeObject

EXAMPLES: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).with_name("stripe_examples.json")).read_text()
)

RESOURCES: dict[str, type] = {
    "payment_intent": stripe.PaymentIntent,
    "charge": stripe.Charge,
    "refund": stripe.Refund,
    "dispute": stripe.Dispute,
    "event": stripe.Event,
    "payment_method": stripe.PaymentMethod,
    "balance_transaction": stripe.BalanceTransaction,
}

_MISSING = object()


def shape_problems(obj: Any, kind: str | None = None, where: str = "") -> list[str]:
    """Everything about `obj` (a decoded JSON object) that Stripe's own object of that type
    (its `object` field, or `kind`) would not have."""
    kind = kind or (obj.get("object") if isinstance(obj, dict) else None)
    if kind not in RESOURCES:
        return [f"{where or '<root>'}: no Stripe example for object {kind!r}"]
    return _object(obj, RESOURCES[kind], EXAMPLES.get(kind), where or kind)


def _annotations(klass: type) -> dict[str, Any]:
    hints: dict[str, Any] = {}
    for base in reversed(klass.__mro__):
        for name, annotation in vars(base).get("__annotations__", {}).items():
            if typing.get_origin(annotation) is typing.ClassVar or name.startswith("_"):
                continue
            hints[name] = annotation
    return hints


def _resolve(annotation: Any) -> Any:
    """A forward reference ("Charge") is the SDK class of that name: a public one, or one of
    its modules' own (CardResource)."""
    if isinstance(annotation, str):
        annotation = ForwardRef(annotation)
    if isinstance(annotation, ForwardRef):
        name = annotation.__forward_arg__
        found = getattr(stripe, name, None)
        if found is None:
            found = next((vars(module)[name] for module_name, module in list(sys.modules.items())
                          if module_name.startswith("stripe.") and name in vars(module)), Any)
        return found
    return annotation


def _object(obj: Any, klass: type, example: Any, where: str) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: {type(obj).__name__} where Stripe has an object"]
    hints = _annotations(klass)
    example = example if isinstance(example, dict) else {}
    problems = [f"{where}.{key}: missing (Stripe's example has it)"
                for key in example if key not in obj]
    for key, value in obj.items():
        path = f"{where}.{key}"
        annotation = hints.get(key, _MISSING)
        example_value = example.get(key, _MISSING)
        if annotation is _MISSING and example_value is _MISSING:
            problems.append(f"{path}: invented (neither Stripe's example nor the SDK has it)")
            continue
        if annotation is _MISSING:
            problems += _like_example(value, example_value, path)
        else:
            problems += _typed(value, _resolve(annotation), example_value, path)
    return problems


def _like_example(value: Any, example: Any, path: str) -> list[str]:
    if example is None or value is None:
        return [] if example is None else [f"{path}: null where Stripe's example has a value"]
    if isinstance(example, bool) or isinstance(value, bool):
        ok = isinstance(example, bool) and isinstance(value, bool)
    elif isinstance(example, (int, float)):
        ok = isinstance(value, (int, float))
    else:
        ok = isinstance(value, type(example))
    return [] if ok else [f"{path}: {type(value).__name__}, Stripe's example has "
                          f"{type(example).__name__}"]


def _typed(value: Any, annotation: Any, example: Any, path: str) -> list[str]:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return []
    if origin in (Union, types.UnionType):
        if value is None:
            return [] if type(None) in args else [f"{path}: null where Stripe never sends null"]
        options = [_resolve(option) for option in args if option is not type(None)]
        if isinstance(value, dict):  # an expanded object, not its id
            options = [option for option in options if option not in (str, int, float, bool)
                       and typing.get_origin(option) is not Literal] or options
        results = [_typed(value, option, example, path) for option in options]
        if any(not result for result in results):
            return []
        return min(results, key=len)
    if value is None:
        return [f"{path}: null where Stripe never sends null"]
    if origin is Literal:
        return [] if value in args else [f"{path}: {value!r} is not one of {list(args)}"]
    if origin is list:
        if not isinstance(value, list):
            return [f"{path}: {type(value).__name__} where Stripe has a list"]
        item_example = example[0] if isinstance(example, list) and example else _MISSING
        problems = []
        for index, item in enumerate(value):
            problems += _typed(item, _resolve(args[0]) if args else Any, item_example,
                               f"{path}[{index}]")
        return problems
    if origin is dict or (
        isinstance(origin, type) and issubclass(origin, StripeObject)
        and not issubclass(origin, stripe.ListObject)
    ):
        if not isinstance(value, dict):
            return [f"{path}: {type(value).__name__} where Stripe has a hash"]
        problems = []
        for key, item in value.items():
            problems += _typed(item, _resolve(args[-1]) if args else Any, _MISSING,
                               f"{path}.{key}")
        return problems
    if origin is not None and isinstance(origin, type) and issubclass(origin, stripe.ListObject):
        if not isinstance(value, dict) or value.get("object") != "list":
            return [f"{path}: not a list object"]
        problems = [f"{path}.{key}: missing" for key in ("data", "has_more", "url")
                    if key not in value]
        for index, item in enumerate(value.get("data", [])):
            problems += _typed(item, _resolve(args[0]), _MISSING, f"{path}.data[{index}]")
        return problems
    if isinstance(annotation, type) and issubclass(annotation, StripeObject):
        kind = next((name for name, klass in RESOURCES.items() if klass is annotation), None)
        nested_example = example if isinstance(example, dict) else EXAMPLES.get(kind or "")
        return _object(value, annotation, nested_example, path)
    if annotation is bool:
        ok = isinstance(value, bool)
    elif annotation is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif annotation is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif annotation is str:
        ok = isinstance(value, str)
    else:
        return []  # a type the SDK does not describe further
    return [] if ok else [f"{path}: {type(value).__name__} where Stripe has "
                          f"{annotation.__name__}"]
