"""The offline sandbox, driven through the real StripeClient (only its http_client is ours)."""

import json
import uuid

import pytest
import stripe

from apps.stripe_sandbox import contract
from apps.stripe_sandbox.cards import InvalidCardNumber
from apps.stripe_sandbox.events import event_payload
from apps.stripe_sandbox.http_client import SandboxHTTPClient
from apps.stripe_sandbox.models import SandboxObject
from apps.stripe_sandbox.services import (
    StripeErrorResponse,
    inject_fault,
    sandbox_complete_3ds,
    sandbox_confirm,
)

pytestmark = pytest.mark.django_db


def ours() -> dict:
    """Request options with an idempotency key of ours, as the gateway always sends."""
    return {"idempotency_key": f"test-{uuid.uuid4().hex}"}


def create_intent(stripe_client, amount=12500, key=None, **extra):
    params = {
        "amount": amount,
        "currency": "sar",
        "automatic_payment_methods": {"enabled": True},
        "metadata": {"order_id": "7", "order_number": "GE-2026-000007"},
        "description": "Order GE-2026-000007",
        **extra,
    }
    # Our own key, as the gateway always sends one (the contract check refuses a POST without).
    options = {"idempotency_key": key or f"test-intent-{uuid.uuid4().hex}"}
    return stripe_client.v1.payment_intents.create(params, options)


def test_the_client_uses_the_sandbox_http_client_and_pinned_version(stripe_client, settings):
    assert isinstance(stripe_client._requestor._client, SandboxHTTPClient)
    assert settings.STRIPE_API_VERSION == stripe._api_version._ApiVersion.CURRENT


def test_a_payment_intent_looks_like_stripes(stripe_client):
    intent = create_intent(stripe_client)

    assert intent.id.startswith("pi_")
    assert intent.object == "payment_intent"
    assert intent.client_secret.startswith(intent.id + "_secret_")
    assert (intent.amount, intent.currency, intent.status) == (12500, "sar",
                                                               "requires_payment_method")
    assert intent.metadata.to_dict() == {"order_id": "7", "order_number": "GE-2026-000007"}
    assert intent.automatic_payment_methods.enabled is True
    assert intent.livemode is False
    assert stripe_client.v1.payment_intents.retrieve(intent.id).id == intent.id


def test_same_idempotency_key_same_answer_other_parameters_refused(stripe_client):
    first = create_intent(stripe_client, key="order-1-pi-1")
    again = create_intent(stripe_client, key="order-1-pi-1")

    assert again.id == first.id
    assert SandboxObject.objects.filter(kind="payment_intent").count() == 1
    with pytest.raises(stripe.IdempotencyError):
        create_intent(stripe_client, amount=999, key="order-1-pi-1")


def test_validation_errors_are_stripe_shaped(stripe_client):
    with pytest.raises(stripe.InvalidRequestError) as missing:
        stripe_client.v1.payment_intents.create({"currency": "sar"},
                                                {"idempotency_key": "test-missing-amount"})
    assert missing.value.http_status == 400
    assert missing.value.code == "parameter_missing"
    assert missing.value.param == "amount"
    assert [str(problem) for _m, _p, problem in contract.recorded.take()] == [
        "Missing required param: amount."]

    with pytest.raises(stripe.InvalidRequestError) as unknown:
        stripe_client.v1.payment_intents.retrieve("pi_doesnotexist")
    assert unknown.value.http_status == 404
    assert unknown.value.code == "resource_missing"
    assert unknown.value.json_body["error"]["type"] == "invalid_request_error"

    with pytest.raises(stripe.InvalidRequestError) as kwd:
        stripe_client.v1.payment_intents.create({"amount": 12345, "currency": "kwd"},
                                                {"idempotency_key": "test-kwd-amount"})
    assert kwd.value.param == "amount"


def test_a_live_or_missing_key_is_refused():
    client = stripe.StripeClient("sk_live_nope", http_client=SandboxHTTPClient())
    with pytest.raises(stripe.AuthenticationError):
        client.v1.payment_intents.retrieve("pi_x")


@pytest.mark.parametrize(
    ("number", "status", "error_code", "decline_code"),
    [
        ("4242 4242 4242 4242", "succeeded", None, None),
        ("4000 0000 0000 0002", "requires_payment_method", "card_declined", "generic_decline"),
        ("4000 0000 0000 9995", "requires_payment_method", "card_declined",
         "insufficient_funds"),
        ("4000 0025 0000 3155", "requires_action", None, None),
    ],
)
def test_test_cards(stripe_client, number, status, error_code, decline_code):
    intent = create_intent(stripe_client)

    sandbox_confirm(intent.id, number)

    after = stripe_client.v1.payment_intents.retrieve(intent.id, {"expand": ["latest_charge"]})
    assert after.status == status
    if error_code:
        assert after.last_payment_error.code == error_code
        assert after.last_payment_error.decline_code == decline_code
        assert after.last_payment_error.type == "card_error"
        assert after.last_payment_error.payment_method.card.last4 == number[-4:]
        assert after.latest_charge.status == "failed"
    else:
        assert after.last_payment_error is None
    if status == "succeeded":
        assert after.amount_received == 12500
        assert after.latest_charge.id.startswith("ch_")
        assert after.latest_charge.payment_method_details.card.last4 == "4242"
        assert after.latest_charge.payment_method_details.card.brand == "visa"
    if status == "requires_action":
        assert after.next_action.type == "use_stripe_sdk"


def test_a_declined_intent_can_be_retried_and_succeed(stripe_client):
    intent = create_intent(stripe_client)

    declined = sandbox_confirm(intent.id, "4000000000000002")
    retried = sandbox_confirm(intent.id, "4242424242424242")

    assert declined["status"] == "requires_payment_method"
    assert retried["status"] == "succeeded"
    assert retried["id"] == intent.id
    assert retried["last_payment_error"] is None


@pytest.mark.parametrize(("outcome", "status"), [("approve", "succeeded"),
                                                 ("fail", "requires_payment_method")])
def test_three_d_secure_approved_or_failed(stripe_client, outcome, status):
    intent = create_intent(stripe_client)
    waiting = sandbox_confirm(intent.id, "4000002500003155")

    done = sandbox_complete_3ds(intent.id, outcome)

    assert waiting["status"] == "requires_action"
    assert done["status"] == status
    if outcome == "fail":
        assert done["last_payment_error"]["code"] == "payment_intent_authentication_failure"
        # and the card holder may try again
        assert sandbox_confirm(intent.id, "4242424242424242")["status"] == "succeeded"


def test_three_d_secure_outcome_in_one_call(stripe_client):
    intent = create_intent(stripe_client)
    assert sandbox_confirm(intent.id, "4000002500003155", "approve")["status"] == "succeeded"


def test_a_paid_intent_cannot_be_confirmed_or_canceled(stripe_client):
    intent = create_intent(stripe_client)
    sandbox_confirm(intent.id, "4242424242424242")

    with pytest.raises(StripeErrorResponse):
        sandbox_confirm(intent.id, "4242424242424242")
    with pytest.raises(stripe.InvalidRequestError) as cancel:
        stripe_client.v1.payment_intents.cancel(intent.id, None, ours())
    assert cancel.value.code == "payment_intent_unexpected_state"


def test_an_invalid_card_number_is_refused_before_any_request(stripe_client):
    intent = create_intent(stripe_client)
    with pytest.raises(InvalidCardNumber):
        sandbox_confirm(intent.id, "4242 4242 4242 4241")


def test_server_side_confirmation_with_a_declined_test_card_is_a_card_error(stripe_client):
    intent = create_intent(stripe_client)

    with pytest.raises(stripe.CardError) as declined:
        stripe_client.v1.payment_intents.confirm(
            intent.id, {"payment_method": "pm_card_chargeDeclinedInsufficientFunds",
                        "return_url": "https://shop.example/return"},
            {"idempotency_key": f"test-confirm-{intent.id}-1"},
        )

    assert declined.value.http_status == 402
    assert declined.value.code == "card_declined"
    assert declined.value.error.decline_code == "insufficient_funds"
    assert declined.value.error.payment_intent.status == "requires_payment_method"
    confirmed = stripe_client.v1.payment_intents.confirm(
        intent.id, {"payment_method": "pm_card_visa"},
        {"idempotency_key": f"test-confirm-{intent.id}-2"})
    assert confirmed.status == "succeeded"


def test_cancel(stripe_client):
    intent = create_intent(stripe_client)

    canceled = stripe_client.v1.payment_intents.cancel(
        intent.id, {"cancellation_reason": "abandoned"}, ours()
    )

    assert canceled.status == "canceled"
    assert canceled.cancellation_reason == "abandoned"
    assert canceled.canceled_at


def test_refunds_full_partial_and_too_much(stripe_client, django_capture_on_commit_callbacks):
    intent = create_intent(stripe_client)
    sandbox_confirm(intent.id, "4242424242424242")

    with django_capture_on_commit_callbacks(execute=True):
        part = stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 2500},
                                               ours())
    assert part.id.startswith("re_")
    assert part.status == "pending"
    assert stripe_client.v1.refunds.retrieve(part.id).status == "succeeded"  # settled
    with pytest.raises(stripe.InvalidRequestError) as too_much:
        stripe_client.v1.refunds.create({"payment_intent": intent.id, "amount": 10001},
                                        ours())
    assert too_much.value.param == "amount"

    rest = stripe_client.v1.refunds.create({"payment_intent": intent.id}, ours())
    assert rest.amount == 10000
    charge = stripe_client.v1.payment_intents.retrieve(
        intent.id, {"expand": ["latest_charge"]}).latest_charge
    assert (charge.amount_refunded, charge.refunded) == (12500, True)
    with pytest.raises(stripe.InvalidRequestError) as again:
        stripe_client.v1.refunds.create({"payment_intent": intent.id}, ours())
    assert again.value.code == "charge_already_refunded"


def test_an_unpaid_intent_cannot_be_refunded(stripe_client):
    intent = create_intent(stripe_client)
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.refunds.create({"payment_intent": intent.id}, ours())


def test_events_emitted_listed_newest_first_and_paginated(stripe_client,
                                                          django_capture_on_commit_callbacks):
    intent = create_intent(stripe_client)
    sandbox_confirm(intent.id, "4000000000000002")
    sandbox_confirm(intent.id, "4242424242424242")
    with django_capture_on_commit_callbacks(execute=True):
        stripe_client.v1.refunds.create({"payment_intent": intent.id}, ours())

    listed = stripe_client.v1.events.list({"limit": 100})
    types = [event.type for event in listed.data]
    assert types == [
        "refund.updated", "charge.refunded", "refund.created",
        "payment_intent.succeeded", "charge.succeeded",
        "payment_intent.payment_failed", "charge.failed",
        "payment_intent.created",
    ]
    assert all(event.id.startswith("evt_") for event in listed.data)
    refunded = next(event for event in listed.data if event.type == "charge.refunded")
    assert refunded.data.object.object == "charge"
    assert refunded.data.previous_attributes.amount_refunded == 0

    first_page = stripe_client.v1.events.list({"limit": 3})
    second_page = stripe_client.v1.events.list({"limit": 3,
                                                "starting_after": first_page.data[-1].id})
    assert first_page.has_more is True
    assert [e.type for e in first_page.data + second_page.data] == types[:6]
    only = stripe_client.v1.events.list({"types": ["payment_intent.*"]})
    assert {e.type for e in only.data} == {"payment_intent.succeeded",
                                           "payment_intent.payment_failed",
                                           "payment_intent.created"}


def test_events_are_signed_with_the_webhook_secret_like_stripe(stripe_client, settings,
                                                               sign):
    intent = create_intent(stripe_client)
    event_id = SandboxObject.objects.get(kind="event").pk
    payload = event_payload(event_id)

    event = stripe.Webhook.construct_event(payload, sign(payload),
                                           settings.STRIPE_WEBHOOK_SECRET)

    assert event.type == "payment_intent.created"
    assert event.data.object.id == intent.id
    assert json.loads(payload)["api_version"] == settings.STRIPE_API_VERSION


def test_faults_rate_limit_server_error_and_connection(stripe_client):
    inject_fault(kind="rate_limit")
    with pytest.raises(stripe.RateLimitError):
        create_intent(stripe_client)

    # A 500 is retried by the SDK (max_network_retries=2) with the same idempotency key.
    inject_fault(kind="api_error", times=2)
    intent = create_intent(stripe_client, key="retry-me")
    assert intent.status == "requires_payment_method"

    inject_fault(kind="connection_error", times=3)
    with pytest.raises(stripe.APIConnectionError):
        create_intent(stripe_client)


def test_update_amount_and_metadata_while_unpaid(stripe_client):
    intent = create_intent(stripe_client)

    updated = stripe_client.v1.payment_intents.update(
        intent.id, {"amount": 15000, "metadata": {"order_number": "", "note": "x"}}, ours())

    assert updated.amount == 15000
    assert updated.metadata.to_dict() == {"order_id": "7", "note": "x"}
    sandbox_confirm(intent.id, "4242424242424242")
    with pytest.raises(stripe.InvalidRequestError):
        stripe_client.v1.payment_intents.update(intent.id, {"amount": 100}, ours())
