"""Pytest fixtures for tests that talk to Stripe through the offline sandbox (registered by
the root conftest). They speak Stripe's words, so the shop's own tests never name the
sandbox: what the card holder does in Stripe.js, what reached "Stripe", faults Stripe can
answer with."""

from __future__ import annotations

from typing import Any

import pytest

from apps.stripe_sandbox import contract, engine
from apps.stripe_sandbox.events import event_payload
from apps.stripe_sandbox.models import SandboxObject, SandboxRequest
from apps.stripe_sandbox.server import inject_fault
from apps.stripe_sandbox.services import sandbox_complete_3ds, sandbox_confirm


class CardHolder:
    """What the shopper does in Stripe.js (confirm with a test card, answer the bank's 3-D
    Secure challenge); with `committed`, Stripe's webhooks follow as after a real commit."""

    def __init__(self, committed=None):
        self._committed = committed or (lambda fn, *args, **kwargs: fn(*args, **kwargs))

    def confirm(self, payment_intent_id: str, card_number: str,
                three_ds_outcome: str | None = None) -> dict[str, Any]:
        return self._committed(sandbox_confirm, payment_intent_id, card_number,
                               three_ds_outcome)

    def complete_3ds(self, payment_intent_id: str, outcome: str) -> dict[str, Any]:
        return self._committed(sandbox_complete_3ds, payment_intent_id, outcome)

    def intent(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as Stripe has it now."""
        return engine.load_intent(payment_intent_id)


class StripeLog:
    """What reached "Stripe": its request log and the objects and events it keeps."""

    requests = SandboxRequest.objects
    objects = SandboxObject.objects

    @staticmethod
    def events(event_type: str | None = None) -> list[dict[str, Any]]:
        rows = SandboxObject.objects.filter(kind="event").order_by("created_at")
        if event_type:
            rows = rows.filter(data__type=event_type)
        return [row.data for row in rows]

    @staticmethod
    def event_body(event_id: str) -> str:
        """The JSON Stripe would POST for this event."""
        return event_payload(event_id)


@pytest.fixture
def card_holder(committed) -> CardHolder:
    return CardHolder(committed)


@pytest.fixture
def card_holder_now() -> CardHolder:
    """The same, without capturing on-commit work (transactional tests commit for real)."""
    return CardHolder()


@pytest.fixture
def stripe_log() -> StripeLog:
    return StripeLog()


@pytest.fixture
def stripe_faults():
    """stripe_faults(kind="rate_limit" | "api_error" | "connection_error" | ...,
    method="POST", path_prefix="/v1/", times=1): Stripe (or the network) fails that way."""
    return inject_fault


@pytest.fixture(autouse=True)
def _stripe_contract(request):
    """Every request the test sends to Stripe keeps Stripe's contract (contract.py): its
    parameters as the SDK types them, the pinned API version, our idempotency key on every
    change. A test about a broken request takes what it expects with
    `contract.recorded.take()`."""
    contract.recorded.take()
    yield
    broken = contract.recorded.take()
    if broken:
        pytest.fail("Requests to Stripe broke its contract:\n" + "\n".join(
            f"  {method} {path}: {problem}" for method, path, problem in broken
        ), pytrace=False)
