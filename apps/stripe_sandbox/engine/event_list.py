"""GET /v1/events: the events Stripe keeps, newest first, with its filters and pagination."""

from __future__ import annotations

from typing import Any

from apps.stripe_sandbox.engine.core import StripeErrorResponse, not_found
from apps.stripe_sandbox.models import SandboxObject


def list_events(params: dict[str, Any]) -> dict[str, Any]:
    """GET /v1/events: newest first, Stripe's cursor pagination and filters."""
    try:
        limit = max(1, min(100, int(params.get("limit") or 10)))
    except ValueError:
        raise StripeErrorResponse(
            400, "Invalid integer: " + str(params.get("limit")),
            code="parameter_invalid_integer", param="limit",
        ) from None
    types = params.get("types") or ([params["type"]] if params.get("type") else [])
    if isinstance(types, dict):
        types = list(types.values())
    created = params.get("created")
    delivery_success = params.get("delivery_success")
    rows = SandboxObject.objects.filter(kind="event").order_by("-created_at", "-id")
    events = []
    for row in rows.only("data", "meta"):
        event = row.data
        if types and not any(_type_matches(event["type"], pattern) for pattern in types):
            continue
        if created not in (None, "") and not _created_matches(event["created"], created):
            continue
        if delivery_success not in (None, ""):
            wanted = str(delivery_success).lower() == "true"
            if bool(row.meta.get("delivered")) != wanted:
                continue
        events.append(event)
    if params.get("starting_after"):
        ids = [event["id"] for event in events]
        if params["starting_after"] not in ids:
            raise not_found("event", params["starting_after"], param="starting_after")
        events = events[ids.index(params["starting_after"]) + 1 :]
    elif params.get("ending_before"):
        ids = [event["id"] for event in events]
        if params["ending_before"] not in ids:
            raise not_found("event", params["ending_before"], param="ending_before")
        events = events[: ids.index(params["ending_before"])][-limit:]
    return {
        "object": "list",
        "data": events[:limit],
        "has_more": len(events) > limit,
        "url": "/v1/events",
    }


def _type_matches(event_type: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return event_type == pattern


def _created_matches(created: int, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return created == int(condition)
    checks = {
        "gt": lambda bound: created > bound,
        "gte": lambda bound: created >= bound,
        "lt": lambda bound: created < bound,
        "lte": lambda bound: created <= bound,
    }
    return all(checks[key](int(value)) for key, value in condition.items() if key in checks)
