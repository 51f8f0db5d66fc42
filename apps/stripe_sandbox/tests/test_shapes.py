"""Everything the sandbox returns or sends in an event has the shape of Stripe's own objects
(shapes.py: Stripe's example objects and the SDK's typed resources), and its webhook events
have Stripe's envelope. Each flow the shop takes through Stripe runs once, through the
gateway and the card holder's steps, and every object it leaves is checked."""

import copy
import json
from decimal import Decimal

import pytest
from django.conf import settings

from apps.payments import gateway
from apps.payments import stripe_test_cards as cards
from apps.stripe_sandbox.events import event_payload
from apps.stripe_sandbox.models import SandboxObject
from apps.stripe_sandbox.tests.shapes import EXAMPLES, RESOURCES, shape_problems

pytestmark = pytest.mark.django_db

ENVELOPE = {"id", "object", "api_version", "created", "data", "livemode", "pending_webhooks",
            "request", "type"}
# The sandbox's own bookkeeping (stored idempotent answers), not an API object.
INTERNAL_KINDS = {"idempotency_key"}


@pytest.fixture
def produced(card_holder, committed):
    """Every flow the shop takes through Stripe, once; returns the API answers received."""
    sequence = iter(range(1, 100))

    def new_intent():
        return gateway.create_payment_intent(
            amount=Decimal("57.50"), currency="SAR", order_id=7, order_number="GE-2026-000007",
            order_public_id="5b0f4f8e", sequence=next(sequence), description="Order GE-2026-000007",
        )

    def refund(intent, amount, key):
        return committed(gateway.create_refund, payment_intent_id=intent["id"],
                         amount=Decimal(amount), currency="SAR", idempotency_key=key,
                         reason="requested_by_customer", metadata={"refund": key})

    answers = []
    paid = new_intent()
    answers.append(paid)
    card_holder.confirm(paid["id"], cards.DECLINED)  # declined, then paid
    card_holder.confirm(paid["id"], cards.SUCCEEDS)
    answers.append(refund(paid, "10.00", "partial"))  # settled by the network, then the rest
    answers.append(refund(paid, "47.50", "rest"))

    poor = new_intent()
    card_holder.confirm(poor["id"], cards.INSUFFICIENT_FUNDS)
    answers.append(gateway.cancel_payment_intent(payment_intent_id=poor["id"],
                                                 idempotency_key="cancel-poor"))

    for outcome in ("approve", "fail"):
        checked = new_intent()
        card_holder.confirm(checked["id"], cards.THREE_D_SECURE)
        card_holder.complete_3ds(checked["id"], outcome)

    refund_fails = new_intent()
    card_holder.confirm(refund_fails["id"], cards.REFUND_FAILS)
    answers.append(refund(refund_fails, "57.50", "fails"))

    disputed = new_intent()
    answers.append(gateway.confirm_payment_intent(
        payment_intent_id=disputed["id"], payment_method="pm_card_createDispute",
        return_url="https://shop.example/return", idempotency_key="confirm-disputed"))

    for intent in (paid, poor, disputed):
        answers.append(gateway.retrieve_payment_intent(payment_intent_id=intent["id"]))
    answers += list(gateway.list_events(page_size=5))
    return answers


def test_stripes_own_examples_pass_the_check():
    for kind in RESOURCES:
        assert shape_problems(EXAMPLES[kind], kind) == []


@pytest.mark.parametrize(("change", "problem"), [
    (lambda intent: intent.pop("latest_charge"),
     "payment_intent.latest_charge: missing (Stripe's example has it)"),
    (lambda intent: intent.update(order_number="GE-1"),
     "payment_intent.order_number: invented (neither Stripe's example nor the SDK has it)"),
    (lambda intent: intent.update(amount=None),
     "payment_intent.amount: null where Stripe never sends null"),
    (lambda intent: intent.update(amount="57.50"),
     "payment_intent.amount: str where Stripe has int"),
    (lambda intent: intent.update(metadata={"order": 7}),
     "payment_intent.metadata.order: int where Stripe has str"),
    (lambda intent: intent["automatic_payment_methods"].update(enabled="yes"),
     "payment_intent.automatic_payment_methods.enabled: str where Stripe has bool"),
])
def test_the_check_finds_what_stripe_would_not_send(change, problem):
    intent = copy.deepcopy(EXAMPLES["payment_intent"])
    change(intent)
    assert shape_problems(intent) == [problem]


def test_the_flows_produce_every_type_of_object(produced):
    kinds = set(SandboxObject.objects.values_list("kind", flat=True)) - INTERNAL_KINDS
    assert kinds == {"payment_intent", "charge", "refund", "dispute", "payment_method", "event"}
    assert kinds <= set(RESOURCES)


@pytest.mark.parametrize("kind", ["payment_intent", "charge", "refund", "dispute",
                                  "payment_method", "event"])
def test_every_stored_object_is_shaped_as_stripes(produced, kind):
    rows = SandboxObject.objects.filter(kind=kind)
    assert rows.exists()
    for row in rows:
        assert shape_problems(row.data, kind) == [], row.data


def test_every_object_sent_in_an_event_is_shaped_as_stripes(produced):
    events = [row.data for row in SandboxObject.objects.filter(kind="event")]
    sent = {event["data"]["object"]["object"] for event in events}
    assert sent == {"payment_intent", "charge", "refund", "dispute"}
    for event in events:
        assert shape_problems(event["data"]["object"], where=event["type"]) == []


def test_every_api_answer_is_shaped_as_stripes(produced):
    for answer in produced:
        assert shape_problems(answer) == [], answer
    # The expanded charge is checked as a Charge, not as an id.
    assert any(isinstance(answer.get("latest_charge"), dict) for answer in produced)


def test_webhook_events_have_stripes_envelope(produced):
    events = [json.loads(event_payload(row.pk))
              for row in SandboxObject.objects.filter(kind="event")]
    updated = [event for event in events if event["type"].endswith(".updated")]
    assert {event["type"] for event in updated} >= {"refund.updated", "charge.updated",
                                                     "charge.refund.updated"}
    for event in events:
        assert set(event) == ENVELOPE, event["type"]
        assert event["object"] == "event"
        assert event["id"].startswith("evt_")
        assert event["api_version"] == settings.STRIPE_API_VERSION
        assert isinstance(event["created"], int)
        assert event["livemode"] is False
        assert isinstance(event["pending_webhooks"], int)
        assert set(event["request"]) == {"id", "idempotency_key"}
        assert shape_problems(event) == []
        if event["type"].endswith(".updated"):
            previous = event["data"]["previous_attributes"]
            assert previous, event["type"]
            current = event["data"]["object"]
            for key, value in previous.items():
                assert key in current and current[key] != value, (event["type"], key)
        else:
            assert set(event["data"]) <= {"object", "previous_attributes"}
