"""The gateway keeps Stripe's request contract: every call it makes, with the parameters as
the stripe SDK types them for that endpoint, the pinned API version and our idempotency key.

Every test in the suite is held to this (the sandbox refuses a request Stripe would refuse,
and apps.stripe_sandbox.testing fails the test that sent it); here each gateway call is made
once on purpose, and the checker is shown to catch what a typo would break."""

import ast
import inspect
import re
from decimal import Decimal

import pytest
import stripe
from django.conf import settings

from apps.payments import gateway
from apps.stripe_sandbox import contract
from apps.stripe_sandbox.http_client import SandboxHTTPClient
from apps.stripe_sandbox.models import SandboxRequest
from apps.stripe_sandbox.server import ROUTES

pytestmark = pytest.mark.django_db

ORDER_PUBLIC_ID = "5b0f4f8e-8d8a-4ad4-9a59-1f1d0c3b7a11"


def new_intent(sequence: int = 1) -> dict:
    return gateway.create_payment_intent(
        amount=Decimal("57.50"), currency="SAR", order_id=7, order_number="GE-2026-000007",
        order_public_id=ORDER_PUBLIC_ID, sequence=sequence, description="Order GE-2026-000007",
    )


def paid_intent() -> dict:
    intent = new_intent()
    return gateway.confirm_payment_intent(
        payment_intent_id=intent["id"], payment_method="pm_card_visa",
        return_url="https://shop.example/ar/orders/GE-2026-000007/pay/return/",
        idempotency_key=f"{intent['id']}-confirm",
    )


# Each gateway call, made as the shop makes it: name -> (call, SDK service method it uses).
def call_create():
    new_intent()


def call_retrieve():
    gateway.retrieve_payment_intent(payment_intent_id=new_intent()["id"])


def call_cancel():
    gateway.cancel_payment_intent(payment_intent_id=new_intent()["id"],
                                  idempotency_key=gateway.cancel_key(
                                      order_public_id=ORDER_PUBLIC_ID, sequence=1))


def call_confirm():
    paid_intent()


def call_refund():
    gateway.create_refund(
        payment_intent_id=paid_intent()["id"], amount=Decimal("10.00"), currency="SAR",
        idempotency_key=gateway.refund_key(order_public_id=ORDER_PUBLIC_ID, sequence=1,
                                           suffix="staff-1"),
        reason="requested_by_customer", metadata={"order_number": "GE-2026-000007"},
    )


def call_list_events():
    new_intent()
    list(gateway.list_events(created_gte=0, types=["payment_intent.created"],
                             delivery_success=False, page_size=1))


GATEWAY_CALLS = {
    ("payment_intents", "create"): call_create,
    ("payment_intents", "retrieve"): call_retrieve,
    ("payment_intents", "cancel"): call_cancel,
    ("payment_intents", "confirm"): call_confirm,
    ("refunds", "create"): call_refund,
    ("events", "list"): call_list_events,
}


def sdk_calls_in_gateway() -> set[tuple[str, str]]:
    """Every `get_client().v1.<service>.<method>` the gateway's code names."""
    tree = ast.parse(inspect.getsource(gateway))
    calls = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute)
                and isinstance(node.value.value, ast.Attribute)
                and node.value.value.attr == "v1"):
            calls.add((node.value.attr, node.attr))
    return calls


def test_every_endpoint_the_gateway_calls_is_exercised_here():
    assert sdk_calls_in_gateway() == set(GATEWAY_CALLS)


def test_every_endpoint_the_sandbox_serves_has_the_sdk_params_of_that_endpoint():
    served = {(method, pattern.pattern) for method, pattern, _handler in ROUTES}
    described = {(method, pattern.pattern.replace("[^/]+", "(?P<id>[^/]+)"))
                 for method, pattern, _name in contract.ENDPOINTS}
    assert served == described
    for _method, _pattern, name in contract.ENDPOINTS:
        assert typing_is_typed_dict(getattr(stripe.params, name)), name


def typing_is_typed_dict(klass) -> bool:
    import typing_extensions

    return typing_extensions.is_typeddict(klass)


@pytest.mark.parametrize("service_method", list(GATEWAY_CALLS), ids="{0[0]}.{0[1]}".format)
def test_each_gateway_call_keeps_the_contract(service_method):
    before = SandboxRequest.objects.count()

    GATEWAY_CALLS[service_method]()

    sent = list(SandboxRequest.objects.order_by("pk")[before:])
    assert sent and all(request.status == 200 for request in sent), [str(r) for r in sent]
    for request in sent:
        typed = contract.params_class(request.method, request.path)
        assert typed is not None, request.path
        assert contract.request_problems(request.method, request.path, request.params) == []
        if request.method == "POST":
            # Ours, derived from our ids: a retry (SDK, task or double click) acts once.
            assert request.idempotency_key
            assert not re.fullmatch(r"[0-9a-f-]{36}", request.idempotency_key)
    assert contract.recorded.take() == []  # the headers: pinned version, our keys


def test_the_gateway_sends_the_pinned_api_version():
    client = gateway.get_client()
    assert client._requestor._options.stripe_version == settings.STRIPE_API_VERSION
    assert settings.STRIPE_API_VERSION == stripe._api_version._ApiVersion.CURRENT


# --- the checker catches what a typo would break -------------------------------------------


def problems_sent() -> list[str]:
    return [str(problem) for _method, _path, problem in contract.recorded.take()]


def test_a_misspelled_parameter_is_refused_as_stripe_refuses_it_and_fails_the_test():
    with pytest.raises(stripe.InvalidRequestError) as refused:
        gateway.get_client().v1.payment_intents.create(
            {"amout": 5750, "currency": "sar"}, {"idempotency_key": "typo-1"})

    assert refused.value.http_status == 400
    assert refused.value.code == "parameter_unknown"
    assert refused.value.param == "amout"
    # What the test plugin turns into a failure of the test that sent it.
    assert problems_sent() == ["Received unknown parameter: amout",
                               "Missing required param: amount."]


@pytest.mark.parametrize(("params", "problem"), [
    ({"amount": 5750, "currency": "sar", "automatic_payment_methods": {"enabld": True}},
     ["Received unknown parameter: automatic_payment_methods[enabld]",
      "Missing required param: automatic_payment_methods[enabled]."]),
    ({"amount": "57.50", "currency": "sar"}, ["Invalid integer: '57.50' for amount."]),
    ({"amount": 5750, "currency": "sar", "confirm": "yes"},
     ["Invalid boolean: 'yes' for confirm."]),
    ({"amount": 5750, "currency": "sar", "metadata": "GE-2026-000007"},
     ["Invalid value for metadata: 'GE-2026-000007' is none of Dict, UntypedStripeObject."]),
    ({"amount": 5750, "currency": "sar", "expand": "latest_charge"},
     ["Invalid array: expand must be a list."]),
])
def test_nested_names_and_value_types_are_checked(params, problem):
    with pytest.raises(stripe.InvalidRequestError):
        gateway.get_client().v1.payment_intents.create(params, {"idempotency_key": "typo-2"})

    assert problems_sent() == problem


def test_a_refund_without_its_payment_is_refused():
    with pytest.raises(stripe.InvalidRequestError):
        gateway.get_client().v1.refunds.create({"amout": 1000},
                                               {"idempotency_key": "typo-3"})

    assert problems_sent() == ["Received unknown parameter: amout"]


def test_a_change_without_our_idempotency_key_breaks_the_contract():
    # Without one of ours the SDK sends a random key of its own: a second click or a task's
    # retry would then make a second PaymentIntent.
    gateway.get_client().v1.payment_intents.create({"amount": 5750, "currency": "sar"})

    [problem] = problems_sent()
    assert problem.startswith("A POST with the SDK's random idempotency key ")


def test_another_api_version_breaks_the_contract():
    client = stripe.StripeClient(settings.STRIPE_SECRET_KEY, http_client=SandboxHTTPClient(),
                                 stripe_version="2020-08-27")
    client.v1.events.list({"limit": 1})

    assert problems_sent() == [f"Stripe-Version is '2020-08-27', not the pinned "
                               f"{settings.STRIPE_API_VERSION!r}."]
